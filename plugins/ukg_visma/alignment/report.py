"""The alignment plan/result and the drift check as Markdown (for people) and CSV (for sheets).

Why both: finance reads the Markdown in the task log or the reports folder; the CSV, one row per
code and action, goes into a spreadsheet to tick off what HR must create or who settles a
conflict. Neither contains credentials or personal data beyond employee numbers.
"""

from __future__ import annotations

import csv
import io

from ukg_visma.alignment.drift import DriftReport
from ukg_visma.alignment.models import AlignmentPlan

__all__ = [
    "PLAN_CSV_COLUMNS",
    "drift_markdown",
    "plan_csv",
    "plan_markdown",
]

PLAN_CSV_COLUMNS = (
    "segment_id",
    "segment_name",
    "ukg_level",
    "code",
    "action",
    "side",
    "operation",
    "description",
    "active",
    "detail",
)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def plan_markdown(plan: AlignmentPlan, *, applied: bool = False, title: str | None = None) -> str:
    """A review document: per-segment figures, then every write, conflict and issue by code."""
    counts = plan.counts()
    state = "applied" if applied else "planned (dry run: nothing written)"
    ukg_writes = "enabled" if plan.write_cost_centers_to_ukg else "disabled"
    out = [
        f"# {title or 'Cost-centre alignment'}",
        "",
        f"Status: **{state}**. UKG writes {ukg_writes}"
        f" (`write_cost_centers_to_ukg`); conflict winner: `{plan.conflict_winner}`.",
        "",
        f"Created in Visma: {counts['visma_inserts']} · updated in Visma: {counts['visma_updates']}"
        f" · created in UKG: {counts['ukg_inserts']} · updated in UKG: {counts['ukg_updates']}"
        f" · for HR: {counts['for_hr']} · conflicts: {counts['conflicts']}"
        f" ({counts['unresolved_conflicts']} unresolved) · issues: {counts['issues']}"
        f" · unchanged: {counts['unchanged']}",
        "",
        "| segment | UKG level | Visma create | Visma update | UKG create | UKG update | for HR "
        "| conflicts | issues | skipped | unchanged |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for seg in plan.segments:
        ins = sum(c.operation == "Insert" for c in seg.visma_changes)
        uins = sum(c.operation == "Insert" for c in seg.ukg_changes)
        out.append(
            f"| {seg.segment_id} {_cell(seg.segment_name)} | {seg.ukg_level} | {ins} "
            f"| {len(seg.visma_changes) - ins} | {uins} | {len(seg.ukg_changes) - uins} "
            f"| {len(seg.for_hr)} | {len(seg.conflicts)} | {len(seg.issues)} "
            f"| {len(seg.skipped)} | {seg.unchanged} |"
        )
    sections: list[tuple[str, list[str]]] = [
        (
            "Visma segment values",
            [
                f"- {c.operation} segment {c.segment_id} `{c.value}` {_cell(c.description)!r}"
                f"{'' if c.active else ' (inactive)'}"
                for c in plan.visma_changes
            ],
        ),
        (
            "UKG org levels",
            [
                f"- {c.operation} org level {c.level} `{c.code}` {_cell(c.description)!r}"
                for c in plan.ukg_changes
            ],
        ),
        (
            "For HR to create or change in UKG",
            [
                f"- {c.operation} org level {c.level} `{c.code}` {_cell(c.description)!r}"
                f"{'' if c.active else ' (inactive)'}"
                for c in plan.for_hr
            ],
        ),
        (
            "Conflicts (same code, different name or active flag)",
            [
                f"- segment {c.segment_id}: {_cell(c.message)} → {c.resolution}"
                for c in plan.conflicts
            ],
        ),
        (
            "Issues",
            [f"- {c.kind}: {_cell(c.message)}. Fix: {_cell(c.fix)}" for c in plan.issues],
        ),
        (
            "Skipped (inactive on one side, absent on the other)",
            [
                f"- {s.side} only: segment {s.segment_id} `{s.code}` {_cell(s.description)!r}"
                for s in plan.skipped
            ],
        ),
    ]
    for heading, lines in sections:
        if lines:
            out += ["", f"## {heading}", "", *lines]
    if plan.is_empty:
        out += ["", "Both sides agree: nothing to create, update or settle."]
    return "\n".join(out) + "\n"


def plan_csv(plan: AlignmentPlan) -> str:
    """One row per code and action, unchanged codes included (the count is the row count)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(PLAN_CSV_COLUMNS)
    for seg in plan.segments:
        head = (seg.segment_id, seg.segment_name, seg.ukg_level)
        for c in seg.visma_changes:
            writer.writerow(
                (*head, c.value, "write", "visma", c.operation, c.description, c.active, "")
            )
        for u in seg.ukg_changes:
            writer.writerow(
                (*head, u.code, "write", "ukg", u.operation, u.description, u.active, "")
            )
        for u in seg.for_hr:
            writer.writerow(
                (*head, u.code, "for_hr", "ukg", u.operation, u.description, u.active, "")
            )
        for k in seg.conflicts:
            writer.writerow(
                (
                    *head,
                    k.code,
                    "conflict",
                    "both",
                    k.resolution,
                    k.ukg.description,
                    k.ukg.active,
                    k.message,
                )
            )
        for i in seg.issues:
            writer.writerow(
                (*head, i.code, "issue", "ukg", i.kind, "", "", f"{i.message}. Fix: {i.fix}")
            )
        for s in seg.skipped:
            writer.writerow(
                (*head, s.code, "skipped", s.side, "", s.description, False, "inactive")
            )
        for code in seg.unchanged_codes:
            writer.writerow((*head, code, "unchanged", "both", "", "", "", ""))
    return buf.getvalue()


def drift_markdown(report: DriftReport) -> str:
    out = [f"# Mapping drift: {report.source}", ""]
    if report.ok:
        out.append(f"No drift: all {report.checked_codes} org code(s) map to active Visma values.")
        return "\n".join(out) + "\n"
    out += [
        f"{len(report.findings)} of {report.checked_codes} org code(s) cannot post.",
        "",
        "| org level | code | problem | Visma value | seen | where (sample) | fix |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in report.findings:
        out.append(
            f"| {f.ukg_level} | {f.code} | {f.problem} | {f.segment_value or ''} | {f.seen_count} "
            f"| {_cell(', '.join(f.seen_in))} | {_cell(f.fix)} |"
        )
    return "\n".join(out) + "\n"
