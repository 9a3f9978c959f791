"""What every task needs from Airflow: its run's context, hooks, the audit engine, retry rules.

Kept out of the DAG files so that they stay wiring only, and out of the pure modules so that those
never import Airflow.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule

from ukg_visma.periods import resolve_period
from ukg_visma.tasks.context import RunContext


def retry_policy(transient_delay_s: float = 30) -> ExceptionRetryPolicy:
    return ExceptionRetryPolicy(
        rules=[
            RetryRule(
                exception="ukg_visma.errors.NotRetryable",
                action=RetryAction.FAIL,
                reason="configuration or data error: a retry cannot fix it",
            ),
            RetryRule(
                exception="ukg_visma.errors.Retryable",
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


def default_args() -> dict[str, Any]:
    """The DAGs' shared task defaults: owned by finance-data, retried with backoff, and
    classified by ``retry_policy`` (a data error fails at once, a 429 retries)."""
    return {
        "owner": "finance-data",
        "retries": 3,
        "retry_delay": dt.timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": dt.timedelta(minutes=30),
        "retry_policy": retry_policy(),
    }
