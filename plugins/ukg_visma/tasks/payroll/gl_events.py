"""A ``PayrollGLExportCompletedEvent`` that no waiting pay-period run took starts its period's run.

Why: UKG re-exports a pay run when payroll corrects it — often weeks after the month was posted
and closed. For finance that is a correction of *that* month, not something to pick up by hand
or to fold into the next month: the period's run is started again, and its ``plan`` step posts
exactly the difference (``payroll.correction_mode``: an adjustment journal, or reverse and
repost) — nothing when the re-export changed nothing. Everything a run of the period does
applies unchanged: validation before posting, ``payroll.approval_required``, and
``payroll.closed_period`` (a period closed in Visma stops the run and names what to reopen, or
posts into the next open period, by setting).

Which period: never guessed from the event's text. The event names a ``RunId``; the run's GL
header (block 1: pay group, company, period dates) is matched to its pay period in
``paygroup-payperiods`` (``gl.pay_runs.choose_pay_period``), whose pay date gives the pay month —
as the sensor decides. An event whose run UKG has no GL export for (or of another company, or
with no pay period) is left in the inbox and looked at again on the next one.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ukg_visma.gl.pay_runs import choose_pay_period, of_company
from ukg_visma.periods import PayPeriod

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.ukg import UkgHook

log = logging.getLogger(__name__)

LOOKBACK_MONTHS = 24  # how far back a re-export is looked up (pay-run listing window)
PAYROLL_DAG_ID = "ukg_visma_payroll_gl"


def event_run_id(event: Mapping[str, Any]) -> str | None:
    """The ``RunId`` an inbox row's event names (the receiver stores the event as received)."""
    payload = (event.get("payload") or {}).get("Payload") or {}
    run_id = payload.get("RunId")
    return str(run_id) if run_id else None


def periods_of_events(
    ukg: UkgHook,
    events: Iterable[Mapping[str, Any]],
    *,
    company_code: str,
    today: dt.date,
    most_recent: bool = True,
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """The events grouped by the pay period of the run each names, and those UKG does not list.

    One GL header per distinct run and one pay calendar per pay group (pay dates from
    ``LOOKBACK_MONTHS`` back to two months ahead) cover every event. ``most_recent``:
    ``payroll.gl_most_recent`` (whether the header read sends ``mostRecent`` with the run id).
    """
    rows = [dict(e) for e in events]
    if not rows:
        return {}, []
    pay_dates: dict[str, str] = {}
    calendars: dict[str, list[dict[str, Any]]] = {}
    back = today.year * 12 + today.month - 1 - LOOKBACK_MONTHS
    lo = f"{dt.date(back // 12, back % 12 + 1, 1):%Y%m%d}0"
    hi = f"{today + dt.timedelta(days=62):%Y%m%d}9"
    for run_id in sorted({event_run_id(e) or "" for e in rows} - {""}):
        head = ukg.gl_header(run_id, most_recent=most_recent)
        if head is None or not of_company(head, company_code):
            continue
        group = str(head.get("payGroup") or "")
        if group not in calendars:
            calendars[group] = ukg.pay_periods(pay_group=group, start_control=lo, end_control=hi)
        matched, _ = choose_pay_period(head, calendars[group])
        if matched is not None:
            pay_dates[run_id] = str(matched.get("payDate") or "")
    periods: dict[str, list[dict[str, Any]]] = {}
    unknown: list[dict[str, Any]] = []
    for event in rows:
        pay_date = pay_dates.get(event_run_id(event) or "", "")
        if not re.match(r"^\d{4}-\d{2}-\d{2}", pay_date):
            unknown.append(event)
            continue
        period = PayPeriod(int(pay_date[:4]), int(pay_date[5:7])).key
        periods.setdefault(period, []).append(event)
    return periods, unknown


def plan_period_runs(
    ukg: UkgHook,
    engine: Engine,
    *,
    company_code: str,
    today: dt.date | None = None,
    most_recent: bool = True,
) -> dict[str, Any]:
    """The pay-period runs to start for the GL events waiting in the inbox (one per period):
    ``starts`` as ``TriggerDagRunOperator`` kwargs, ``events`` the ids they answer.

    The events stay new here: ``mark_taken`` marks them once the runs exist. The Airflow run id
    of each start is derived from the period and its first event, so a retry (or a second run
    of this DAG reading the same events) never starts a period twice.
    """
    from ukg_visma.audit.inbox import events_since
    from ukg_visma.ukg_events import GL_EXPORT_EVENT

    pending = events_since(engine, GL_EXPORT_EVENT, status="new")
    periods, unknown = periods_of_events(
        ukg,
        pending,
        company_code=company_code,
        today=today or dt.date.today(),
        most_recent=most_recent,
    )
    for event in unknown:
        log.warning(
            "GL export event %s names run %s, which has no GL export of company %s with a pay "
            "period in the last %d months: left in the inbox",
            event["event_id"], event_run_id(event), company_code, LOOKBACK_MONTHS,
        )  # fmt: skip
    starts = []
    taken: list[str] = []
    for period, events in sorted(periods.items()):
        runs = sorted({event_run_id(e) or "" for e in events})
        first = min(str(e["event_id"]) for e in events)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", first)[:60]
        starts.append(
            {
                "trigger_run_id": f"gl_export__{period}__{safe}",
                "conf": {"period": period},
                "note": f"Started by UKG's GL export of {', '.join(runs)} "
                f"(PayrollGLExportCompletedEvent {first})",
            }
        )
        taken.extend(str(e["event_id"]) for e in events)
        log.info("pay period %s: GL export of run(s) %s → starting its run", period, runs)
    return {"starts": starts, "events": taken}


def mark_taken(engine: Engine, planned: Mapping[str, Any], run_id: str) -> int:
    """Mark the planned events processed by ``run_id`` once their periods' runs exist."""
    from ukg_visma.audit.inbox import mark_processed

    events = [str(e) for e in planned.get("events") or []]
    return mark_processed(engine, events, run_id) if events else 0
