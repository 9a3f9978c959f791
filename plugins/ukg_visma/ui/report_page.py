"""The run report as one HTML page, from the Markdown files the run wrote (no Airflow, no HTTP).

Every DAG run that writes a report has one page, found from the DAG id:

- a pay-period run (``payroll_gl/{period}/{run}/``): ``summary.md`` (reconcile: journals with
  batch numbers and status, totals, the reconciliation), ``journals.md`` (validate: what
  approving posts, per account × cost centre × project — what the approval prompt links to),
  ``validation.md``, ``mapping_drift.md``, ``posting_plan.md``;
- an employee-sync run (``employee_sync/{day}/{run}/``): ``employee_sync.md`` (who was hired,
  terminated, rehired, transferred; pending and quarantined records; headcount per cost centre)
  and ``mapping_drift.md``;
- an alignment run (``alignment/{run}/``): ``result.md`` (verify) and ``plan.md`` (plan).

Sections that exist come first; those not written yet are listed after them. Markdown is
rendered with raw HTML disabled: a description coming from UKG is shown as text, never as markup.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from ukg_visma.companies import company_of_dag, is_payroll_dag, run_folder_key
from ukg_visma.run_folders import path_part
from ukg_visma.ui.urls import ALIGNMENT_DAG_ID, EMPLOYEE_SYNC_DAG_ID, PAYROLL_DAG_ID


@dataclass(frozen=True)
class Flow:
    """Where one DAG's runs write their reports, and what the page calls them."""

    folder: str
    scoped: bool  # reports under {folder}/{scope}/{run}/ (a period, a day), else {folder}/{run}/
    title: str
    scope_label: str
    sections: tuple[tuple[str, str], ...]
    not_yet: str


PAYROLL = Flow(
    "payroll_gl",
    True,
    "Pay-period run report",
    "pay period",
    (
        ("summary", "Run report: journals, totals, reconciliation"),
        ("journals", "Journals to post: per account × cost centre × project"),
        ("validation", "Validation report"),
        ("mapping_drift", "Mapping drift"),
        ("posting_plan", "Posting plan"),
    ),
    "the run has not reached <code>validate</code> yet",
)
EMPLOYEE_SYNC = Flow(
    "employee_sync",
    True,
    "Employee sync run report",
    "day",
    (
        ("employee_sync", "Employee changes, pending and quarantined records, headcount"),
        ("mapping_drift", "Mapping drift"),
    ),
    "the run has not reached <code>check_headcount</code> yet",
)
ALIGNMENT = Flow(
    "alignment",
    False,
    "Cost-centre alignment report",
    "",
    (("result", "Result: what both sides hold now"), ("plan", "Plan: what the run creates")),
    "the run has not finished <code>plan</code> yet",
)
FLOWS = {PAYROLL_DAG_ID: PAYROLL, EMPLOYEE_SYNC_DAG_ID: EMPLOYEE_SYNC, ALIGNMENT_DAG_ID: ALIGNMENT}
# kept for callers that name the pay-period flow's pieces
FLOW = PAYROLL.folder
SECTIONS = PAYROLL.sections

_MD = MarkdownIt("commonmark", {"html": False}).enable("table")

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1a202c;max-width:80rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{border:1px solid #cbd5e0;padding:.25rem .5rem;font-size:.9rem}
th{background:#edf2f7} td{font-variant-numeric:tabular-nums}
section{border-top:2px solid #2b6cb0;margin-top:1.5rem}
.missing{color:#718096;font-style:italic}
nav a{margin-right:1rem}
"""


@dataclass(frozen=True)
class RunReport:
    """The report files of one DAG run (any may be missing while the run is under way)."""

    run_id: str
    period: str | None  # the scope folder: a pay period, a day; None when not found or unscoped
    files: dict[str, Path]
    flow: Flow = PAYROLL


def flow_of(dag_id: str) -> Flow | None:
    """The report flow of a DAG, or None for a DAG that writes no run report (a group
    company's pay-period DAG is a pay-period flow)."""
    if is_payroll_dag(dag_id):
        return PAYROLL
    return FLOWS.get(dag_id)


def find_run_report(reports_dir: Path, run_id: str, dag_id: str = PAYROLL_DAG_ID) -> RunReport:
    """The run's report folder for its DAG's flow, if any."""
    flow = flow_of(dag_id) or PAYROLL
    flow_dir = reports_dir / flow.folder
    folder_name = path_part(run_folder_key(company_of_dag(dag_id), run_id))
    empty = RunReport(run_id, None, {}, flow)
    if not flow_dir.is_dir() or folder_name in ("", ".", "..") or flow_of(dag_id) is None:
        return empty
    candidates = (
        [(d.name, d / folder_name) for d in sorted(flow_dir.iterdir(), reverse=True) if d.is_dir()]
        if flow.scoped
        else [(None, flow_dir / folder_name)]
    )
    for scope, folder in candidates:
        if folder.is_dir():
            files = {name: folder / f"{name}.md" for name, _ in flow.sections}
            present = {name: path for name, path in files.items() if path.is_file()}
            return RunReport(run_id, scope, present, flow)
    return empty


def render_markdown(text: str) -> str:
    return _MD.render(text)


def render_page(dag_id: str, report: RunReport) -> str:
    """The whole HTML page; sections written come first, those not written yet say so."""
    flow = report.flow if flow_of(dag_id) is not None else None
    title = f"{dag_id} · {report.run_id}"
    heading = flow.title if flow else "Run report"
    scope = (
        f", {flow.scope_label} <strong>{html.escape(report.period)}</strong>"
        if flow and flow.scope_label and report.period
        else ""
    )
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(heading)}</h1><p>DAG <code>{html.escape(dag_id)}</code>, run "
        f"<code>{html.escape(report.run_id)}</code>{scope}</p>",
    ]
    if flow is None:
        parts.append(
            "<p class='missing' id='no-report'>This DAG writes no run report: its result is in "
            "the run's note and its tasks' logs.</p></body></html>"
        )
        return "\n".join(parts)
    if not report.files:
        parts.append(f"<p class='missing' id='no-report'>No report yet: {flow.not_yet}.</p>")
    ordered = [s for s in flow.sections if s[0] in report.files] + [
        s for s in flow.sections if s[0] not in report.files
    ]
    if report.files:
        links = " ".join(
            f"<a href='#{name}'>{html.escape(h)}</a>" for name, h in ordered if name in report.files
        )
        parts.append(f"<nav>{links}</nav>")
    for name, section_heading in ordered:
        parts.append(f"<section id='{name}'><h2>{html.escape(section_heading)}</h2>")
        path = report.files.get(name)
        if path is None:
            parts.append("<p class='missing'>Not written (yet) by this run.</p>")
        else:
            parts.append(render_markdown(path.read_text(encoding="utf-8")))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
