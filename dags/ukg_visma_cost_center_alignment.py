"""
### Cost-centre alignment: UKG org levels ↔ Visma SUBACCOUNT (manual)

Run at initial setup, and whenever finance asks (a reorganisation, a drift warning from the
employee sync or the pay-period validation). Trigger it by hand; it has no schedule.

**Dry run by default.** The trigger form's *Dry run* box is ticked: the first run only reads both
sides and writes the plan report, so finance can review exactly what would be created before
anything is. Untick it to apply the same rules.

1. **plan** — reads the UKG org levels of every level `settings.yaml` maps (department → segment
   1, cost centre → segment 2), Visma's SUBACCOUNT values and departments; plans what to create
   on each side; writes `plan.md` / `plan.csv` under
   `{paths.reports}/alignment/<run id>/`; one audit row per org value.
2. **apply_to_visma** — missing segment values are created in batched segment PUTs with If-Match;
   then one Visma department per cost centre (the employee sync keeps an employee's cost centre
   in the Visma employee's `department`). Skipped in a dry run.
3. **apply_to_ukg** — values that only Visma has are created in UKG's org-level configuration
   **only** when `alignment.write_cost_centers_to_ukg: true` in `settings.yaml` (default off:
   UKG gets no call at all, and the values are listed *for HR* in the report). Deliberately not a
   trigger-form option: writing to UKG is a reviewed configuration decision, not a click.
4. **verify** — reads both sides again and re-plans: the run succeeds only when nothing is left
   to write. Then it refreshes `include/mappings/cost_centers.generated.csv` (hand-made rows in
   `cost_centers.csv` stay untouched and win) and writes `result.md` / `result.csv`.

Conflicts (same code, different name or active flag) are reported, never overwritten — unless
`alignment.conflict_winner` in `settings.yaml` names the side that wins. A second run with no
change in either system writes nothing. Replay = clear the failed task: every write is checked
against the live state first.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from ukg_visma.tasks.runtime import default_args, quiet_retries


@dag(
    dag_id="ukg_visma_cost_center_alignment",
    description="Manual, dry run by default: UKG org levels ↔ Visma SUBACCOUNT values and "
    "departments, planned, reviewed, then created.",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Oslo"),
    catchup=False,
    max_active_runs=1,  # two alignments at once would race for the same values
    default_args=default_args(),
    tags=["ukg", "visma", "alignment"],
    doc_md=__doc__,
    params={
        "dry_run": Param(
            True,
            type="boolean",
            title="Dry run (plan only)",
            description="Ticked: read both systems and write the plan report, change nothing. "
            "Untick to create the missing values.",
        ),
    },
)
def ukg_visma_cost_center_alignment() -> None:
    @task
    @quiet_retries
    def plan(**context: Any) -> dict:
        from ukg_visma.settings import load_settings
        from ukg_visma.tasks import runtime as r
        from ukg_visma.tasks.alignment import steps as a

        run = a.AlignmentRun.from_context(context)
        return a.plan(r.ukg_hook(), r.visma_hook(), r.audit(), run, load_settings())

    @task
    @quiet_retries
    def apply_to_visma(ref: dict, **context: Any) -> dict:
        from ukg_visma.tasks import runtime as r
        from ukg_visma.tasks.alignment import steps as a

        return a.apply_to_visma(r.visma_hook(), ref, a.AlignmentRun.from_context(context))

    @task
    @quiet_retries
    def apply_to_ukg(ref: dict, **context: Any) -> dict:
        from ukg_visma.settings import load_settings
        from ukg_visma.tasks import runtime as r
        from ukg_visma.tasks.alignment import steps as a

        run = a.AlignmentRun.from_context(context)
        return a.apply_to_ukg(r.ukg_hook(), ref, run, load_settings())

    @task
    @quiet_retries
    def verify(ref: dict, visma_done: dict, ukg_done: dict, **context: Any) -> dict:
        from ukg_visma.settings import load_settings
        from ukg_visma.tasks import runtime as r
        from ukg_visma.tasks.alignment import steps as a

        run = a.AlignmentRun.from_context(context)
        refused = ukg_done.get("ukg_refused", [])
        return a.verify(r.ukg_hook(), r.visma_hook(), r.audit(), ref, run, load_settings(), refused)

    ref = plan()
    # Airflow's stubs type a @task call's arguments as the function's own parameters; at DAG
    # wiring they are XComArgs, which Airflow resolves to those values before the task runs.
    visma_done = apply_to_visma(ref)  # type: ignore[arg-type]
    ukg_done = apply_to_ukg(ref)  # type: ignore[arg-type]
    visma_done >> ukg_done  # UKG is touched only after Visma holds every value
    verify(ref, visma_done, ukg_done)  # type: ignore[arg-type]


ukg_visma_cost_center_alignment()
