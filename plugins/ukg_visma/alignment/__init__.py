"""Cost-centre alignment between UKG org levels and Visma SUBACCOUNT segments, and drift checks.

Pure logic: plain data in, plain data out; no hook, no audit store, no Airflow, no HTTP. The DAG
``ukg_visma_cost_center_alignment`` reads both sides through the hooks, calls
:func:`plan_alignment`, applies :meth:`AlignmentPlan.visma_batches` / ``ukg_changes``, and
writes the mapping with :func:`merge_generated_rows` / :func:`write_generated_file`, and creates
the cost-centre departments of :func:`plan_departments`; the pay and employee DAGs call
:func:`detect_drift` (through ``ukg_visma.tasks.drift.check_drift``).
"""

from ukg_visma.alignment.departments import DepartmentChange, DepartmentPlan, plan_departments
from ukg_visma.alignment.drift import (
    DriftFinding,
    DriftReport,
    codes_from_employees,
    codes_from_gl_lines,
    count_seen,
    detect_drift,
)
from ukg_visma.alignment.inputs import AlignmentInputError
from ukg_visma.alignment.mapping_file import (
    MappingMerge,
    merge_generated_rows,
    write_generated_file,
)
from ukg_visma.alignment.models import (
    AlignmentPlan,
    Conflict,
    Issue,
    MappedCode,
    SegmentPlan,
    Skipped,
    UkgChange,
    VismaBatch,
    VismaChange,
)
from ukg_visma.alignment.plan import plan_alignment
from ukg_visma.alignment.report import drift_markdown, plan_csv, plan_markdown
from ukg_visma.alignment.simulate import PlanApplyError, apply_plan

__all__ = [
    "AlignmentInputError",
    "AlignmentPlan",
    "Conflict",
    "DepartmentChange",
    "DepartmentPlan",
    "DriftFinding",
    "DriftReport",
    "Issue",
    "MappedCode",
    "MappingMerge",
    "PlanApplyError",
    "SegmentPlan",
    "Skipped",
    "UkgChange",
    "VismaBatch",
    "VismaChange",
    "apply_plan",
    "codes_from_employees",
    "codes_from_gl_lines",
    "count_seen",
    "detect_drift",
    "drift_markdown",
    "merge_generated_rows",
    "plan_alignment",
    "plan_csv",
    "plan_departments",
    "plan_markdown",
    "write_generated_file",
]
