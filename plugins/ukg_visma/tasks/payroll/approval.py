"""The approval gate: a controller approves the period's journals before any money moves.

``PayrollApprovalOperator`` is Airflow's ``ApprovalOperator`` with the prompt built by
``validate`` (period, pay runs and versions, counts, totals, top accounts, warnings, report
link) and a ``decision_reason`` field. The decision is written to the audit store: one ``approval``
record per run (who, when, Approve/Reject, the reason) and, on Reject, the audit run is finished
as ``rejected`` — nothing is planned or posted, ``reconcile`` ends skipped and the DAG-run note
says who rejected it and why. The run's last task, ``period_posted`` (:func:`require_posted`),
then fails with one sentence: a period that was never posted must not look done — the run is
red in the runs list and the calendar, and its posting deadline still stands
(``docs/decisions/rejected-period-state.md``).

The form field is **not** called ``reason``: the DAG has a ``reason`` param (for reversals), and
Airflow resolves a task's params with the run's conf on top. The UI's trigger form sends every
DAG param, ``"reason": null`` included, which then replaced the form field's default and failed
the task's param validation before the prompt was even shown.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import Param
from airflow.sdk.definitions.param import ParamsDict

from ukg_visma.errors import NotRetryable
from ukg_visma.xcom_keys import DECISION_XCOM

log = logging.getLogger(__name__)

# The HITL form's free-text field; its name must not be one of the DAG's params (see above).
DECISION_FIELD = "decision_reason"

SUBJECT = "Post pay period {{ ti.xcom_pull(task_ids='validate')['period'] }} to Visma?"
BODY = "{{ ti.xcom_pull(task_ids='validate')['approval'] }}"


def record_decision(engine: Any, audit_run_id: str, flow: str, decision: Mapping[str, Any]) -> None:
    """The approval record, and on Reject the audit run finished as ``rejected``."""
    from ukg_visma.audit import records

    approved = decision["approved"]
    records.upsert_records(
        engine,
        audit_run_id,
        flow,
        "approval",
        [
            {
                "source_key": "approve_posting",
                "status": "approved" if approved else "rejected",
                "detail": dict(decision),
            }
        ],
    )
    if not approved:
        records.finish_run(engine, audit_run_id, "rejected", {"approval": dict(decision)})


class PeriodNotPosted(NotRetryable):
    """The period's journals were rejected: nothing posted, the posting still owed."""


def require_posted(period: str, decision: Mapping[str, Any] | None) -> None:
    """Raise :class:`PeriodNotPosted` when the controller rejected the period (pure).

    Called by the run's last task, after the decision, the note and the audit are written, so the
    run ends *failed* — red where a data engineer looks — with the reason in one sentence.
    """
    if not isinstance(decision, Mapping) or decision.get("approved", True):
        return
    reason = decision.get("reason") or "no reason given"
    raise PeriodNotPosted(
        f"pay period {period} is NOT posted: {decision.get('choice') or 'Reject'} by "
        f"{decision.get('by') or '?'} — {reason}. Nothing reached Visma. After the fix, clear "
        "this run (all tasks) or trigger the period again; the new approval posts it."
    )


def decision_of(result: Mapping[str, Any]) -> dict[str, Any]:
    """The HITL result as the audit keeps it (who, when, what, why)."""
    chosen = list(result.get("chosen_options") or [])
    params = dict(result.get("params_input") or {})
    user = result.get("responded_by_user") or {}
    responded_at = result.get("responded_at")
    return {
        "approved": chosen == [ApprovalOperator.APPROVE],
        "choice": chosen[0] if chosen else None,
        "reason": str(params.get(DECISION_FIELD) or "").strip() or None,
        "by": user.get("name") or user.get("id") if isinstance(user, Mapping) else str(user),
        "at": responded_at.isoformat() if isinstance(responded_at, dt.datetime) else responded_at,
    }


class PayrollApprovalOperator(ApprovalOperator):
    """Approve → plan, post and release; Reject → nothing posted, the reason in the audit store."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("subject", SUBJECT)
        kwargs.setdefault("body", BODY)
        # Airflow's apply_defaults has already put the DAG's params here; the HITL form shows
        # only task-level ones, so the reason field is added as such.
        incoming = kwargs.pop("params", None)
        given = incoming if isinstance(incoming, ParamsDict) else ParamsDict(incoming or {})
        if (
            DECISION_FIELD in given
            and getattr(given.get_param(DECISION_FIELD), "source", None) != "task"
        ):
            raise ValueError(
                f"the DAG has a param named {DECISION_FIELD!r}: the run's conf would overwrite "
                "the approval form's field of that name"
            )
        params = ParamsDict.filter_params_by_source(given, source="task")
        # Nullable: Airflow 3.3's HITL form treats an empty non-nullable field as a missing
        # required one and keeps both Approve and Reject disabled until something is typed.
        params[DECISION_FIELD] = Param(
            None,
            type=["null", "string"],
            maxLength=500,
            title="Reason",
            description="Why you reject (or approve despite a warning); kept in the audit store.",
            source="task",
        )
        kwargs["params"] = params
        super().__init__(**kwargs)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        """Record the decision first, then let ``ApprovalOperator`` go on or skip.

        On Reject, ``ApprovalOperator`` skips the downstream tasks by *raising*
        (``DownstreamTasksSkipped``): nothing after it runs and no return value reaches XCom.
        So the answer is read with ``HITLOperator``'s own (side-effect free) validation, the
        decision goes to the audit store and to XCom (key ``decision``, for the run note), and
        only then does the parent run its Approve/Reject logic.
        """
        from ukg_visma.tasks import runtime

        answer = HITLOperator.execute_complete(self, context=context, event=event)
        ctx = runtime.run_context(context)
        decision = decision_of(answer)
        record_decision(runtime.audit(), ctx.audit_run_id, ctx.flow, decision)
        context["ti"].xcom_push(key=DECISION_XCOM, value=decision)
        log.info(
            "pay period %s: %s by %s%s",
            ctx.period.key,
            decision["choice"],
            decision["by"],
            f" — reason: {decision['reason']}" if decision["reason"] else "",
        )
        return super().execute_complete(context=context, event=event)
