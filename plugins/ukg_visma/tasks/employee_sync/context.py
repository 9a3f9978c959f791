"""Who is running the employee sync, and the errors that end a run on purpose.

Kept apart from the step modules so that each of them (extract, apply, verify) and the DAG file
can import these small names without importing the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ukg_visma.errors import NotRetryable

FLOW = "employee_sync"
SOURCE_CHANGE = "employee_change"
SOURCE_EVENT = "webhook_event"


class HeadcountMismatchError(NotRetryable, RuntimeError):
    """UKG and Visma disagree on who is employed in a cost centre (the message has the table)."""


class QuarantineThresholdError(NotRetryable, RuntimeError):
    """More UKG employees are quarantined than ``max_quarantined_percent`` / ``max_quarantined``
    allow: the run fails instead of reporting success with them set aside."""


class PendingChangesAlarm(NotRetryable, RuntimeError):
    """Employee changes have failed to reach Visma for ``alarm_after_failed_runs`` runs or more."""


@dataclass(frozen=True)
class SyncContext:
    """One sync run: its Airflow run id and when it started (names the audit run and reports).

    A :class:`~ukg_visma.tasks.context.RunContext` whose scope is the day the run started (UTC).
    """

    run_key: str
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    full_resync: bool = False
    window_start: dt.datetime | None = None  # manual override of "watermark minus overlap"
    # What started the run: "webhook" (the inbox asset), "scheduled" (the cron) or "manual";
    # a webhook-started run never polls UKG's change feed (``employees.feed_budget``).
    trigger: str = "manual"

    flow: str = FLOW

    @property
    def scope(self) -> str:
        return self.started.astimezone(dt.UTC).date().isoformat()

    @property
    def audit_run_id(self) -> str:
        return f"{FLOW}:{self.scope}:{self.run_key}"


def parse_moment(value: str | dt.datetime | None) -> dt.datetime | None:
    """An ISO date or date-time (a bare date = midnight UTC; a naive time = UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = value.strip().replace("Z", "+00:00")
        moment = (
            dt.datetime.combine(dt.date.fromisoformat(text), dt.time.min)
            if len(text) == 10
            else dt.datetime.fromisoformat(text)
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def run_trigger(run_type: Any) -> str:
    """``webhook`` / ``scheduled`` / ``manual`` from Airflow's ``DagRun.run_type``: an asset-
    triggered run of this DAG was started by the webhook inbox's asset."""
    text = str(getattr(run_type, "value", run_type) or "manual").lower()
    if "asset" in text:
        return "webhook"
    return "scheduled" if text == "scheduled" else "manual"


def sync_context(context: Any) -> SyncContext:
    """The run's context from Airflow's task context (params ``full_resync``, ``window_start``)."""
    dag_run = context["dag_run"]
    params = context.get("params") or {}
    started = getattr(dag_run, "run_after", None) or getattr(dag_run, "start_date", None)
    return SyncContext(
        run_key=dag_run.run_id,
        started=started or dt.datetime.now(dt.UTC),
        full_resync=bool(params.get("full_resync")),
        window_start=parse_moment(params.get("window_start")),
        trigger=run_trigger(getattr(dag_run, "run_type", None)),
    )
