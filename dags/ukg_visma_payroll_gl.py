"""
### UKG payroll GL → Visma journals (one run per pay period)

Runs are **partitioned by pay month**: a run's partition key **is** its pay period (`2026-07`),
and the run list, run ids (`scheduled__…__2026-10__…`, `backfill__…__2026-07__…`) and the
calendar show it. The scheduled run starts after the month ends; a **backfill** from 2026-07-01
to 2026-09-30 makes the runs 2026-07, 2026-08 and 2026-09 and posts exactly those months; a
manual run names its month in the trigger dialog's *Partition key* (or the `period` param), and
can name a single UKG run and a posting date.

**Schedule**: the cron `payroll.schedule` of `settings.yaml` **in the Europe/Oslo timezone**
(`CronPartitionTimetable`, e.g. `0 6 1 * *` = 06:00 Oslo time on the 1st, key = the month that
ended). A pay month is an Oslo calendar month. A run with a partition key is about that month: a
`period` param that disagrees with it fails the run at once (leave it empty there). Runs made
before the switch to partitions keep their data interval as their period.
Every run's note names its pay period (while it runs, then with its key figures or the reason
of a rejection); the **Run report** tab and the `validate` / `reconcile` extra link open the
run report.

1. **wait_for_gl_export** — finds the month's GL runs from UKG's published operations (UKG has
   no run listing: candidates from `run_id`, GL webhook events, `mostRecent` and our journals in
   Visma; each matched to a pay date of the month in `paygroup-payperiods`, voids from the pay
   register) and waits until they are exported and their pay periods closed. A closed pay period
   with no GL run found **fails** here, naming pay group and pay date (give `run_id`).
   Between looks at UKG it is *deferred* (no worker slot) on a trigger that watches the
   webhook inbox: UKG's `PayrollGLExportCompletedEvent` releases it within seconds; without an
   event it looks again after 30 minutes (webhooks get lost). The event's `RunId` counts only when
   that run's pay date is in this period — the period is never guessed from the event.
2. **extract** — every block and every page of the GL export; completeness proven (all blocks,
   run balanced); one audit row per GL line.
3. **fetch_catalog** — Visma's chart of accounts, SUBACCOUNT values, projects, financial periods.
4. **validate** — map (`include/mappings/*.csv`), aggregate, split, then validate everything
   against the catalog. Any error fails the run **before anything is posted**; the report
   (CSV + Markdown) names every bad UKG row, the rule and the fix.
5. **plan** — lists what Visma already holds for the period (once, every page) and decides per
   pay run: post a new run in full, nothing for a run already there or re-exported unchanged,
   an adjustment journal for a re-export that changed (or reverse + repost, by setting), a
   reversal for a run UKG voided. Visma is the truth; the posting ledger is refreshed from it.
6. **post_journal** (one mapped task per journal) — exactly once per journal key, even when a
   response is lost, a worker dies, or another run of the period with its own audit store posts
   the same key at the same moment: the batch is created on hold, the key's batches are read back,
   and only the key's winner (a released holder, else the lowest batch number) is released; a
   losing batch is emptied ("LOST to batch N") and the run's report says so (docs/ledger-truth.md).
7. **reconcile** — lists the period again and compares Visma's net per account × subaccount ×
   project with UKG's latest version of every pay run; fails on a difference, a journal held
   twice, or a batch of ours nobody here posted; writes the run report.

8. **period_posted** (only with `approval_required`) — fails when the controller rejected the
   period: the run is red, the note says who rejected it and why, nothing is in Visma. After the
   fix, clear the run (all tasks) or trigger the period again: a new approval, then the posting.

Replay = clear or retry the failed task: it repeats only what did not complete. A retry of
`post_journal` whose earlier try already settled its journal resumes from the batch number kept
in Airflow's task state store (one read of that batch instead of listing the periods).

**Alerts and assets** (`alerts` in `settings.yaml`, docs/alerts.md): a task that ends failed is
e-mailed / sent to Slack; a period not posted by day `posting_deadline_day` of the next month
raises a deadline alert. Every posted period emits the asset event `ukg_visma_payroll_posted`
with the pay period as its **partition key** (extra: company, period, batches, totals,
reconciliation) for downstream DAGs.

**A group** (`companies:` in `settings.yaml`, docs/decisions/many-companies.md): one such DAG
per company, `ukg_visma_payroll_gl__<company>`, reading that company's UKG pay runs and posting
into that company's Visma (its own connection and tenant), with its own pay groups, schedule,
policies and mapping files. Schedule, trigger, backfill, approve, retry or clear one company's
period without touching the others.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from ukg_visma.alerts.deadline import posting_deadline
from ukg_visma.companies import payroll_dag_id
from ukg_visma.events.gl_sensor import GLExportSensor
from ukg_visma.events.outlets import PAYROLL_POSTED_ALIAS, announce_period_posted
from ukg_visma.periods import SCHEDULE_TIMEZONE, pay_period_timetable
from ukg_visma.settings import Settings, load_settings
from ukg_visma.tasks.runtime import default_args, quiet_retries
from ukg_visma.ui.failures import explain_validation_failure, explained

GROUP = load_settings()
DEFAULT_ARGS = default_args()


def payroll_gl_dag(SETTINGS: Settings) -> None:
    """The pay-period DAG of ``SETTINGS.company`` (``GROUP.for_company``): every hook, mapping
    file, pay group and policy below is that company's."""
    company = SETTINGS.company
    of_company = (
        f" — company {company.id} (UKG {company.ukg_company_code})" if GROUP.is_group else ""
    )

    @dag(
        dag_id=payroll_dag_id(GROUP, company.id),
        description="One run per pay month (Europe/Oslo): UKG payroll GL → validated Visma "
        f"journals, each posted exactly once, then reconciled{of_company}.",
        # one run per pay month, named by it: partition key 2026-10 for October (ukg_visma.periods)
        schedule=pay_period_timetable(SETTINGS.payroll.schedule),
        start_date=pendulum.datetime(2026, 1, 1, tz=SCHEDULE_TIMEZONE),
        catchup=False,
        # Two periods never post into the same company at once: the ledger and the reconciliation
        # of one period must not see another period's half-posted journals.
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        # "pay period not posted by day N of the next month" (alerts.posting_deadline_day)
        deadline=posting_deadline(SETTINGS.alerts) or None,
        tags=["ukg", "visma", "payroll", *([f"company:{company.id}"] if GROUP.is_group else [])],
        doc_md=__doc__,
        params={
            "period": Param(
                None,
                type=["null", "string"],
                pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                title="Pay period (YYYY-MM)",
                description=(
                    "For a manual run without a partition key, e.g. 2026-10 (leave empty when "
                    "the run has a partition key: the key is its period)."
                ),
            ),
            "pay_group": Param(
                None,
                type=["null", "string"],
                title="UKG pay group",
                description="Only this pay group (default: every pay group in settings.yaml).",
            ),
            "run_id": Param(
                None,
                type=["null", "string"],
                title="UKG GL run id(s)",
                description=(
                    "Post only these UKG GL runs, comma-separated (e.g. NMF-202610-C1). UKG "
                    "publishes no run listing: name the runs of a month long past here."
                ),
            ),
            "dry_run": Param(
                False,
                type="boolean",
                title="Dry run",
                description="Extract and validate, write the report, post nothing.",
            ),
            # Optional fields are nullable: Airflow 3.3's trigger form treats an empty value of a
            # non-nullable param as a missing required one and disables its Trigger button.
            "reverse_batches": Param(
                None,
                type=["null", "array"],
                items={"type": "string", "pattern": r"^[A-Za-z0-9_.\-]+$"},
                title="Reverse these Visma batches",
                description=(
                    "Batch numbers of this connector's journals to reverse (debits ↔ credits, same "
                    "dimensions), each exactly once. The run then only reverses; run the period "
                    "again afterwards to post what UKG holds."
                ),
            ),
            "reason": Param(
                None,
                type=["null", "string"],
                maxLength=120,
                title="Reason for the reversal",
                description="Shown in the reversal batch's description and the audit.",
            ),
            "posting_date": Param(
                None,
                type=["null", "string"],
                format="date",
                title="Posting date override",
                description="Transaction date of the journals (default: the pay date).",
            ),
        },
    )
    def ukg_visma_payroll_gl() -> None:
        def post_failure(exc: BaseException, ref: dict) -> str:
            from ukg_visma.tasks import runtime
            from ukg_visma.ui.failures import explain_post_failure

            return explain_post_failure(runtime.visma_hook(SETTINGS), runtime.audit(), ref, exc)

        @task
        @quiet_retries
        def extract(runs: list[dict[str, Any]], **context: Any) -> dict:
            from ukg_visma.lineage import report_gl_runs_read
            from ukg_visma.tasks import runtime
            from ukg_visma.tasks.payroll import extract as step

            ctx, ukg = runtime.run_context(context), runtime.ukg_hook(SETTINGS)
            extracted = step.extract(ukg, runtime.audit(), ctx, runs, SETTINGS)
            report_gl_runs_read(ukg, ctx.period.key, runs, extracted)  # no-op without OpenLineage
            return extracted

        @task
        @quiet_retries
        def fetch_catalog(**context: Any) -> str:
            from ukg_visma.tasks import runtime
            from ukg_visma.tasks.payroll import validate as step

            return step.fetch_catalog(runtime.visma_hook(SETTINGS), runtime.run_context(context))

        # A failure in one sentence (XCom `failure` → the run note; no traceback): the period and
        # the errors for validate, what is left in Visma for post_journal (ukg_visma.ui.failures).
        @task(retries=0)
        @quiet_retries
        @explained(lambda exc, _: explain_validation_failure(exc))
        def validate(extracted: dict, catalog_uri: str, **context: Any) -> dict:
            """local-only: reads staging files and the mappings; fails before anything is posted."""
            from ukg_visma.mappings import load_mappings
            from ukg_visma.tasks import runtime
            from ukg_visma.tasks.payroll import validate as step

            ctx = runtime.run_context(context)
            return step.transform_and_validate(
                runtime.audit(),
                ctx,
                extracted,
                catalog_uri,
                SETTINGS,
                load_mappings(settings=SETTINGS),
            )

        @task
        @quiet_retries
        def plan(validated: dict, catalog_uri: str, **context: Any) -> list[dict]:
            """Reads what Visma holds for the period (once) and decides what is still to create."""
            from ukg_visma.tasks import runtime
            from ukg_visma.tasks.payroll import plan as step

            params = context["params"]
            return step.plan_posting(
                runtime.visma_hook(SETTINGS),
                runtime.audit(),
                runtime.run_context(context),
                SETTINGS,
                validated,
                catalog_uri,
                dry_run=bool(params.get("dry_run")),
                posting_date=params.get("posting_date"),
                reverse_batches=list(params.get("reverse_batches") or []),
                reason=params.get("reason") or "",
            )

        @task(retries=5, max_active_tis_per_dagrun=4)
        @quiet_retries
        @explained(lambda exc, kw: post_failure(exc, kw["ref"]))
        def post_journal(ref: dict, **context: Any) -> dict:
            from ukg_visma.lineage import report_journal_written
            from ukg_visma.tasks import runtime
            from ukg_visma.tasks.payroll import posting as step

            ctx, visma = runtime.run_context(context), runtime.visma_hook(SETTINGS)
            posted = step.post_journal(
                visma,
                runtime.audit(),
                ref,
                ctx.period,
                owner=f"{ctx.run_key}/{ref['journal_key']}",
                release=SETTINGS.payroll.release,
                try_number=int(getattr(context.get("ti"), "try_number", 1) or 1),
                # Airflow 3.3's task state store: a retry resumes from the winner kept there
                store=context.get("task_state_store"),
            )
            report_journal_written(visma, ctx.period.key, ref, posted)  # no-op without OpenLineage
            return posted

        # none_failed: a period with nothing left to create expands post_journal to zero tasks
        # (skipped), and must still be reconciled from Visma's side.
        # A posted and reconciled period emits the `ukg_visma_payroll_posted` asset event (alias:
        # dry runs and reversal-only runs emit none); downstream reporting DAGs schedule on it.
        @task(trigger_rule="none_failed", outlets=[PAYROLL_POSTED_ALIAS])
        @quiet_retries
        def reconcile(posted: list[dict], **context: Any) -> dict:
            from ukg_visma.tasks import runtime
            from ukg_visma.tasks.payroll import reconcile as step
            from ukg_visma.tasks.payroll.staged import staged_journals

            ctx = runtime.run_context(context)
            outcome = step.reconcile_and_report(
                runtime.visma_hook(SETTINGS),
                runtime.audit(),
                ctx,
                SETTINGS,
                staged_journals(ctx),
                list(posted),
            )
            announce_period_posted(
                context, outcome, company=company.ukg_company_code, currency=company.currency
            )
            return outcome

        # Deferred between looks at UKG; UKG's PayrollGLExportCompletedEvent (via the webhook inbox)
        # releases it at once, the 30-minute poke is the safety net (ukg_visma.events.gl_sensor).
        runs = GLExportSensor(
            task_id="wait_for_gl_export",
            pay_groups=SETTINGS.payroll.pay_groups,
            company_code=SETTINGS.company.ukg_company_code,
            retries=3,
        ).output
        catalog = fetch_catalog()
        validated = validate(extract(runs), catalog)  # type: ignore[arg-type]
        refs = plan(validated, catalog)  # type: ignore[arg-type]
        posted = post_journal.expand(ref=refs)
        if SETTINGS.payroll.approval_required:
            # A controller reads the numbers and approves before any money moves; "Reject" skips
            # the posting (nothing is half-posted) and the reason goes to the audit store.
            from ukg_visma.tasks.payroll.approval import PayrollApprovalOperator

            # The prompt names the period, pay runs + versions, counts, totals, top accounts,
            # warnings and the run report link (built by validate); Reject records the reason.
            approve = PayrollApprovalOperator(
                task_id="approve_posting",
                retries=0,
                response_timeout=dt.timedelta(days=5),
            )
            validated >> approve >> refs

            # A rejected period ends red (the decision, note and audit are written first): a month
            # never posted must not look done in the runs list, the calendar or the deadline alert.
            @task(trigger_rule="none_failed", retries=0)
            def period_posted(**context: Any) -> None:
                from ukg_visma.tasks import runtime
                from ukg_visma.tasks.payroll.approval import DECISION_XCOM, require_posted

                decision = context["ti"].xcom_pull(task_ids="approve_posting", key=DECISION_XCOM)
                require_posted(runtime.run_context(context).period.key, decision)

            reconcile(posted) >> period_posted()  # type: ignore[arg-type]
        else:
            reconcile(posted)  # type: ignore[arg-type]

    ukg_visma_payroll_gl()


for _company in GROUP.companies:
    payroll_gl_dag(GROUP.for_company(_company.id))
