"""
### UKG employee changes → Visma employees and departments (on UKG's webhooks, and every few hours)

Scheduled on **time or asset** (`AssetOrTimeSchedule`): a webhook that UKG sends for a hire,
termination, rehire or transfer starts a run within seconds, and the cron
(`employee_sync.schedule` in `include/mappings/settings.yaml`, every 4 h by default) stays as the
safety net for the events UKG loses. None is lost either way, and the headcount per cost centre
is compared on both sides after every run.

UKG's call budget for the change feed (at most 8 calls a day, at least 3 h apart;
`feed_max_calls_per_day`, `feed_min_hours_apart`): only a scheduled or manual run polls the feed,
and only when the budget allows — each call is recorded in the audit store (`feed_calls`); a
webhook-started run reads just the employees its events name, by id
(`employee-changes/{employeeId}`), and a scheduled run inside the 3 h window defers its poll (the
watermark stays) and says so in its report. Every 4 h leaves room for a late start.

How a webhook starts a run: the receiver writes the event to the durable inbox and answers 202
(nothing else, as before). The asset `ukg_employee_events` has an `AssetWatcher` whose trigger
(`ukg_visma.events.triggers.InboxEmployeeEventsTrigger`, run by the triggerer) polls the inbox
every 2 s and, after a 3 s settle time, fires one asset event for everything unprocessed that is
newer than what it last announced. A burst of 100 webhooks is one asset event (or two), and with
`max_active_runs=1` asset events that arrive during a run queue one more run at most — each run
drains the whole inbox. Why a watcher and not an asset event registered by the receiver: the
inbox stays the one source of truth (no second write in the request that can fail on its own),
a triggerer or metadata-DB outage only delays the run (the next look re-announces what is still
unprocessed), the receiver needs no access to Airflow internals, and bursts coalesce before they
reach the scheduler.

1. **extract_changes** (UKG) — drains the webhook inbox (events the receiver at
   `/ukg-visma/webhooks/ukg` stored), polls the change feed from the watermark minus the overlap
   to now (every page) when the budget allows, fetches full details for employees only an event
   named, merges by employee (newest wins) and queues every change that
   must reach Visma. Repeats and out-of-order snapshots are not queued; each gets an audit row.
   The first run, and a run with `full_resync`, read every employee instead (initial load).
2. **apply_to_visma** (Visma) — holds changes whose org codes have mapping drift (kept pending,
   never dropped), creates missing cost-centre departments, then creates/updates employees in
   batches: create at most once (a lost POST answer is read back by employee number), every
   update with If-Match (412 → re-read, re-apply), termination = `Inactive`, rehire = the same
   employee `Active` again. Moves the watermark only when every queued change is applied or
   recorded as pending with its reason.
3. **check_headcount** (both) — active employees per cost centre, UKG vs Visma; any difference
   fails the run with the table and the employee numbers. Writes the Markdown report and fails
   with an alarm when a change has been pending for `alarm_after_failed_runs` runs.

Replay = retry or clear a task: the queue and the known state live in the audit store, so a step
repeats only what did not complete. Manual runs: `full_resync` (re-read everyone and reconcile)
or `window_start` (poll the change feed from that moment instead of the watermark).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from ukg_visma.events.assets import UKG_EMPLOYEE_EVENTS
from ukg_visma.events.outlets import EMPLOYEES_SYNCED, announce_employees_synced
from ukg_visma.settings import load_settings
from ukg_visma.tasks.runtime import default_args, quiet_retries

SETTINGS = load_settings()
DEFAULT_ARGS = default_args()


@dag(
    dag_id="ukg_visma_employee_sync",
    description="UKG hires, terminations, rehires, transfers → Visma employees; on webhooks and "
    f"on cron {SETTINGS.employee_sync.schedule} (Europe/Oslo); headcount per cost centre checked.",
    # A webhook (through the inbox watcher) or the cron, whichever comes first.
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(SETTINGS.employee_sync.schedule, timezone="Europe/Oslo"),
        assets=UKG_EMPLOYEE_EVENTS,
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Oslo"),
    catchup=False,
    # One run at a time: two runs would work off the same queue and move the same watermark.
    max_active_runs=1,
    dagrun_timeout=dt.timedelta(hours=2),
    default_args=DEFAULT_ARGS,
    tags=["ukg", "visma", "employees"],
    doc_md=__doc__,
    params={
        "full_resync": Param(
            False,
            type="boolean",
            title="Full resync",
            description="Read every employee in UKG and Visma and reconcile, instead of the "
            "changes since the watermark.",
        ),
        "window_start": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$",
            title="Change feed from",
            description="Poll UKG's change feed from this date or UTC date-time (e.g. "
            "2026-11-01 or 2026-11-01T06:00:00Z) instead of the watermark minus the overlap "
            "(when UKG's feed budget allows: 8 calls a day, 3 h apart; else it is deferred).",
        ),
    },
)
def ukg_visma_employee_sync() -> None:
    @task
    @quiet_retries
    def extract_changes(**context: Any) -> dict:
        from ukg_visma.settings import load_settings
        from ukg_visma.tasks import runtime
        from ukg_visma.tasks.employee_sync import extract as step
        from ukg_visma.tasks.employee_sync.context import sync_context

        ctx = sync_context(context)
        return step.extract(runtime.ukg_hook(), runtime.audit(), ctx, load_settings())

    @task
    @quiet_retries
    def apply_to_visma(extracted: dict, **context: Any) -> dict:
        from ukg_visma.mappings import load_mappings
        from ukg_visma.settings import load_settings
        from ukg_visma.tasks import runtime
        from ukg_visma.tasks.employee_sync import apply as step
        from ukg_visma.tasks.employee_sync.context import sync_context

        ctx, settings = sync_context(context), load_settings()
        return step.apply(
            runtime.visma_hook(),
            runtime.audit(),
            ctx,
            settings,
            load_mappings(settings=settings),
            extracted,
        )

    # A sync whose headcount check passed emits `ukg_visma_employees_synced` (extra: counts).
    @task(outlets=[EMPLOYEES_SYNCED])
    @quiet_retries
    def check_headcount(extracted: dict, applied: dict, **context: Any) -> dict:
        from ukg_visma.mappings import load_mappings
        from ukg_visma.settings import load_settings
        from ukg_visma.tasks import runtime
        from ukg_visma.tasks.employee_sync import verify as step
        from ukg_visma.tasks.employee_sync.context import sync_context

        ctx, settings = sync_context(context), load_settings()
        summary = step.verify(
            runtime.ukg_hook(),
            runtime.visma_hook(),
            runtime.audit(),
            ctx,
            settings,
            load_mappings(settings=settings),
            extracted,
            applied,
        )
        announce_employees_synced(context, summary)
        return summary

    extracted = extract_changes()
    # Airflow's stubs type a @task call's arguments as the function's own parameters; at DAG
    # wiring they are XComArgs, which Airflow resolves to those values before the task runs.
    check_headcount(extracted, apply_to_visma(extracted))  # type: ignore[arg-type]


ukg_visma_employee_sync()
