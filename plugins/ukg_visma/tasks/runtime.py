"""What every task needs from Airflow: its run's context, hooks, the audit engine, retry rules.

Kept out of the DAG files so that they stay wiring only, and out of the pure modules so that those
never import Airflow.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule

from ukg_visma.periods import resolve_period
from ukg_visma.tasks.payroll import RunContext

# Retrying cannot fix these: fail at once, with the message that says what to change.
_FATAL = [
    "ukg_visma.gl.findings.JournalValidationError",
    "ukg_visma.gl.extract.MalformedExportError",
    "ukg_visma.hooks.exceptions.AuthenticationError",
    "ukg_visma.hooks.exceptions.PermissionDeniedError",
    "ukg_visma.hooks.exceptions.ValidationError",
    "ukg_visma.hooks.exceptions.ConnectionConfigError",
    "ukg_visma.periods.PeriodError",
    "ukg_visma.mappings.MappingError",
    "ukg_visma.tasks.payroll_close.ReconciliationError",
    "ukg_visma.alignment.inputs.AlignmentInputError",
    "ukg_visma.alignment.simulate.PlanApplyError",
    "ukg_visma.tasks.alignment.AlignmentNotConvergedError",
    "ukg_visma.tasks.drift.MappingDriftError",
]
# Transient by nature: retry soon (the hooks already backed off inside the attempt).
_TRANSIENT = [
    "ukg_visma.hooks.exceptions.RateLimitError",
    "ukg_visma.hooks.exceptions.TransientError",
    "ukg_visma.hooks.exceptions.ResponseLostError",
    "ukg_visma.hooks.exceptions.ConcurrentUpdateError",
    "ukg_visma.tasks.posting.PostingOutcomeUnknownError",
    "ukg_visma.audit.ledger.JournalBusyError",
]


def retry_policy(transient_delay_s: float = 30) -> ExceptionRetryPolicy:
    return ExceptionRetryPolicy(
        rules=[
            RetryRule(
                exception=_FATAL,
                action=RetryAction.FAIL,
                reason="configuration or data error: a retry cannot fix it",
            ),
            RetryRule(
                exception=_TRANSIENT,
                action=RetryAction.RETRY,
                retry_delay=dt.timedelta(seconds=transient_delay_s),
                reason="transient: retrying (the ledger makes the retry safe)",
            ),
        ]
    )


def run_context(context: Any) -> RunContext:
    """The period of this run (param → partition key → data interval) and its run key."""
    dag_run = context["dag_run"]
    params = context.get("params") or {}
    period = resolve_period(
        param=params.get("period"),
        partition_key=getattr(dag_run, "partition_key", None),
        data_interval_start=context.get("data_interval_start"),
    )
    return RunContext(run_key=dag_run.run_id, period=period)


def ukg_hook() -> Any:
    from ukg_visma.hooks.ukg import UkgHook

    return UkgHook()


def visma_hook() -> Any:
    from ukg_visma.hooks.visma import VismaHook

    return VismaHook()


def audit() -> Any:
    from ukg_visma.audit.airflow import audit_engine

    return audit_engine()
