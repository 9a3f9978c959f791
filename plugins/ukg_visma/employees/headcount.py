"""Headcount check: employed people per cost centre in UKG versus active employees in Visma.

The sync's last word on whether it converged. Counting alone can hide two errors that cancel out
(one employee missing from a cost centre, another wrongly in it), so the table also lists who is on
one side only, and a row only matches when the *people* agree, not just the numbers.

Cost centre on the Visma side is the employee's ``department`` (see ``visma_payload`` for why).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ukg_visma.employees.models import EmployeeSnapshot
from ukg_visma.employees.visma_payload import EMPLOYED_VISMA_STATUSES, visma_cost_centre

NO_COST_CENTRE = "(none)"
UNREADABLE = "(unreadable UKG record)"  # employed per the raw record, but it cannot be parsed
COLUMNS = [
    "cost_centre",
    "ukg_active",
    "visma_active",
    "difference",
    "missing_in_visma",
    "unexpected_in_visma",
    "matches",
]


def _ukg_cost_centre(snap: EmployeeSnapshot, cc_mapping: Mapping[str, str] | None) -> str:
    if snap.cost_centre is None:
        return NO_COST_CENTRE
    mapped = visma_cost_centre(snap, cc_mapping)
    return mapped if mapped is not None else f"unmapped UKG {snap.cost_centre}"


def headcount_diff(
    ukg_snapshots: Iterable[EmployeeSnapshot | Mapping[str, Any]],
    visma_employees: Iterable[Mapping[str, Any]],
    cc_mapping: Mapping[str, str] | None = None,
    unreadable_employed: Iterable[str] = (),
) -> pd.DataFrame:
    """One row per cost centre seen on either side, sorted by cost centre.

    - UKG counts status ``A`` and ``L`` (on the payroll), keyed by ``employeeNumber``;
    - Visma counts ``Active`` (and the payment holds ``OnHold``/``HoldPayments``/``OneTime``, which
      are still employed people), keyed by ``employeeNumber`` (= Visma ``employeeCd``);
    - ``difference`` = ``ukg_active - visma_active``; ``missing_in_visma`` / ``unexpected_in_visma``
      are the sorted employee numbers on one side only; ``matches`` is true when both sets agree;
    - ``unreadable_employed``: numbers of employed UKG employees whose record cannot be parsed
      (quarantined) — counted in a row of their own, so that they show as differences instead of
      vanishing from both sides.
    """
    ukg: dict[str, set[str]] = {}
    for raw in ukg_snapshots:
        snap = raw if isinstance(raw, EmployeeSnapshot) else EmployeeSnapshot.model_validate(raw)
        if snap.employed:
            ukg.setdefault(_ukg_cost_centre(snap, cc_mapping), set()).add(snap.employeeNumber)
    for number in unreadable_employed:
        ukg.setdefault(UNREADABLE, set()).add(str(number))
    visma: dict[str, set[str]] = {}
    for emp in visma_employees:
        if emp.get("status") in EMPLOYED_VISMA_STATUSES:
            cc = emp.get("department") or NO_COST_CENTRE
            visma.setdefault(str(cc), set()).add(str(emp.get("employeeNumber")))
    rows = []
    for cc in sorted(set(ukg) | set(visma)):
        left, right = ukg.get(cc, set()), visma.get(cc, set())
        rows.append(
            {
                "cost_centre": cc,
                "ukg_active": len(left),
                "visma_active": len(right),
                "difference": len(left) - len(right),
                "missing_in_visma": sorted(left - right),
                "unexpected_in_visma": sorted(right - left),
                "matches": left == right,
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"ukg_active": "int64", "visma_active": "int64", "difference": "int64"})


def mismatches(frame: pd.DataFrame, explained: Iterable[str] = ()) -> pd.DataFrame:
    """The rows that fail the check (what the run prints before failing): rows that differ by
    someone not in ``explained`` (the quarantined employees, whose difference is shown in the
    table but judged by the quarantine's own limits)."""
    known = set(explained)

    def unexplained(row: Any) -> bool:
        return bool((set(row.missing_in_visma) | set(row.unexpected_in_visma)) - known)

    differs = ~frame["matches"].astype(bool)
    if known and len(frame):
        differs &= frame.apply(unexplained, axis=1).astype(bool)
    return frame.loc[differs].reset_index(drop=True)
