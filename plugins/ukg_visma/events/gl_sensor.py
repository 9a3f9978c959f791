"""The pay-period sensor: released by UKG's ``PayrollGLExportCompletedEvent``, polled as a net.

UKG is asked first (``completed_pay_runs``: the month's GL runs found from UKG's published
operations — candidates from the ``run_id`` param, the inbox's GL events, ``mostRecent`` and our
journal keys in Visma, each matched to a pay date of the month through ``paygroup-payperiods``;
docs/decisions/pay-run-discovery.md). A closed pay period of a configured pay group with no GL run
found fails the sensor at once with a report naming it (no false green). When nothing is
complete yet, the sensor **defers** — no worker slot, no poke every 30 minutes — to
:class:`~ukg_visma.events.triggers.GLExportEventTrigger`, which watches the webhook inbox. It
resumes the moment a ``PayrollGLExportCompletedEvent`` lands (or when ``poke_interval`` has
passed: webhooks get lost), and asks UKG again. Which period an event belongs to is never guessed
from its text: the event's ``RunId`` is looked for among the runs UKG lists for this period (by
pay date); an event of another period's run leaves this sensor waiting, and that run's own sensor
takes it. The consumed events are marked processed in the inbox by this run.

``since`` is taken *before* each look at UKG, so an event that arrives between the look and the
deferral still releases the sensor.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowSensorTimeout

from ukg_visma.events.triggers import GLExportEventTrigger

log = logging.getLogger(__name__)


class GLExportSensor(BaseSensorOperator):
    """Wait until UKG reports the period's pay run(s) completed with a GL export.

    ``pay_groups``: the configured pay groups (the ``pay_group`` param narrows them);
    ``company_code``: only this UKG company's runs (``company.ukg_company_code``);
    ``poke_interval``: the longest wait without a look at UKG (a lost webhook costs at most this);
    ``timeout``: the whole wait, across deferrals. XCom ``return_value``: the completed runs.
    """

    def __init__(
        self,
        *,
        pay_groups: Iterable[str],
        company_code: str,
        event_poll_s: float = 2.0,
        **kwargs: Any,
    ):
        kwargs.setdefault("poke_interval", 1800)
        kwargs.setdefault("timeout", 5 * 24 * 3600)
        super().__init__(**kwargs)
        self.pay_groups = list(pay_groups)
        self.company_code = company_code
        self.event_poll_s = event_poll_s

    # -- one look at UKG -------------------------------------------------------------------------
    def poke(self, context: Any) -> PokeReturnValue:
        from ukg_visma.tasks.payroll.pay_runs import completed_pay_runs
        from ukg_visma.tasks.runtime import run_context, ukg_hook

        params = context["params"]
        if params.get("reverse_batches"):  # a reversal on request does not wait for UKG
            return PokeReturnValue(is_done=True, xcom_value=[])
        from ukg_visma.gl.pay_runs import GLRunNotFoundError
        from ukg_visma.tasks.runtime import audit, company_settings, visma_hook

        ctx = run_context(context)
        settings = company_settings(context)  # this DAG's company: its UKG and Visma connections
        groups = [params["pay_group"]] if params.get("pay_group") else self.pay_groups
        try:
            runs = completed_pay_runs(
                ukg_hook(settings),
                ctx.period,
                groups,
                params.get("run_id"),
                company_code=self.company_code,
                engine=audit(),
                visma=visma_hook(settings),
                tenant=settings.company.tenant,
                most_recent=settings.payroll.gl_most_recent,
            )
        except GLRunNotFoundError as exc:
            from ukg_visma.tasks.reports import write_report

            text = f"# Pay period {ctx.period.key}: GL run not found\n\n{exc}\n"
            paths = write_report(settings, ctx, "discovery", markdown=text)
            log.error("%s (report: %s)", exc, paths["markdown"])
            raise
        return PokeReturnValue(is_done=bool(runs), xcom_value=runs)

    # -- defer between looks ---------------------------------------------------------------------
    def execute(self, context: Any) -> Any:
        started = dt.datetime.now(dt.UTC)
        return self._look_or_defer(context, started, seen=[])

    def execute_complete(
        self,
        context: Any,
        event: dict[str, Any] | None = None,
        started_at: str = "",
        seen: list[str] | None = None,
    ) -> Any:
        started = dt.datetime.fromisoformat(started_at) if started_at else dt.datetime.now(dt.UTC)
        events = list((event or {}).get("events") or [])
        if events:
            named = ", ".join(f"{e['event_id']} (run {e.get('run_id')})" for e in events)
            log.info("released by PayrollGLExportCompletedEvent: %s", named)
        else:
            log.info("poke interval passed without an event: asking UKG (safety net)")
        return self._look_or_defer(context, started, seen=list(seen or []), events=events)

    def _look_or_defer(
        self,
        context: Any,
        started: dt.datetime,
        seen: list[str],
        events: list[dict[str, Any]] | None = None,
    ) -> Any:
        since = dt.datetime.now(dt.UTC)  # before the look: nothing can slip between
        result = self.poke(context)
        if result.is_done:
            runs = result.xcom_value or []
            self._mark_consumed(context, runs, events or [])
            return runs
        for e in events or []:
            log.info(
                "event %s names run %s, which UKG does not list as a completed run of this "
                "period: still waiting",
                e["event_id"],
                e.get("run_id"),
            )
        elapsed = (dt.datetime.now(dt.UTC) - started).total_seconds()
        if elapsed >= self.timeout:
            raise AirflowSensorTimeout(f"no completed pay run with a GL export in {elapsed:.0f}s")
        seen = [*seen, *(e["event_id"] for e in events or [])][-200:]
        wait_s = max(1.0, min(float(self.poke_interval), self.timeout - elapsed))
        self.defer(
            trigger=GLExportEventTrigger(
                since=since.isoformat(), seen=seen, wait_s=wait_s, poll_s=self.event_poll_s
            ),
            method_name="execute_complete",
            kwargs={"started_at": started.isoformat(), "seen": seen},
        )

    @staticmethod
    def _mark_consumed(context: Any, runs: list[dict[str, Any]], events: list[dict]) -> None:
        """The unprocessed GL events naming one of this period's runs are done: this run took
        them (also those that arrived before the sensor started, so none lingers as ``new``)."""
        from ukg_visma.audit.inbox import events_since, mark_processed
        from ukg_visma.tasks.runtime import audit
        from ukg_visma.ukg_events import GL_EXPORT_EVENT

        ids = {r.get("runId") for r in runs}
        engine = audit()
        pending = events_since(engine, GL_EXPORT_EVENT, status="new")
        mine = [
            r["event_id"]
            for r in pending
            if ((r.get("payload") or {}).get("Payload") or {}).get("RunId") in ids
        ]
        if mine:
            mark_processed(engine, mine, context["dag_run"].run_id)
            log.info("inbox: %d PayrollGLExportCompletedEvent(s) taken by this run", len(mine))
