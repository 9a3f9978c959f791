"""Cost-centre alignment I/O: read both sides through the hooks, send the plan's writes.

Why every write re-checks the live state first: a task retry, a run after a partial failure or a
second run must never send a write that is already in effect (Visma refuses to insert a value
twice, UKG answers 409). Segment values go through ``VismaHook.update_segment_values`` (GET +
ETag → PUT with If-Match, re-read on 412), so the batch is computed from the segment as it is at
that moment; POSTs (departments, UKG org levels) are preceded by a read and followed by a
read-back when the answer was lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ukg_visma.alignment import AlignmentPlan
from ukg_visma.alignment.departments import DepartmentChange
from ukg_visma.alignment.inputs import comparable_description, parse_level, segment_value_code
from ukg_visma.hooks.exceptions import ApiError, NotFoundError, ResponseLostError
from ukg_visma.settings import Settings

if TYPE_CHECKING:
    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.hooks.visma import VismaHook

__all__ = [
    "Sides",
    "apply_segment_batches",
    "apply_ukg_changes",
    "create_departments",
    "read_employees",
    "read_sides",
]

log = logging.getLogger(__name__)

# Only what the department of a cost centre is derived from: no names, no pay, no dates.
EMPLOYEE_FIELDS = ("employeeNumber", "employeeStatus", "orgLevel1Code", "orgLevel2Code",
                   "orgLevel3Code", "orgLevel4Code")  # fmt: skip


@dataclass
class Sides:
    """Both sides as read at one moment (raw API bodies, the plan's inputs)."""

    ukg_org_levels: list[dict[str, Any]]
    visma_segments: dict[str, Any]
    visma_departments: list[dict[str, Any]]


def _level(item: Mapping[str, Any]) -> int | None:
    try:
        return parse_level(item.get("level"))
    except ValueError:
        return None  # not a numbered level: nothing this connector maps


def _org_levels(ukg: UkgHook) -> list[dict[str, Any]]:
    """The whole org-level list (it is short); UKG's documentation promises no level filter."""
    return [item for item in ukg.org_levels() if _level(item) is not None]


def read_sides(ukg: UkgHook, visma: VismaHook, settings: Settings) -> Sides:
    """UKG org levels of every mapped level, Visma SUBACCOUNT and Visma departments."""
    mapped = {s.ukg_level for s in settings.segments}
    return Sides(
        ukg_org_levels=[item for item in _org_levels(ukg) if _level(item) in mapped],
        visma_segments=visma.subaccount_dimension(),
        visma_departments=visma.departments(),
    )


def read_employees(ukg: UkgHook) -> list[dict[str, Any]]:
    """UKG employment details reduced to the org codes (read only when a department is due)."""
    return [
        {field: item.get(field) for field in EMPLOYEE_FIELDS} for item in ukg.employment_details()
    ]


# -- Visma segment values ---------------------------------------------------------------------
def _still_needed(items: Iterable[Mapping[str, Any]]) -> Callable[[Any], dict[str, Any] | None]:
    """The ``mutate`` for ``VismaHook.update_segment_values``: the batch minus what the segment
    already holds.

    An Insert whose value exists is dropped whatever its content (a retry, or another writer:
    the re-plan after applying then reports any difference as a conflict); an Update already in
    effect, or of a value that vanished, is dropped too.
    """
    wanted = [dict(item) for item in items]

    def mutate(segment: Any) -> dict[str, Any] | None:
        current = {segment_value_code(v): v for v in (segment or {}).get("segmentValues") or []}
        send = []
        for item in wanted:
            have = current.get(item["value"])
            if item["operation"] == "Insert" and have is None:
                send.append(item)
            elif item["operation"] == "Update" and have is not None:
                same_text = comparable_description(
                    str(have.get("description") or ""), item["value"]
                ) == comparable_description(item["description"]["value"], item["value"])
                if not (same_text and bool(have.get("active")) == item["active"]["value"]):
                    send.append(item)
        return {"segmentValues": send} if send else None

    return mutate


def apply_segment_batches(visma: VismaHook, plan: AlignmentPlan) -> dict[str, int]:
    """Send the plan's segment batches (one locked PUT each); counts of PUTs and values sent."""
    puts = values = 0
    for batch in plan.visma_batches():
        sent = visma.update_segment_values(
            batch.segment_id, _still_needed(batch.body["segmentValues"])
        )
        if sent:
            puts += 1
            values += len(sent["segmentValues"])
            log.info("Visma segment %s: %d value(s) written", batch.segment_id,
                     len(sent["segmentValues"]))  # fmt: skip
    return {"segment_puts": puts, "segment_values_written": values}


# -- Visma departments ------------------------------------------------------------------------
def _department_exists(visma: VismaHook, department_id: str) -> bool:
    try:
        visma.department(department_id)
    except NotFoundError:
        return False
    return True


def create_departments(visma: VismaHook, changes: Iterable[DepartmentChange]) -> dict[str, int]:
    """POST each missing cost-centre department; one that appeared meanwhile is left alone."""
    changes = list(changes)
    if not changes:
        return {"departments_created": 0, "departments_present": 0}
    present = {str(d.get("departmentId", "")).strip() for d in visma.departments()}
    created = already = 0
    for change in changes:
        if change.department_id in present:
            already += 1
            continue
        try:
            visma.create_department(change.body())
        except ResponseLostError:
            # Visma may have committed before the answer was lost: read back before deciding.
            if not _department_exists(visma, change.department_id):
                raise
        except ApiError as exc:
            # 400 "already exists": another writer (or a lost answer of a previous try) won.
            if exc.status != 400 or not _department_exists(visma, change.department_id):
                raise
            already += 1
            continue
        created += 1
    log.info("Visma departments: %d created, %d already present", created, already)
    return {"departments_created": created, "departments_present": already}


# -- UKG org levels ---------------------------------------------------------------------------
def _ukg_index(items: Iterable[Mapping[str, Any]]) -> dict[tuple[int, str], Mapping[str, Any]]:
    return {(parse_level(i.get("level")), str(i.get("code", "")).strip()): i for i in items}


def apply_ukg_changes(ukg: UkgHook, plan: AlignmentPlan) -> dict[str, Any]:
    """Create/update the plan's UKG org levels, each only when not already in effect.

    Creates go in **one** array POST (published: answered 207 with a result per item); an item
    UKG refuses is a finding naming its level, code and why (``ukg_refused``), never re-POSTed —
    the next alignment run plans it again. A lost answer is read back once; codes still missing
    then fail the task (its retry re-plans from UKG's state), nothing is sent twice blindly.
    """
    changes = plan.ukg_changes
    if not changes:
        return {"ukg_writes": 0}
    current = _ukg_index(_org_levels(ukg))
    writes = 0
    refused: list[str] = []
    creates = [c for c in changes if c.operation == "Insert" and (c.level, c.code) not in current]
    if creates:
        try:
            outcomes = ukg.create_org_levels([c.body() for c in creates])
        except ResponseLostError:
            now = _ukg_index(_org_levels(ukg))
            missing = [f"{c.level}/{c.code}" for c in creates if (c.level, c.code) not in now]
            if missing:
                raise
            writes += len(creates)
        else:
            for change, outcome in zip(creates, outcomes, strict=True):
                if outcome.ok:
                    writes += 1
                else:
                    refused.append(f"org level {change.level} code {change.code}: {outcome.why}")
    for change in changes:
        if change.operation == "Insert":
            continue
        have = current.get((change.level, change.code))
        body = change.body()
        if have is None or all(have.get(k) == body[k] for k in ("description", "isActive")):
            continue
        ukg.update_org_level(change.level, change.code, body)
        writes += 1
    for finding in refused:
        log.warning("UKG refused %s", finding)
    if refused:
        log.info("UKG org levels: %d write(s), %d refused", writes, len(refused))
        return {"ukg_writes": writes, "ukg_refused": refused}
    log.info("UKG org levels: %d write(s)", writes)
    return {"ukg_writes": writes}
