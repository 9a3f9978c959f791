"""Task bodies of ``ukg_visma_cost_center_alignment``: plan → apply (Visma, UKG) → verify.

Why three steps with a staged plan in between: finance reviews exactly what will be sent (the plan
report), the apply steps send only that (minus what is already in effect, so a retry is safe),
and the verify step reads both sides again and re-plans: alignment has worked only when that
second plan has nothing left to write. Only then is the generated mapping written, so the
mapping never names a value that one side lacks.

UKG is written only when ``alignment.write_cost_centers_to_ukg`` is on in ``settings.yaml``, both
when planning and when applying; otherwise the UKG task makes no call at all and the values
missing in UKG are listed for HR.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ukg_visma.alignment import (
    AlignmentPlan,
    apply_plan,
    merge_generated_rows,
    plan_alignment,
    plan_csv,
    plan_markdown,
    write_generated_file,
)
from ukg_visma.alignment.audit_rows import audit_rows, department_rows, unmapped_codes
from ukg_visma.alignment.departments import DepartmentPlan, plan_departments
from ukg_visma.alignment.mapping_file import MappingMerge
from ukg_visma.audit import records
from ukg_visma.errors import NotRetryable
from ukg_visma.mappings import GENERATED_COST_CENTERS, Mappings, load_mappings
from ukg_visma.settings import Settings, mappings_dir
from ukg_visma.tasks import staging
from ukg_visma.tasks.alignment import sides as io
from ukg_visma.tasks.reports import write_report

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.hooks.visma import VismaHook

__all__ = [
    "FLOW",
    "AlignmentNotConvergedError",
    "AlignmentRun",
    "apply_to_ukg",
    "apply_to_visma",
    "plan",
    "verify",
]

log = logging.getLogger(__name__)
FLOW = "alignment"


class AlignmentNotConvergedError(NotRetryable, RuntimeError):
    """After applying, a fresh plan still has writes: another writer or a rejected write."""


@dataclass(frozen=True)
class AlignmentRun:
    """One DAG run: its key (staging, reports, audit) and whether it may write.

    A :class:`~ukg_visma.tasks.context.RunContext` without scope: an alignment is about no period.
    """

    run_key: str
    dry_run: bool = True
    flow: str = FLOW
    scope: str = ""

    @classmethod
    def from_context(cls, context: Any) -> AlignmentRun:
        """From a task's context: the DAG run id and the ``dry_run`` param (default: dry)."""
        params = context.get("params") or {}
        return cls(run_key=context["dag_run"].run_id, dry_run=bool(params.get("dry_run", True)))

    @property
    def audit_run_id(self) -> str:
        return f"{FLOW}:{self.run_key}"


# -- planning (pure, on what was read) ---------------------------------------------------------
def _make_plan(
    ukg: UkgHook, sides: io.Sides, settings: Settings, mapping: Mappings
) -> tuple[AlignmentPlan, DepartmentPlan]:
    """The segment plan, and the departments its result needs; proven convergent on paper."""
    plan = plan_alignment(sides.ukg_org_levels, sides.visma_segments, settings, mapping)
    ukg_after, visma_after = apply_plan(plan, sides.ukg_org_levels, sides.visma_segments)
    again = plan_alignment(ukg_after, visma_after, settings, mapping)
    if again.has_writes:  # a planner defect: never send a plan that would not settle
        raise AlignmentNotConvergedError(
            "the alignment plan would not converge (re-planning its own result still writes "
            f"{again.counts()}); nothing was sent"
        )

    def departments(employees: list[dict[str, Any]]) -> DepartmentPlan:
        return plan_departments(
            plan, ukg_after, visma_after, sides.visma_departments, employees, settings, mapping
        )

    result = departments([])
    if result.creates:  # the workforce says which department a new cost centre belongs to
        result = departments(io.read_employees(ukg))
    return plan, result


def _write_report(
    run: AlignmentRun,
    settings: Settings,
    stem: str,
    plan: AlignmentPlan,
    departments: DepartmentPlan,
    *,
    applied: bool,
    extra: str = "",
) -> dict[str, str]:
    markdown = plan_markdown(plan, applied=applied) + "\n" + departments.markdown() + extra
    table = plan_csv(plan) + departments.csv_rows()
    return write_report(settings, run, stem, markdown=markdown, csv=table)


def _load_plan(ref: dict[str, Any]) -> tuple[AlignmentPlan, DepartmentPlan]:
    data = staging.read_json(ref["plan_uri"])
    return (
        AlignmentPlan.model_validate(data["plan"]),
        DepartmentPlan.model_validate(data["departments"]),
    )


def _counts(plan: AlignmentPlan, departments: DepartmentPlan) -> dict[str, int]:
    return {**plan.counts(), "departments_to_create": len(departments.creates)}


# -- 1. plan -----------------------------------------------------------------------------------
def plan(
    ukg: UkgHook, visma: VismaHook, engine: Engine, run: AlignmentRun, settings: Settings
) -> dict[str, Any]:
    """Read both sides, plan, write the plan report, audit each org value as planned."""
    mapping = load_mappings(settings=settings)
    sides = io.read_sides(ukg, visma, settings)
    segment_plan, departments = _make_plan(ukg, sides, settings, mapping)
    records.start_run(engine, run.audit_run_id, FLOW)
    records.upsert_records(
        engine, run.audit_run_id, FLOW, "org_value", audit_rows(segment_plan, applied=False)
    )
    report = _write_report(run, settings, "plan", segment_plan, departments, applied=False)
    uri = staging.write_json(
        run.run_key,
        "alignment_plan",
        {
            "plan": segment_plan.model_dump(mode="json"),
            "departments": departments.model_dump(mode="json"),
        },
    )
    counts = _counts(segment_plan, departments)
    log.info("alignment plan (%s): %s; report %s",
             "dry run" if run.dry_run else "to apply", counts, report["markdown"])  # fmt: skip
    return {"plan_uri": uri, "counts": counts, "report": report, "dry_run": run.dry_run}


# -- 2. apply ----------------------------------------------------------------------------------
def apply_to_visma(visma: VismaHook, ref: dict[str, Any], run: AlignmentRun) -> dict[str, Any]:
    """Segment values first (batched, If-Match), then the cost-centre departments."""
    if run.dry_run:
        return {"dry_run": True}
    segment_plan, departments = _load_plan(ref)
    return {
        **io.apply_segment_batches(visma, segment_plan),
        **io.create_departments(visma, departments.creates),
    }


def apply_to_ukg(
    ukg: UkgHook, ref: dict[str, Any], run: AlignmentRun, settings: Settings
) -> dict[str, Any]:
    """UKG org levels, only when the plan has UKG writes and the setting is (still) on."""
    if run.dry_run:
        return {"dry_run": True}
    segment_plan, _ = _load_plan(ref)
    if not (segment_plan.ukg_changes and settings.alignment.write_cost_centers_to_ukg):
        return {"ukg_writes": 0, "enabled": settings.alignment.write_cost_centers_to_ukg}
    return io.apply_ukg_changes(ukg, segment_plan)


# -- 3. verify ---------------------------------------------------------------------------------
def verify(
    ukg: UkgHook,
    visma: VismaHook,
    engine: Engine,
    ref: dict[str, Any],
    run: AlignmentRun,
    settings: Settings,
    ukg_refused: list[str] | None = None,
) -> dict[str, Any]:
    """Re-read, re-plan (must be empty), write the generated mapping and the result report.

    ``ukg_refused`` are the items UKG refused in apply (level, code, UKG's message): when the
    fresh plan still has writes, they are named, so the operator sees why without the logs.
    """
    planned, planned_departments = _load_plan(ref)
    if run.dry_run:
        summary = {**ref["counts"], "dry_run": True, "report": ref["report"]["markdown"]}
        records.finish_run(engine, run.audit_run_id, "success", summary)
        return summary
    mapping = load_mappings(settings=settings)
    sides = io.read_sides(ukg, visma, settings)
    again, departments = _make_plan(ukg, sides, settings, mapping)
    if again.has_writes or departments.creates:
        counts = _counts(again, departments)
        refused = list(ukg_refused or [])
        records.finish_run(
            engine,
            run.audit_run_id,
            "failed",
            {"left_after_apply": counts, "ukg_refused": refused},
        )
        if refused:
            raise AlignmentNotConvergedError(
                f"after applying, a fresh plan still writes {counts}: UKG refused "
                + "; ".join(refused)
                + "; fix the item (in Visma or UKG) and clear the run to apply again"
            )
        raise AlignmentNotConvergedError(
            f"after applying, a fresh plan still writes {counts}: another writer changed a side "
            "meanwhile; clear the run to apply again"
        )
    merge = merge_generated_rows(again, mapping)
    target = mappings_dir() / GENERATED_COST_CENTERS
    if merge.changed or not target.is_file():
        write_generated_file(merge, mappings_dir())
    unmapped = unmapped_codes(sides.ukg_org_levels, load_mappings(settings=settings), settings)
    extra = _verification_markdown(again, merge, unmapped)
    report = _write_report(run, settings, "result", planned, planned_departments, applied=True,
                           extra=extra)  # fmt: skip
    records.upsert_records(
        engine, run.audit_run_id, FLOW, "org_value", audit_rows(planned, applied=True)
    )
    records.upsert_records(
        engine, run.audit_run_id, FLOW, "visma_department", department_rows(planned_departments)
    )
    summary = {
        **_counts(planned, planned_departments),
        "mapping_rows_added": len(merge.added),
        "mapping_rows_updated": len(merge.updated),
        "unmapped_after": len(unmapped),
        "open_conflicts": again.counts()["unresolved_conflicts"],
        "report": report["markdown"],
    }
    records.finish_run(engine, run.audit_run_id, "success", summary)
    log.info("alignment converged: %s", summary)
    return summary


def _verification_markdown(again: AlignmentPlan, merge: MappingMerge, unmapped: list[str]) -> str:
    counts = again.counts()
    lines = [
        "",
        "## Verification (both sides read again after applying)",
        "",
        f"A fresh plan has nothing left to write (unchanged: {counts['unchanged']}; conflicts "
        f"left for a decision: {counts['unresolved_conflicts']}; for HR: {counts['for_hr']}; "
        f"issues: {counts['issues']}).",
        "",
        f"`{GENERATED_COST_CENTERS}`: {len(merge.added)} row(s) added, {len(merge.updated)} "
        f"updated, {len(merge.kept)} kept from earlier runs, {len(merge.manual)} covered by "
        f"manual rows in cost_centers.csv.",
    ]
    if unmapped:
        lines += ["", "Active UKG org codes still without a mapping row (see issues/for HR):", ""]
        lines += [f"- {code}" for code in unmapped]
    else:
        lines += ["", "Every active UKG org code of the mapped levels has a mapping row."]
    return "\n".join(lines) + "\n"
