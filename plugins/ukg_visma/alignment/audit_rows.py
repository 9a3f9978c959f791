"""Audit rows of a cost-centre alignment: one per org value, one per department created (pure).

Why per org value: a controller asking "why does cost centre 360 exist in Visma, and since when?"
finds the run, what was done to it (created in Visma, listed for HR, left as a conflict), and the
Visma object that holds it. Rows hold codes and descriptions only (no personal data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ukg_visma.alignment import AlignmentPlan
from ukg_visma.alignment.departments import DepartmentPlan
from ukg_visma.alignment.inputs import read_ukg_org_levels
from ukg_visma.settings import Settings

__all__ = ["audit_rows", "department_rows", "unmapped_codes"]

# When one code has several outcomes, the row shows the one that most needs a person.
_PRIORITY = ("issue", "conflict", "created", "updated", "for_hr", "skipped", "unchanged")


def _key(level: int, code: str) -> str:
    return f"org_level_{level}:{code}"


def audit_rows(plan: AlignmentPlan, *, applied: bool) -> list[dict[str, Any]]:
    """``records.upsert_records`` rows (``source_kind="org_value"``) for every code in the plan.

    Before applying (and in a dry run) writes are ``planned``; after, ``created``/``updated``.
    """
    found: dict[str, dict[str, Any]] = {}

    def note(seg: Any, code: str, status: str, action: str, value: str | None = None) -> None:
        row = found.setdefault(
            _key(seg.ukg_level, code),
            {
                "source_key": _key(seg.ukg_level, code),
                "target_kind": "segment_value",
                "target_key": f"SUBACCOUNT/{seg.segment_id}/{value or code}",
                "statuses": [],
                "detail": {"segment_id": seg.segment_id, "code": code, "actions": []},
            },
        )
        row["statuses"].append(status)
        row["detail"]["actions"].append(action)

    for seg in plan.segments:
        for c in seg.visma_changes:
            verb = "created" if c.operation == "Insert" else "updated"
            note(seg, c.value, verb, f"visma:{c.operation}")
        for u in seg.ukg_changes:
            verb = "created" if u.operation == "Insert" else "updated"
            note(seg, u.code, verb, f"ukg:{u.operation}")
        for u in seg.for_hr:
            note(seg, u.code, "for_hr", f"for_hr:{u.operation}")
        for k in seg.conflicts:
            note(seg, k.code, "conflict", f"conflict:{k.resolution}")
        for i in seg.issues:
            note(seg, i.code, "issue", f"issue:{i.kind}")
        for s in seg.skipped:
            note(seg, s.code, "skipped", f"skipped:{s.side}_only_inactive")
        for code in seg.unchanged_codes:
            note(seg, code, "unchanged", "unchanged")
        for m in seg.mapped:
            row = found.get(_key(seg.ukg_level, m.ukg_code))
            if row is not None:
                row["target_key"] = f"SUBACCOUNT/{seg.segment_id}/{m.segment_value}"
    rows = []
    for row in found.values():
        status = min(row.pop("statuses"), key=_PRIORITY.index)
        if not applied and status in ("created", "updated"):
            status = "planned"
        problem = "conflict" if status == "conflict" else "issue" if status == "issue" else None
        rows.append({**row, "status": status, "error": problem and _problem(plan, row)})
    return rows


def _problem(plan: AlignmentPlan, row: Mapping[str, Any]) -> str:
    code, segment_id = row["detail"]["code"], row["detail"]["segment_id"]
    for k in plan.conflicts:
        if k.code == code and k.segment_id == segment_id:
            return k.message
    for i in plan.issues:
        if i.code == code and i.segment_id == segment_id:
            return f"{i.message}. Fix: {i.fix}"
    return ""


def department_rows(departments: DepartmentPlan) -> list[dict[str, Any]]:
    """Rows (``source_kind="visma_department"``) for the departments created and mismatched."""
    rows = [
        {
            "source_key": c.department_id,
            "target_kind": "department",
            "target_key": f"department/{c.department_id}",
            "status": "created",
            "detail": {"subaccount": c.subaccount, "department_guessed": c.department_guessed},
        }
        for c in departments.creates
    ]
    rows += [
        {
            "source_key": m.department_id,
            "target_kind": "department",
            "target_key": f"department/{m.department_id}",
            "status": "issue",
            "error": m.message,
        }
        for m in departments.mismatches
    ]
    return rows


def unmapped_codes(
    ukg_org_levels: Iterable[Mapping[str, Any]], mapping: Any, settings: Settings
) -> list[str]:
    """Active UKG codes of mapped levels that no mapping row covers (``level:code``)."""
    levels = [s.ukg_level for s in settings.segments]
    defaults = {s.ukg_level: s.default for s in settings.segments}
    covered = set(mapping.segments)
    out = []
    for level, bucket in sorted(read_ukg_org_levels(ukg_org_levels, levels).items()):
        for code, value in sorted(bucket.values.items()):
            if value.active and code != defaults[level] and (level, code) not in covered:
                out.append(f"{level}:{code}")
    return out
