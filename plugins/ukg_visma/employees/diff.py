"""Classify what happened to an employee between the last snapshot we applied and the current one.

UKG's change feed returns full snapshots, not diffs, and webhooks arrive late, twice or never: the
only reliable signal is the snapshot itself compared with what we last applied. ``classify`` turns
that pair into one ``Change`` whose ``kind`` a controller can read ("rehire", "transfer", …) and
whose ``visma_action`` tells the sync what to do in Visma. ``merge_changes`` collapses many
snapshots of one employee from one polling window into the newest, remembering the rest as
superseded so that the audit can say why they were not applied.

Pure: plain pydantic models in, frozen dataclasses out; no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from ukg_visma.employees.models import COMPARED_FIELDS, ORG_FIELDS, EmployeeSnapshot


class ChangeKind(StrEnum):
    HIRE = "hire"
    TERMINATION = "termination"
    REHIRE = "rehire"
    TRANSFER = "transfer"
    LEAVE = "leave"
    RETURN_FROM_LEAVE = "return_from_leave"
    UPDATE = "update"
    NOOP = "noop"
    STALE = "stale"


# What the sync does in Visma for a change:
# - "upsert": create the employee if Visma lacks it, else update it (status, department, names);
# - "deactivate_if_exists": set Inactive when Visma has the employee, create nothing otherwise
#   (a person who left before the sync started does not need a Visma record);
# - "none": nothing to write (no-op or stale).
VismaAction = Literal["upsert", "deactivate_if_exists", "none"]


@dataclass(frozen=True)
class Change:
    """One employee's classified change, ready for Visma and for the audit row."""

    kind: ChangeKind
    current: EmployeeSnapshot
    previous: EmployeeSnapshot | None
    changed_fields: tuple[str, ...] = ()
    reason: str = ""
    superseded: tuple[EmployeeSnapshot, ...] = field(default=())

    @property
    def employee_id(self) -> str:
        return self.current.employeeId

    @property
    def employee_number(self) -> str:
        return self.current.employeeNumber

    @property
    def visma_action(self) -> VismaAction:
        if self.kind in (ChangeKind.NOOP, ChangeKind.STALE):
            return "none"
        if self.current.employeeStatus == "T" and (
            self.previous is None or self.previous.employeeStatus == "T"
        ):
            # Never seen active by us: Visma may or may not know the person.
            return "deactivate_if_exists"
        return "upsert"

    @property
    def applies(self) -> bool:
        """Whether the change must reach Visma (and the snapshot then becomes the known state)."""
        return self.visma_action != "none"

    def audit_detail(self) -> dict[str, object]:
        """Non-secret facts for the audit row (codes and dates, no names)."""
        prev = self.previous
        return {
            "kind": str(self.kind),
            "reason": self.reason,
            "changed_fields": list(self.changed_fields),
            "status": f"{prev.employeeStatus if prev else '-'}->{self.current.employeeStatus}",
            "cost_centre": self.current.cost_centre,
            "seen_at": _iso(self.current.observed),
            "superseded": [_iso(s.observed) for s in self.superseded],
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _changed(previous: EmployeeSnapshot, current: EmployeeSnapshot) -> tuple[str, ...]:
    return tuple(f for f in COMPARED_FIELDS if getattr(previous, f) != getattr(current, f))


def _is_new_hire_after(previous: EmployeeSnapshot, current: EmployeeSnapshot) -> bool:
    """A later hire date than the one we knew means a termination happened in between."""
    return (
        current.lastHireDate is not None
        and previous.lastHireDate is not None
        and current.lastHireDate > previous.lastHireDate
        and (previous.terminationDate is None or current.lastHireDate > previous.terminationDate)
    )


def classify(previous: EmployeeSnapshot | None, current: EmployeeSnapshot) -> Change:
    """What ``current`` means given the last snapshot applied to Visma (``None``: never seen)."""
    if previous is not None and previous.employeeId != current.employeeId:
        raise ValueError("classify compares two snapshots of the same employee")
    if previous is None:
        return _first_sight(current)

    seen, known = current.observed, previous.observed
    if seen is not None and known is not None and seen < known:
        return Change(
            ChangeKind.STALE,
            current,
            previous,
            _changed(previous, current),
            reason=(
                f"read {seen.isoformat()}, before the known state read {known.isoformat()}; ignored"
            ),
        )

    changed = _changed(previous, current)
    if not changed:
        reason = "identical snapshot" if current == previous else "no field the sync uses changed"
        return Change(ChangeKind.NOOP, current, previous, (), reason=reason)

    before, after = previous.employeeStatus, current.employeeStatus
    if before == "T" and after != "T":
        return Change(
            ChangeKind.REHIRE, current, previous, changed, reason=_rehire_reason(previous, current)
        )
    if before != "T" and after == "T":
        return Change(
            ChangeKind.TERMINATION,
            current,
            previous,
            changed,
            reason=f"terminated {current.terminationDate or 'without terminationDate'}",
        )
    if before != "T" and _is_new_hire_after(previous, current):
        return Change(
            ChangeKind.REHIRE,
            current,
            previous,
            changed,
            reason=(
                f"lastHireDate moved {previous.lastHireDate} -> {current.lastHireDate}: "
                "a termination between two polls was missed"
            ),
        )
    if before == "A" and after == "L":
        return Change(ChangeKind.LEAVE, current, previous, changed, reason="went on leave")
    if before == "L" and after == "A":
        return Change(
            ChangeKind.RETURN_FROM_LEAVE, current, previous, changed, reason="back from leave"
        )
    moved = tuple(f for f in changed if f in ORG_FIELDS)
    if moved and after != "T":
        return Change(
            ChangeKind.TRANSFER, current, previous, changed, reason="moved: " + ", ".join(moved)
        )
    return Change(
        ChangeKind.UPDATE, current, previous, changed, reason="changed: " + ", ".join(changed)
    )


def _first_sight(current: EmployeeSnapshot) -> Change:
    status = current.employeeStatus
    if status == "T":
        return Change(
            ChangeKind.TERMINATION,
            current,
            None,
            (),
            reason="first seen already terminated; deactivated in Visma only if it exists there",
        )
    reason = "new employee" if status == "A" else "new employee, first seen on leave"
    return Change(ChangeKind.HIRE, current, None, (), reason=reason)


def _rehire_reason(previous: EmployeeSnapshot, current: EmployeeSnapshot) -> str:
    term, hired = previous.terminationDate, current.lastHireDate
    if term is not None and hired is not None and hired > term:
        return f"rehired {hired} after termination {term}"
    # Back to active without a later hire date: UKG reversed the termination.
    return f"termination {term or '(no date)'} reversed (lastHireDate {hired or 'missing'})"


def _order(snapshot: EmployeeSnapshot) -> dt.datetime:
    return snapshot.observed or dt.datetime.min.replace(tzinfo=dt.UTC)


def merge_changes(
    snapshots: Iterable[EmployeeSnapshot],
    known: Mapping[str, EmployeeSnapshot],
) -> list[Change]:
    """One change per employee: the newest snapshot of the window classified against ``known``.

    Older snapshots of the same employee in the window are carried in ``Change.superseded`` (they
    are history the newest already contains). Newest = latest ``observed`` (when the sync read
    it; UKG's feed has no change stamp). On an equal time the later one in the
    input wins, so the order the feed returned them in decides, deterministically.
    Result is sorted by employee id so that batches and audit rows come out in a stable order.
    """
    groups: dict[str, list[EmployeeSnapshot]] = {}
    for snap in snapshots:
        groups.setdefault(snap.employeeId, []).append(snap)
    changes: list[Change] = []
    for employee_id in sorted(groups):
        ordered = sorted(groups[employee_id], key=_order)  # stable sort
        newest, older = ordered[-1], tuple(ordered[:-1])
        change = classify(known.get(employee_id), newest)
        if older:
            change = Change(
                change.kind,
                change.current,
                change.previous,
                change.changed_fields,
                change.reason,
                superseded=older,
            )
        changes.append(change)
    return changes
