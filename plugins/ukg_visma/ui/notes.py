"""A listener (in the scheduler) that writes every run's result as its DAG-run note.

Task code never touches Airflow's metadata DB; the scheduler does, and it calls this listener in
its own session when a run ends. The figures come from XCom — amounts, counts, batch and employee
numbers only, never a secret:

- a pay period: ``reconcile`` (period, debit, credit, batches, result), the approval decision,
  or the failed task's one sentence (XCom ``failure``, ``ukg_visma.ui.failures``: the period and
  the validation errors, what is left in Visma after a failed post);
- an employee sync: ``check_headcount`` (changes per kind, pending, quarantined, headcount);
- a cost-centre alignment: ``verify`` (values created, conflicts, dry run or not).

A note someone already wrote is never replaced.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from airflow.listeners import hookimpl

from ukg_visma.companies import company_of_dag, is_payroll_dag
from ukg_visma.settings import COMPANY_ID_PATTERN
from ukg_visma.ui.failures import FAILURE_XCOM
from ukg_visma.ui.urls import ALIGNMENT_DAG_ID, EMPLOYEE_SYNC_DAG_ID, PAYROLL_DAG_ID

log = logging.getLogger(__name__)

OUR_DAGS = frozenset({PAYROLL_DAG_ID, EMPLOYEE_SYNC_DAG_ID, ALIGNMENT_DAG_ID})


def note_text(
    figures: Mapping[str, Any] | None,
    *,
    state: str,
    decision: Mapping[str, Any] | None = None,
    period: str | None = None,
    failure: tuple[str, str] | None = None,
) -> str:
    """One paragraph a controller reads in the run list (pure; tested without Airflow).

    ``failure``: the failed task and its one-sentence cause (``ukg_visma.ui.failures``).
    """
    if decision is not None and not decision.get("approved", True):
        reason = decision.get("reason") or "no reason given"
        return _fit(
            f"Pay period {period or '?'}: REJECTED by {decision.get('by') or '?'} — {reason}. "
            "Nothing was posted."
        )
    if not figures:
        if failure is not None:
            task_id, sentence = failure
            return _fit(
                f"Pay period {period or '?'}: FAILED in {task_id} — {sentence.rstrip('.')}. "
                "See the Run report tab."
            )
        if period:
            return (
                f"Pay period {period}: run {state} before reconciliation — see the failed "
                "task's log and the Run report tab."
            )
        return f"Pay-period run {state}: no reconciliation figures (see the Run report tab)."
    head = f"Pay period {figures.get('period', '?')}"
    if figures.get("dry_run"):
        return f"{head}: dry run, nothing posted. See the Run report tab."
    if figures.get("reversed") is not None:
        return _fit(
            f"{head}: reversal of {', '.join(figures['reversed']) or '-'} — "
            + ("OK" if figures.get("ok") else "PROBLEMS")
            + ". See the Run report tab."
        )
    batches = [str(b) for b in figures.get("batches") or []]
    start = (
        f"{head}: {figures.get('result', 'reconciled' if figures.get('ok') else 'mismatch')} — "
        f"debit {figures.get('debit', '?')}, credit {figures.get('credit', '?')}, "
        f"{len(batches)} batch(es)"
    )
    end = ". See the Run report tab."
    listed = f" ({', '.join(batches)})" if batches else ""
    if len(start) + len(listed) + len(end) > NOTE_LIMIT:
        listed = f" ({batches[0]} … {batches[-1]}; every batch in the Run report)"
    return _fit(start + listed + end)


# Airflow's dag_run_note.content is VARCHAR(1000): a longer note fails the scheduler's flush
# after the listener returned (PostgreSQL refuses it; SQLite does not check), which stops the
# scheduler loop and leaves the run unfinished — seen with ~200 batches in one period.
NOTE_LIMIT = 1000


def _fit(text: str) -> str:
    return text if len(text) <= NOTE_LIMIT else text[: NOTE_LIMIT - 1] + "…"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


CHANGE_WORDS = {"hire": "hire", "termination": "termination", "rehire": "rehire",
                "transfer": "transfer"}  # fmt: skip


def sync_note_text(
    summary: Mapping[str, Any] | None, *, state: str, failure: tuple[str, str] | None = None
) -> str:
    """The employee sync's note: changes per kind, pending, quarantined, the headcount (pure)."""
    if not summary:
        if failure is not None:
            return _fit(f"Employee sync: FAILED in {failure[0]} — {failure[1].rstrip('.')}. "
                        "See the Run report tab.")  # fmt: skip
        return (f"Employee sync {state} before the headcount check — see the failed task's "
                "log and the Run report tab.")  # fmt: skip
    given = dict(summary.get("changes") or {})  # XCom may hand the keys back sorted
    order = [k for k in CHANGE_WORDS if k in given] + sorted(set(given) - set(CHANGE_WORDS))
    changes = {k: given[k] for k in order}
    words = [
        _count(int(n), CHANGE_WORDS.get(k, k.replace("_", " ") + " change"))
        for k, n in changes.items()
    ]
    head_count = summary.get("headcount") or {}
    outcome = summary.get("outcome") or ("success" if state == "succeeded" else state)
    verdict = (
        f"headcount OK ({head_count.get('ukg_active', '?')} employed in "
        f"{summary.get('cost_centres', '?')} cost centre(s), UKG = Visma)"
        if not summary.get("mismatches")
        else f"headcount MISMATCH in {summary['mismatches']} cost centre(s)"
    )
    return _fit(
        f"Employee sync: {', '.join(words) or 'no employee changed'}; "
        f"{summary.get('pending', 0)} pending, {summary.get('quarantined', 0)} quarantined; "
        f"{verdict}"
        + ("" if outcome == "success" else f" — {outcome.replace('_', ' ')}")
        + ". See the Run report tab."
    )


def alignment_note_text(
    summary: Mapping[str, Any] | None, *, state: str, failure: tuple[str, str] | None = None
) -> str:
    """The cost-centre alignment's note: what was (or would be) created, conflicts (pure)."""
    if not summary:
        if failure is not None:
            return _fit(f"Cost-centre alignment: FAILED in {failure[0]} — "
                        f"{failure[1].rstrip('.')}. See the Run report tab.")  # fmt: skip
        return (f"Cost-centre alignment {state} — see the failed task's log and the Run "
                "report tab.")  # fmt: skip
    created = int(summary.get("visma_inserts", 0) or 0)
    updated = int(summary.get("visma_updates", 0) or 0)
    departments = int(summary.get("departments_to_create", 0) or 0)
    what = (f"{created} SUBACCOUNT value(s) to create, {updated} to update, {departments} "
            "department(s)")  # fmt: skip
    conflicts = int(summary.get("unresolved_conflicts", summary.get("open_conflicts", 0)) or 0)
    hr = int(summary.get("for_hr", 0) or 0)
    if summary.get("dry_run"):
        head = f"Cost-centre alignment (dry run, nothing written): {what}"
    else:
        head = (f"Cost-centre alignment applied: created {created} SUBACCOUNT value(s) and "
                f"{departments} department(s), updated {updated}; both sides agree")  # fmt: skip
    tail = f"; {conflicts} unresolved conflict(s)" if conflicts else ""
    tail += f"; {hr} value(s) only Visma has, listed for HR" if hr else ""
    return _fit(head + tail + ". See the Run report tab.")


OUR_PREFIXES = ("Pay period ", "Pay-period run ", "Employee sync", "Cost-centre alignment")


def _ours_or_empty(note: str | None) -> bool:
    """A note someone wrote by hand is never replaced; our own is updated (a group company's
    own note starts with the company: ``plant_b · Pay period …``)."""
    if note and " · " in note:
        head, rest = note.split(" · ", 1)
        if re.fullmatch(COMPANY_ID_PATTERN, head):
            note = rest
    return not note or note.startswith(OUR_PREFIXES)


def _period_of(dag_run: Any) -> Any:
    """The run's pay period from its partition key, conf or data interval (may raise)."""
    from ukg_visma.periods import resolve_period

    conf = dag_run.conf or {}
    run_type = getattr(dag_run, "run_type", None)
    return resolve_period(
        param=conf.get("period") if isinstance(conf, Mapping) else None,
        partition_key=getattr(dag_run, "partition_key", None),
        data_interval_start=dag_run.data_interval_start,
        data_interval_end=getattr(dag_run, "data_interval_end", None),
        run_type=str(getattr(run_type, "value", run_type)) if run_type else None,
    )


def running_note(dag_run: Any) -> str | None:
    """``Pay period 2026-10 — running`` from the run's partition key, period param or interval."""
    from ukg_visma.periods import PeriodError

    run_type = getattr(dag_run, "run_type", None)
    try:
        period = _period_of(dag_run)
    except PeriodError as exc:
        return _fit(f"Pay-period run refused: {exc}")
    return f"Pay period {period.key} — running ({getattr(run_type, 'value', run_type)} run)."


def _set_note(dag_run: Any, state: str) -> None:
    """Write the final note, in the run's own session or — when Airflow hands the listener a
    run no longer bound to one — in a session of our own.

    Airflow 3.3.2 calls ``on_dag_run_failed`` with a *detached* ``DagRun`` (seen in ``dag.test``
    and the scheduler when a period fails, e.g. on a malformed GL line): reading ``note`` then
    lazy-loads ``dag_run_note`` and raises ``DetachedInstanceError``, which was logged beside the
    real error and left the run's note at "running". The run is loaded again by its primary key
    in a new session, and the note is written and committed there.
    """
    from sqlalchemy import inspect
    from sqlalchemy.orm import object_session

    session = object_session(dag_run)
    if session is not None:
        _write_note(dag_run, state, session)
        return
    identity = inspect(dag_run).identity
    if not identity:
        return
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as own:
        bound = own.get(DagRun, identity)
        if bound is not None:
            _write_note(bound, state, own)


def _ours(dag_id: Any) -> bool:
    """One of our DAGs — a group company's pay-period DAG included (``ukg_visma.companies``)."""
    return dag_id in OUR_DAGS or is_payroll_dag(dag_id)


def _of_company(dag_run: Any, note: str | None) -> str | None:
    """A group company's run note starts with the company (``plant_b · Pay period 2026-10 …``):
    the runs list of one company's DAG and a search across DAGs both say whose period it is."""
    company = company_of_dag(getattr(dag_run, "dag_id", None))
    if not company or not note or note.startswith(f"{company} · "):
        return note
    return _fit(f"{company} · {note}")


def _write_note(dag_run: Any, state: str, session: Any) -> None:
    if not _ours(dag_run.dag_id) or not _ours_or_empty(dag_run.note):
        return
    _write_note_text(dag_run, state, session)
    if is_payroll_dag(dag_run.dag_id):
        dag_run.note = _of_company(dag_run, dag_run.note)


def _write_note_text(dag_run: Any, state: str, session: Any) -> None:
    from airflow.models.xcom import XComModel

    def pull(task_id: str, key: str = "return_value") -> Any:
        row = session.scalars(
            XComModel.get_many(
                run_id=dag_run.run_id, key=key, dag_ids=dag_run.dag_id, task_ids=task_id
            ).limit(1)
        ).first()
        return XComModel.deserialize_value(row) if row is not None else None

    def failure() -> tuple[str, str] | None:
        """The first failed task's sentence (``ukg_visma.ui.failures``), if one was told."""
        if state != "failed":
            return None
        rows = session.scalars(
            XComModel.get_many(run_id=dag_run.run_id, key=FAILURE_XCOM, dag_ids=dag_run.dag_id)
        ).all()
        for row in rows:
            sentence = XComModel.deserialize_value(row)
            if isinstance(sentence, str) and sentence:
                return str(row.task_id), sentence
        return None

    if dag_run.dag_id == EMPLOYEE_SYNC_DAG_ID:
        summary = pull("check_headcount")
        dag_run.note = sync_note_text(
            summary if isinstance(summary, Mapping) else None, state=state, failure=failure()
        )
        return
    if dag_run.dag_id == ALIGNMENT_DAG_ID:
        summary = pull("verify")
        if not isinstance(summary, Mapping) and state == "succeeded":
            planned = pull("plan")
            summary = planned.get("counts") if isinstance(planned, Mapping) else None
        dag_run.note = alignment_note_text(
            summary if isinstance(summary, Mapping) else None, state=state, failure=failure()
        )
        return
    figures = pull("reconcile")
    if figures is None and (dag_run.note or "").startswith("Pay-period run refused"):
        return  # the refusal says more than "failed"
    validated = pull("validate")
    if figures is None and validated is None and state == "failed":
        refusal = running_note(dag_run)  # a run that names no (or a disagreeing) period
        if refusal and refusal.startswith("Pay-period run refused"):
            dag_run.note = refusal
            return
    # approve_posting's decision (pushed before Reject skips the rest: a rejected run has no
    # return value of approve_posting)
    from ukg_visma.xcom_keys import DECISION_XCOM

    decision = pull("approve_posting", DECISION_XCOM)
    if not isinstance(decision, Mapping):
        decision = None
    dag_run.note = note_text(
        figures if isinstance(figures, Mapping) else None,
        state=state,
        decision=decision,
        failure=failure(),
        period=validated.get("period")
        if isinstance(validated, Mapping)
        else _known_period(dag_run),
    )


def _known_period(dag_run: Any) -> str | None:
    """The period of a run that failed before ``validate`` returned (a refused GL line)."""
    try:
        return str(_period_of(dag_run).key)
    except ValueError:
        return None


def _other_running_note(dag_run: Any) -> str | None:
    run_type = getattr(dag_run, "run_type", None)
    kind = getattr(run_type, "value", run_type)
    if dag_run.dag_id == EMPLOYEE_SYNC_DAG_ID:
        return f"Employee sync — running ({kind} run)."
    if dag_run.dag_id == ALIGNMENT_DAG_ID:
        conf = dag_run.conf if isinstance(dag_run.conf, Mapping) else {}
        dry = "dry run" if conf.get("dry_run", True) else "applying"
        return f"Cost-centre alignment — running ({dry})."
    return None


@hookimpl
def on_dag_run_running(dag_run: Any, msg: str) -> None:
    try:
        if not _ours(dag_run.dag_id) or not _ours_or_empty(dag_run.note):
            return
        if is_payroll_dag(dag_run.dag_id):
            dag_run.note = _of_company(dag_run, running_note(dag_run))
        else:
            dag_run.note = _other_running_note(dag_run)
    except Exception:
        log.exception("could not write the note of run %s", getattr(dag_run, "run_id", "?"))


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    try:
        if not _ours(getattr(dag_run, "dag_id", None)):
            return
        _set_note(dag_run, "succeeded")
    except Exception:  # a note must never fail the scheduler's loop
        log.exception("could not write the note of run %s", getattr(dag_run, "run_id", "?"))


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    try:
        if not _ours(getattr(dag_run, "dag_id", None)):
            return
        _set_note(dag_run, "failed")
    except Exception:
        log.exception("could not write the note of run %s", getattr(dag_run, "run_id", "?"))
