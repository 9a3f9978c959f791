"""Employee sync, step 3: headcount check, alarm on long-pending changes, the run report.

The headcount check is the sync's proof that it converged: everyone UKG has on the payroll
(status A or L) per cost centre must be an employed Visma employee in the same department, and
nobody else. A difference fails the run with the table and the employee numbers that explain it.

Quarantined employees (UKG records that cannot be parsed or lack what Visma needs) are **not** set
aside: an employed one missing from Visma is a difference in their cost centre's row (an
unreadable record in a row of its own), so a run that quarantined people never shows an equal
headcount. Those differences are judged by the quarantine's limits (``max_quarantined_percent``,
``max_quarantined``: over them the run fails; under them it ends ``success_with_quarantine``);
any other difference fails the run.

Two groups are set aside, on both sides, and listed in the report instead:

- employees whose change is **pending** (held by mapping drift or refused by Visma) — their reason
  is already known and counted towards the alarm; failing the headcount for them as well would
  turn every new cost centre into a failed run on the first day;
- employees **changed in UKG after this run's window** — the next run picks them up; in a run that
  did not poll the change feed (webhook-started, or the feed's call budget spent) that is after
  the watermark, unless this run read them by id.

The Visma side comes from the employee mirror, refreshed here by ``lastModifiedDateTime`` (so it
includes this run's own writes as Visma stored them); the UKG side is a full read of the
employment details.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from ukg_visma.audit import employees as state
from ukg_visma.audit import records
from ukg_visma.audit import visma_employees as mirror
from ukg_visma.employees.headcount import headcount_diff, mismatches
from ukg_visma.employees.quarantine import Rejection, parse_snapshots
from ukg_visma.employees.report import changes_by_kind, report_markdown
from ukg_visma.mappings import Mappings
from ukg_visma.settings import EMPLOYEE_COST_CENTRE_LEVEL as COST_CENTRE_LEVEL
from ukg_visma.settings import Settings
from ukg_visma.tasks.employee_sync.context import (
    SOURCE_CHANGE,
    HeadcountMismatchError,
    PendingChangesAlarm,
    QuarantineThresholdError,
    SyncContext,
)
from ukg_visma.tasks.employee_sync.visma import refresh_mirror
from ukg_visma.tasks.reports import write_report

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)


def headcount(
    ukg: UkgHook,
    engine: Engine,
    mappings: Mappings,
    window_end: dt.datetime,
    population: list[int] | None = None,
    *,
    covered_until: dt.datetime | None = None,
    read_now: Iterable[str] = (),
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The per-cost-centre table, the numbers set aside (``pending``, ``later``) and the
    quarantined ones (counted, not set aside); ``population`` (if given) receives UKG's employee
    count. ``covered_until``: how far this run's reading is proven (the watermark of a run that
    did not poll the feed); ``read_now``: the employees it read anyway (by id)."""
    population = population if population is not None else []
    ukg_all, unreadable = parse_snapshots(ukg.employment_details())
    population[:] = [len(ukg_all) + len(unreadable)]
    pending_numbers = {str(p["snapshot"].get("employeeNumber")) for p in state.list_pending(engine)}
    quarantined = _quarantined_numbers(engine, unreadable)
    # UKG stamps to the second: a change in the window end's own second may be after it.
    cutoff = window_end.replace(microsecond=0)
    # employment-details' dateTimeChanged (published there, unlike in the feed) tells who changed
    # after the window; a record without it is compared like any other.
    covered = covered_until.replace(microsecond=0) if covered_until is not None else None
    read = set(read_now)
    later = {
        s.employeeNumber
        for s in ukg_all
        if s.dateTimeChanged is not None
        and (
            s.dateTimeChanged >= cutoff
            or (covered and s.dateTimeChanged >= covered and s.employeeNumber not in read)
        )
    }
    aside = (pending_numbers | later) - quarantined
    frame = headcount_diff(
        [s for s in ukg_all if s.employeeNumber not in aside],
        [e for e in mirror.employees(engine) if e["employeeNumber"] not in aside],
        mappings.segment_values(COST_CENTRE_LEVEL),
        unreadable_employed=[r.employee_number or "" for r in unreadable if _employed_raw(r)],
    )
    return frame, {
        "pending": sorted(pending_numbers),
        "later": sorted(later - pending_numbers),
        "quarantined": sorted(quarantined),
    }


def _employed_raw(rejection: Rejection) -> bool:
    """An unparseable employment record that still says the employee is on the payroll."""
    raw = rejection.raw if isinstance(rejection.raw, Mapping) else {}
    status = raw.get("employeeStatusCode", raw.get("employeeStatus"))
    return bool(rejection.employee_number) and status in ("A", "L")


def _moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _quarantined_numbers(engine: Engine, unreadable: list[Rejection]) -> set[str]:
    """Employee numbers to set aside for snapshots that cannot be parsed: the number in the
    snapshot, else the one Visma knows the employee by (the last applied state)."""
    entries = [(q["employee_id"], q["employee_number"]) for q in state.list_rejections(engine)] + [
        (r.employee_id, r.employee_number) for r in unreadable
    ]
    known = state.get_snapshots(engine, [i for i, _ in entries if i])
    numbers = {n for _, n in entries if n}
    numbers |= {str(known[i].get("employeeNumber")) for i, _ in entries if i in known}
    return numbers


def quarantine_over_limit(quarantined: int, employees: int, settings: Settings) -> str | None:
    """Why the quarantine fails the run, or ``None`` (pure: counts and settings)."""
    sync = settings.employee_sync
    if sync.max_quarantined is not None and quarantined > sync.max_quarantined:
        return (
            f"{quarantined} UKG employee(s) quarantined, more than max_quarantined "
            f"{sync.max_quarantined}"
        )
    share = 100.0 * quarantined / employees if employees else (100.0 if quarantined else 0.0)
    if share > sync.max_quarantined_percent:
        return (
            f"{quarantined} of {employees} UKG employee(s) quarantined ({share:.1f} %), more "
            f"than max_quarantined_percent {sync.max_quarantined_percent:g} %"
        )
    return None


def _label(entry: Mapping[str, Any]) -> str:
    if entry.get("employee_number"):
        return f"employee {entry['employee_number']}"
    return f"UKG employee id {entry.get('employee_id') or entry['rejection_key']}"


def _mismatch_text(bad: pd.DataFrame) -> str:
    lines = ["cost centre | UKG | Visma | missing in Visma | unexpected in Visma"]
    rows: Iterable[Any] = bad.itertuples(index=False)  # fields: the frame's columns
    for row in rows:
        lines.append(
            f"{row.cost_centre} | {row.ukg_active} | {row.visma_active} | "
            f"{', '.join(row.missing_in_visma) or '-'} | "
            f"{', '.join(row.unexpected_in_visma) or '-'}"
        )
    return "\n".join(lines)


def verify(
    ukg: UkgHook,
    visma: VismaHook,
    engine: Engine,
    ctx: SyncContext,
    settings: Settings,
    mappings: Mappings,
    extracted: Mapping[str, Any],
    applied: Mapping[str, Any],
) -> dict[str, Any]:
    """Refresh the mirror, compare headcounts, write the report, then fail loudly if needed."""
    refreshed = refresh_mirror(visma, engine)
    window_end = dt.datetime.fromisoformat(str(extracted["window_end"]).replace("Z", "+00:00"))
    population: list[int] = []
    rows = records.fetch_records(engine, run_id=ctx.audit_run_id, source_kind=SOURCE_CHANGE)
    read_now = {str(r["target_key"]).removeprefix("employee ") for r in rows if r.get("target_key")}
    frame, aside = headcount(
        ukg,
        engine,
        mappings,
        window_end,
        population,
        covered_until=_moment(extracted.get("covered_until")),
        read_now=read_now,
    )
    bad = mismatches(frame, explained=aside["quarantined"])
    differing = int((~frame["matches"].astype(bool)).sum()) if len(frame) else 0
    threshold = settings.employee_sync.alarm_after_failed_runs
    alarming = state.pending_over_threshold(engine, threshold)
    pending = state.list_pending(engine)
    quarantine = state.list_rejections(engine)
    markdown = report_markdown(
        ctx.run_key,
        extracted=extracted,
        applied=applied,
        change_rows=rows,
        pending=pending,
        quarantine=quarantine,
        threshold=threshold,
        headcount=frame,
        aside=aside,
    )
    if quarantine:  # said at the top, not only in the quarantine table further down
        head, _, rest = markdown.partition("\n")
        line = (
            f"**{len(quarantine)} UKG employee(s) quarantined — not applied to Visma; counted as "
            f"headcount differences**: {', '.join(_label(q) for q in quarantine[:20])}"
            + (" …" if len(quarantine) > 20 else "")
        )
        markdown = f"{head}\n\n{line}\n{rest}"
    paths = write_report(
        settings, ctx, "employee_sync", markdown=markdown, csv=frame.to_csv(index=False)
    )
    problems = []
    over = quarantine_over_limit(len(quarantine), population[0] if population else 0, settings)
    if over:
        listing = ", ".join(_label(q) for q in quarantine[:50])
        problems.append(f"{over}: {listing}")
    if not bad.empty:
        problems.append(f"headcount mismatch in {len(bad)} cost centre(s):\n{_mismatch_text(bad)}")
    if alarming:
        listing = "\n".join(
            f"- employee {p['snapshot'].get('employeeNumber')}: {p['failed_runs']} run(s), "
            f"{p['reason']}"
            for p in alarming
        )
        problems.append(
            f"{len(alarming)} employee change(s) pending for {threshold} run(s) or more:\n{listing}"
        )
    # A run that set employees aside in quarantine says so in its state, not just "success".
    outcome = "failed" if problems else ("success_with_quarantine" if quarantine else "success")
    summary = {
        "report": paths["markdown"],
        "mirror": refreshed,
        "cost_centres": len(frame),
        "mismatches": len(bad),
        "differing_cost_centres": differing,  # mismatches + those differing by quarantine only
        "pending": len(pending),
        "alarming": len(alarming),
        "quarantined": len(quarantine),
        "outcome": outcome,
        "set_aside": {k: len(v) for k, v in aside.items()},
        "headcount": {
            "ukg_active": int(frame["ukg_active"].sum()),
            "visma_active": int(frame["visma_active"].sum()),
        },
        "applied": applied.get("applied"),
        # employees per change kind (hire, termination, …): the run note (ukg_visma.ui.notes)
        "changes": {k: len(v) for k, v in changes_by_kind(rows).items()},
        "visma_calls": applied.get("visma_calls"),  # requests, 429s, retries, 412 conflicts
    }
    records.finish_run(engine, ctx.audit_run_id, outcome, summary)
    from ukg_visma.log_text import headcount_text

    log.info(
        "%s\nreport: %s",
        headcount_text(frame, mismatches=len(bad), quarantine_only=differing - len(bad)),
        paths["markdown"],
    )
    if problems:
        message = "\n\n".join(problems) + f"\n\nReport: {paths['markdown']}"
        if not bad.empty:
            raise HeadcountMismatchError(message)
        if over:
            raise QuarantineThresholdError(message)
        raise PendingChangesAlarm(message)
    if quarantine:
        log.warning("%d UKG employee snapshot(s) quarantined (cannot be parsed; re-read every "
                    "run): %s", len(quarantine),
                    ", ".join(_label(q) for q in quarantine[:20]))  # fmt: skip
    if pending:
        log.warning("%d employee change(s) pending (below the alarm threshold of %d runs); "
                    "see %s", len(pending), threshold, paths["markdown"])  # fmt: skip
    return summary
