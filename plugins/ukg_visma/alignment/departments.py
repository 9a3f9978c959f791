"""The Visma departments that carry the cost centres: which ones alignment must create.

Why departments at all: Visma's employee DTOs have no cost-centre field, so the employee sync
keeps an employee's Visma cost-centre value in the employee's ``department``
(``ukg_visma.employees.visma_payload``). That needs one Visma department per cost-centre value,
whose ``expenseSubaccount`` names the SUBACCOUNT values (department segment and cost-centre
segment). A cost centre created by alignment without its department would make the first hire
into it fail in the sync, so alignment plans the departments together with the segment values.

Which segment value of the *department* segment a cost centre belongs to is not in UKG's org-level
configuration (levels are not linked there). It is read from the workforce: the department most
active employees of that cost centre sit in, through the mapping. A cost centre nobody works in
yet gets the department segment's default value (``00``) and is named in the report, so finance
can correct the department in Visma by hand.

Existing departments are never changed; one whose ``expenseSubaccount`` does not name its own
cost-centre value is reported (the department segment is not checked: it is a reading of where
people work today, which moves, and a run that creates nothing does not read the workforce).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from ukg_visma.alignment.inputs import mapping_targets, read_ukg_org_levels, read_visma_segments
from ukg_visma.alignment.models import DESCRIPTION_MAX, AlignmentPlan
from ukg_visma.employees.visma_payload import department_body
from ukg_visma.settings import SegmentSetting, Settings

__all__ = [
    "DepartmentChange",
    "DepartmentMismatch",
    "DepartmentPlan",
    "department_segments",
    "plan_departments",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DepartmentChange(_Frozen):
    """One ``POST /v1/department``: ``departmentId`` = the Visma cost-centre value."""

    department_id: str
    description: str
    department_value: str  # the department segment's value in the expense subaccount
    department_segment_id: int | None  # None: settings map a single org level
    cost_centre_segment_id: int
    department_guessed: bool  # no active employee: the department segment's default was used

    @property
    def subaccount(self) -> str:
        """``segment 1 10, segment 2 111``: the expense subaccount, for reports."""
        parts = (
            []
            if self.department_segment_id is None
            else [f"segment {self.department_segment_id} {self.department_value}"]
        )
        return ", ".join([*parts, f"segment {self.cost_centre_segment_id} {self.department_id}"])

    def body(self) -> dict[str, Any]:
        """``DepartmentUpdateBaseDto`` (the employee sync's ``department_body``)."""
        if self.department_segment_id is None:
            return {
                "departmentId": self.department_id,
                "description": {"value": self.description},
                "expenseSubaccount": [
                    {"segmentId": self.cost_centre_segment_id, "segmentValue": self.department_id}
                ],
            }
        return department_body(
            self.department_id,
            self.department_value,
            self.description,
            department_segment_id=self.department_segment_id,
            cost_centre_segment_id=self.cost_centre_segment_id,
        )


class DepartmentMismatch(_Frozen):
    """An existing department whose expense subaccount is not what alignment would create."""

    department_id: str
    cost_centre_segment_id: int
    found: dict[str, str]  # segment id (as text) → value

    @property
    def message(self) -> str:
        found = ", ".join(f"segment {k} {v}" for k, v in sorted(self.found.items())) or "none"
        return (
            f"Visma department {self.department_id} has expense subaccount {found}, not "
            f"segment {self.cost_centre_segment_id} {self.department_id}; the employee sync puts "
            f"cost centre {self.department_id}'s employees there (not changed: correct it in "
            f"Visma)"
        )


class DepartmentPlan(_Frozen):
    creates: tuple[DepartmentChange, ...] = ()
    existing: tuple[str, ...] = ()
    mismatches: tuple[DepartmentMismatch, ...] = ()

    @property
    def guessed(self) -> tuple[DepartmentChange, ...]:
        return tuple(c for c in self.creates if c.department_guessed)

    def markdown(self) -> str:
        """A report section (appended to the alignment report)."""
        out = [
            "## Visma departments (one per cost centre, for the employee sync)",
            "",
            f"To create: {len(self.creates)} · existing: {len(self.existing)}"
            f" · mismatched: {len(self.mismatches)}",
        ]
        if self.creates:
            out.append("")
            for c in self.creates:
                note = " (no active employee: department segment default)" * c.department_guessed
                out.append(
                    f"- department `{c.department_id}` {c.description!r}: {c.subaccount}{note}"
                )
        out += [f"- {m.message}" for m in self.mismatches]
        return "\n".join(out) + "\n"

    def csv_rows(self) -> str:
        """Rows in the layout of ``alignment.report.PLAN_CSV_COLUMNS`` (no header)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for c in self.creates:
            writer.writerow(
                (c.cost_centre_segment_id, "department", "", c.department_id, "write",
                 "visma_department", "Insert", c.description, True, c.subaccount)
            )  # fmt: skip
        for m in self.mismatches:
            writer.writerow(
                ("", "department", "", m.department_id, "issue", "visma_department", "", "", "",
                 m.message)
            )  # fmt: skip
        return buf.getvalue()


def department_segments(
    settings: Settings,
) -> tuple[SegmentSetting, SegmentSetting | None]:
    """``(cost-centre segment, department segment)``: the finest mapped org level and the one
    above it (UKG level 3 → segment 2 and level 2 → segment 1 in ``settings.yaml``)."""
    ordered = sorted(settings.segments, key=lambda s: s.ukg_level)
    return ordered[-1], (ordered[-2] if len(ordered) > 1 else None)


def _employee_frame(employees: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    frame = employees if isinstance(employees, pd.DataFrame) else pd.DataFrame(list(employees))
    if "employeeStatus" in frame:
        frame = frame[frame["employeeStatus"].astype(str) != "T"]
    return frame


def _usual_departments(employees: pd.DataFrame, cc_level: int, dept_level: int) -> dict[str, str]:
    """``{ukg cost-centre code: the UKG department code most of its employees have}``."""
    cc_col, dept_col = f"orgLevel{cc_level}Code", f"orgLevel{dept_level}Code"
    if cc_col not in employees or dept_col not in employees:
        return {}
    pairs = employees[[cc_col, dept_col]].dropna().astype(str)
    out: dict[str, str] = {}
    for code, group in pairs.groupby(cc_col, sort=True)[dept_col]:
        counts = Counter(group)
        # most common; ties broken by the code so that the plan does not depend on row order
        out[str(code)] = min(counts, key=lambda d: (-counts[d], d))
    return out


def plan_departments(
    plan: AlignmentPlan,
    ukg_org_levels_after: Iterable[Mapping[str, Any]],
    visma_segments_after: Mapping[str, Any],
    visma_departments: Iterable[Mapping[str, Any]],
    employees: pd.DataFrame | Iterable[Mapping[str, Any]],
    settings: Settings,
    existing_mapping: Any = None,
) -> DepartmentPlan:
    """The departments to create so that every active UKG cost centre has its Visma department.

    ``*_after``: both sides as they are (or will be, from :func:`apply_plan`) after the plan;
    ``visma_departments``: ``GET /v1/department``; ``employees``: UKG employment details.
    A cost centre's Visma value is its mapping row's value, else the code itself when the plan
    maps it; values that are missing or inactive in Visma get no department (drift reports them).
    """
    cc_seg, dept_seg = department_segments(settings)
    visma = read_visma_segments(visma_segments_after)
    cc_values = visma[cc_seg.segment_id].values if cc_seg.segment_id in visma else {}
    dept_values = (
        visma[dept_seg.segment_id].values if dept_seg and dept_seg.segment_id in visma else {}
    )
    targets = {key: value for key, (value, _) in mapping_targets(existing_mapping).items()}
    for mapped in plan.mapped:
        targets.setdefault((mapped.ukg_level, mapped.ukg_code), mapped.segment_value)
    levels = [cc_seg.ukg_level] + ([dept_seg.ukg_level] if dept_seg else [])
    ukg = read_ukg_org_levels(ukg_org_levels_after, levels)[cc_seg.ukg_level]
    usual = (
        _usual_departments(_employee_frame(employees), cc_seg.ukg_level, dept_seg.ukg_level)
        if dept_seg
        else {}
    )

    wanted: dict[str, tuple[str, bool]] = {}  # Visma cost-centre value → (dept value, guessed)
    for code, value in sorted(ukg.values.items()):
        target = targets.get((cc_seg.ukg_level, code))
        visma_value = cc_values.get(target) if target else None
        if not value.active or not target or visma_value is None or not visma_value.active:
            continue
        if target == cc_seg.default:
            continue
        dept = None
        if dept_seg and code in usual:
            dept = targets.get((dept_seg.ukg_level, usual[code]))
            if dept is not None and not (dept in dept_values and dept_values[dept].active):
                dept = None
        guessed = dept is None
        chosen = (dept or (dept_seg.default if dept_seg else ""), guessed)
        if target not in wanted or (wanted[target][1] and not guessed):
            wanted[target] = chosen

    current = {str(d.get("departmentId", "")).strip(): d for d in visma_departments}
    creates: list[DepartmentChange] = []
    existing: list[str] = []
    mismatches: list[DepartmentMismatch] = []
    for department_id, (dept_value, guessed) in sorted(wanted.items()):
        if department_id in current:
            existing.append(department_id)
            found = {
                str(s.get("segmentId")): str(s.get("segmentValue"))
                for s in current[department_id].get("expenseSubaccount") or []
                if isinstance(s, Mapping)
            }
            if found.get(str(cc_seg.segment_id)) != department_id:
                mismatches.append(
                    DepartmentMismatch(
                        department_id=department_id,
                        cost_centre_segment_id=cc_seg.segment_id,
                        found=found,
                    )
                )
            continue
        creates.append(
            DepartmentChange(
                department_id=department_id,
                description=(cc_values[department_id].description or department_id)[
                    :DESCRIPTION_MAX
                ],
                department_value=dept_value,
                department_segment_id=dept_seg.segment_id if dept_seg else None,
                cost_centre_segment_id=cc_seg.segment_id,
                department_guessed=guessed,
            )
        )
    return DepartmentPlan(
        creates=tuple(creates), existing=tuple(existing), mismatches=tuple(mismatches)
    )
