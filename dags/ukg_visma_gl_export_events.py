"""
### UKG GL export events → the pay period's run (re-exports of past periods)

Scheduled on the asset `ukg_gl_export_events`: an `AssetWatcher` in the triggerer
(`ukg_visma.events.triggers.InboxGLExportEventsTrigger`) announces `PayrollGLExportCompletedEvent`s
that are still unprocessed in the webhook inbox a minute after they arrived — i.e. that no waiting
pay-period run took (a waiting run's sensor takes its own within seconds).

That is what happens when payroll corrects a month that is already posted and UKG re-exports the
run: finance wants a correction of **that** month. So:

1. **plan_period_runs** — looks each event's `RunId` up in UKG's pay-run listing (this company)
   and takes the pay month of its pay date as the period. An event whose run UKG does not list
   stays in the inbox.
2. **start_period_run** (one per period) — starts `ukg_visma_payroll_gl` with `period` set. That
   run posts only the difference (`payroll.correction_mode`), nothing if the re-export changed
   nothing; validation, `approval_required` and `closed_period` apply as to any run. A retry
   never starts a period twice for the same events (the run id is derived from them).
3. **mark_events_taken** — only once every run exists are the events marked processed: a start
   that failed leaves its events new, and the watcher announces them again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import dag, task

from ukg_visma.events.assets import UKG_GL_EXPORT_EVENTS
from ukg_visma.settings import load_settings
from ukg_visma.tasks.runtime import default_args, quiet_retries

SETTINGS = load_settings()
DEFAULT_ARGS = default_args()


@dag(
    dag_id="ukg_visma_gl_export_events",
    description="UKG re-exported a posted month's GL → starts that pay period's run, which posts "
    "only the difference.",
    schedule=UKG_GL_EXPORT_EVENTS,
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Oslo"),
    catchup=False,
    max_active_runs=1,  # two runs would read the same inbox rows
    dagrun_timeout=dt.timedelta(hours=1),
    default_args=DEFAULT_ARGS,
    tags=["ukg", "visma", "payroll"],
    doc_md=__doc__,
)
def ukg_visma_gl_export_events() -> None:
    @task
    @quiet_retries
    def plan_period_runs() -> dict:
        from ukg_visma.tasks import runtime
        from ukg_visma.tasks.payroll.gl_events import plan_period_runs as step

        return step(
            runtime.ukg_hook(),
            runtime.audit(),
            company_code=SETTINGS.company.ukg_company_code,
            most_recent=SETTINGS.payroll.gl_most_recent,
        )

    @task
    def mark_events_taken(planned: dict, **context: Any) -> int:
        """Only once every period's run exists: an event is never marked taken for a run that
        was not started (a failed start leaves it new, and the watcher announces it again)."""
        from ukg_visma.tasks import runtime
        from ukg_visma.tasks.payroll.gl_events import mark_taken

        return mark_taken(runtime.audit(), planned, context["dag_run"].run_id)

    @task
    def runs_to_start(planned: dict) -> list[dict]:
        return list(planned["starts"])  # mapping needs a plain list (no XCom key)

    planned = plan_period_runs()
    # Airflow's stubs type a @task call's arguments as the function's own parameters; at DAG
    # wiring they are XComArgs, which Airflow resolves to those values before the task runs.
    to_start = runs_to_start(planned)  # type: ignore[arg-type]
    started = TriggerDagRunOperator.partial(
        task_id="start_period_run",
        trigger_dag_id="ukg_visma_payroll_gl",
        skip_when_already_exists=True,
    ).expand_kwargs(to_start)
    started >> mark_events_taken(planned)  # type: ignore[arg-type]


ukg_visma_gl_export_events()
