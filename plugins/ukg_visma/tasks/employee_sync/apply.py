"""Employee sync, step 2 (Visma side): work off the queue of pending changes, in batches.

Order of work, and why:

1. refresh the mirror of Visma's employees (only what changed in Visma since the last read);
2. classify every queued change against the last applied state again (another run may have
   moved it on);
3. **mapping drift first**: a change whose org codes have no mapping, or map to a Visma value that
   is missing or inactive, is *held* — kept in the queue with the drift finding as its reason,
   never dropped — and retried on every run until the mapping exists (terminations are never
   held: deactivating needs no cost centre);
4. create the Visma departments (one per cost centre) that the remaining changes need;
5. apply in batches of ``employee_sync.batch_size``; after each batch the applied snapshots become
   the known state and leave the queue, so an interrupted run resumes where it stopped;
6. changes Visma refused stay queued with the reason; every held or refused change counts one
   more failed run (the alarm fires in step 3 of the DAG);
7. only then does the watermark move to the window's end — and only when the run read the whole
   window (a feed poll or a full read), not when it read by id only (``employees.feed_budget``).

A transient failure (Visma down, rate limit exhausted) ends the task with what was applied so far
recorded; Airflow's retry continues from the queue.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ukg_visma.audit import employees as state
from ukg_visma.audit import records
from ukg_visma.audit import visma_employees as mirror
from ukg_visma.employees.diff import Change, ChangeKind, merge_changes
from ukg_visma.employees.models import EmployeeSnapshot
from ukg_visma.employees.visma_payload import MissingEmail, UnmappedCostCentre, visma_cost_centre
from ukg_visma.hooks.exceptions import ConcurrentUpdateError, NotFoundError, ValidationError
from ukg_visma.mappings import Mappings
from ukg_visma.settings import EMPLOYEE_COST_CENTRE_LEVEL, EMPLOYEE_DEPARTMENT_LEVEL, Settings
from ukg_visma.tasks.drift import check_drift
from ukg_visma.tasks.employee_sync.context import FLOW, SOURCE_CHANGE, SyncContext
from ukg_visma.tasks.employee_sync.visma import (
    EmployeeWriter,
    Outcome,
    ensure_departments,
    refresh_mirror,
    repair,
    short_error,
    visma_difference,
)
from ukg_visma.tasks.reports import write_report

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)

# docs/contracts.md §1: orgLevel3 = cost centre (EmployeeSnapshot.cost_centre), orgLevel2 =
# department. Settings refuse a ``segments`` list that does not map both.
COST_CENTRE_LEVEL = EMPLOYEE_COST_CENTRE_LEVEL
DEPARTMENT_LEVEL = EMPLOYEE_DEPARTMENT_LEVEL
# Refusals that concern one employee: recorded, kept pending, the batch goes on.
PER_RECORD_ERRORS = (
    ValidationError,
    NotFoundError,
    ConcurrentUpdateError,
    UnmappedCostCentre,
    MissingEmail,
)
PRIVATE_FIELDS = ("emailAddress",)  # needed to create the employee, not kept as known state


def _known_state(snapshot: EmployeeSnapshot) -> dict[str, Any]:
    data = snapshot.to_json()
    for key in PRIVATE_FIELDS:
        data.pop(key, None)
    return data


class _Hold:
    """Why employed people in a change cannot reach Visma yet (mapping drift, department)."""

    def __init__(self, drift_findings: Mapping[tuple[int, str], str], cc_mapping: Mapping) -> None:
        self.findings = drift_findings
        self.cc_mapping = cc_mapping
        self.departments: dict[str, str] = {}

    def reason(self, change: Change) -> str | None:
        snap = change.current
        if snap.employeeStatus == "T":
            return None
        reasons = [
            f"mapping drift: {message}"
            for (level, code), message in sorted(self.findings.items())
            if getattr(snap, f"orgLevel{level}Code", None) == code
        ]
        value = visma_cost_centre(snap, self.cc_mapping)
        if value is None and not reasons:
            reasons.append(
                f"mapping drift: {UnmappedCostCentre(snap.employeeNumber, snap.cost_centre)}"
            )
        if value is not None and value in self.departments:
            reasons.append(self.departments[value])
        return "; ".join(reasons) or None


def _department_requests(
    changes: list[Change], mappings: Mappings, settings: Settings, cc_mapping: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """``department_body`` arguments for every cost-centre value the changes need."""
    by_level = {s.ukg_level: s for s in settings.segments}
    cc_setting, dept_setting = by_level.get(COST_CENTRE_LEVEL), by_level.get(DEPARTMENT_LEVEL)
    if cc_setting is None or dept_setting is None:
        return {}
    dept_mapping = mappings.segment_values(DEPARTMENT_LEVEL)
    wanted: dict[str, dict[str, Any]] = {}
    for change in changes:
        snap = change.current
        value = visma_cost_centre(snap, cc_mapping)
        if snap.employeeStatus == "T" or value is None or value in wanted:
            continue
        row = mappings.segments.get((COST_CENTRE_LEVEL, snap.cost_centre or ""))
        wanted[value] = {
            "department": dept_mapping.get(snap.orgLevel2Code or "", dept_setting.default),
            "description": (row.description if row and row.description else f"Cost centre {value}"),
            "department_segment_id": dept_setting.segment_id,
            "cost_centre_segment_id": cc_setting.segment_id,
        }
    return wanted


def apply(
    visma: VismaHook,
    engine: Engine,
    ctx: SyncContext,
    settings: Settings,
    mappings: Mappings,
    extracted: Mapping[str, Any],
) -> dict[str, Any]:
    """Apply the queued changes to Visma; move the watermark; return a small summary (XCom)."""
    sync = settings.employee_sync
    mirrored = refresh_mirror(visma, engine, full=ctx.full_resync)
    present = mirror.numbers(engine)
    cc_mapping = mappings.segment_values(COST_CENTRE_LEVEL)

    queued = [EmployeeSnapshot.model_validate(p["snapshot"]) for p in state.list_pending(engine)]
    known_all = state.get_snapshots(engine)
    known = {
        s.employeeId: EmployeeSnapshot.model_validate(known_all[s.employeeId])
        for s in queued
        if s.employeeId in known_all
    }
    changes = merge_changes(queued, known)
    if ctx.full_resync:
        changes = _repairs(engine, changes, cc_mapping)

    # Drift over everyone we know plus the queue: a new code is reported on the first run that
    # sees it, even before anybody is hired into it.
    workforce = {**known_all, **{s.employeeId: s.to_json() for s in queued}}
    drift = check_drift(
        employees=list(workforce.values()), visma=visma, settings=settings, mapping=mappings
    )
    write_report(settings, ctx, "mapping_drift", markdown=drift.markdown)
    hold = _Hold({(f.ukg_level, f.code): f.message for f in drift.report.findings}, cc_mapping)

    done_nothing = [c for c in changes if not c.applies]
    candidates = [c for c in changes if c.applies and hold.reason(c) is None]
    hold.departments = ensure_departments(
        visma, _department_requests(candidates, mappings, settings, cc_mapping)
    )
    held = [(c, r) for c in changes if c.applies and (r := hold.reason(c)) is not None]
    held_ids = {c.employee_id for c, _ in held}
    to_apply = [c for c in changes if c.applies and c.employee_id not in held_ids]

    writer = EmployeeWriter(
        visma,
        cc_mapping,
        employee_class=sync.visma_employee_class,
        branch=settings.company.visma_branch,
        calendar=sync.visma_calendar,
    )
    counts: dict[str, int] = {}
    failed: list[tuple[Change, str]] = []
    for start in range(0, len(to_apply), sync.batch_size):
        batch = to_apply[start : start + sync.batch_size]
        done: list[tuple[Change, Outcome]] = []
        refused: list[tuple[Change, str]] = []
        try:
            for change in batch:
                try:
                    outcome = writer.apply(change, change.employee_number in present)
                except PER_RECORD_ERRORS as exc:
                    refused.append((change, f"Visma refused: {short_error(exc)}"))
                    continue
                done.append((change, outcome))
                present.add(change.employee_number)
        finally:
            _record_batch(engine, ctx, done, refused)
            failed += refused
            for _, outcome in done:
                counts[outcome.status] = counts.get(outcome.status, 0) + 1

    state.clear_pending(engine, (c.employee_id for c in done_nothing))
    _record(engine, ctx, [records.change_row(c, "noop", c.reason) for c in done_nothing])
    still = held + failed
    state.add_pending(engine, ((c.current, reason) for c, reason in still))
    state.increment_failed_runs(engine, (c.employee_id for c, _ in still))
    _record(engine, ctx, [records.change_row(c, "pending", r) for c, r in held])

    window_end = dt.datetime.fromisoformat(str(extracted["window_end"]).replace("Z", "+00:00"))
    # A run that did not poll the feed (webhook-started, or the feed budget spent) read only the
    # employees its events named: the watermark stays for the next polling run's window.
    if extracted.get("moves_watermark", True):
        mark = state.set_watermark(engine, window_end)
    else:
        mark = state.get_watermark(engine) or window_end
    summary = {
        "mirror": mirrored,
        "applied": counts,
        "held": len(held),
        "failed": len(failed),
        "noop": len(done_nothing),
        "drift": drift.as_xcom(),
        "watermark": mark.isoformat(),
        "visma_calls": visma.stats.as_dict(),
    }
    from ukg_visma.log_text import sync_apply_text

    log.info("%s", sync_apply_text(summary))
    return summary


def _repairs(engine: Engine, changes: list[Change], cc_mapping: Mapping) -> list[Change]:
    """Full resync: repeats whose Visma record differs (edited by hand) become updates."""
    rows = {e["employeeNumber"]: e for e in mirror.employees(engine)}
    out = []
    for change in changes:
        why = None
        if change.kind is ChangeKind.NOOP:
            why = visma_difference(rows.get(change.employee_number), change, cc_mapping)
        out.append(repair(change, why) if why else change)
    return out


def _record(engine: Engine, ctx: SyncContext, rows: list[dict[str, Any]]) -> None:
    records.upsert_records(engine, ctx.audit_run_id, FLOW, SOURCE_CHANGE, rows)


def _record_batch(
    engine: Engine,
    ctx: SyncContext,
    done: list[tuple[Change, Outcome]],
    refused: list[tuple[Change, str]],
) -> None:
    """Checkpoint one batch: applied snapshots become known state and leave the queue."""
    state.put_snapshots(engine, [_known_state(c.current) for c, _ in done])
    state.clear_pending(engine, [c.employee_id for c, _ in done])
    state.add_pending(engine, [(c.current, reason) for c, reason in refused])
    rows = [records.change_row(c, o.status, o.note) for c, o in done]
    rows += [records.change_row(c, "failed", reason) for c, reason in refused]
    _record(engine, ctx, rows)
