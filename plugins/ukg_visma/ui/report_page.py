"""The run report as one HTML page, from the Markdown files the run wrote (no Airflow, no HTTP).

A pay-period run writes ``validation.md`` (validate), ``mapping_drift.md`` and ``summary.md``
(reconcile: journals with batch numbers and status, totals per account and per cost centre, the
reconciliation, warnings) into ``{paths.reports}/payroll_gl/{period}/{run}/``. The page shows
them in that order. Markdown is rendered with raw HTML disabled: a description coming from UKG
is shown as text, never as markup.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from ukg_visma.run_folders import path_part

FLOW = "payroll_gl"
SECTIONS = (
    ("summary", "Run report: journals, totals, reconciliation"),
    ("validation", "Validation report"),
    ("mapping_drift", "Mapping drift"),
)

_MD = MarkdownIt("commonmark", {"html": False}).enable("table")

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1a202c;max-width:80rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{border:1px solid #cbd5e0;padding:.25rem .5rem;font-size:.9rem}
th{background:#edf2f7} td{font-variant-numeric:tabular-nums}
section{border-top:2px solid #2b6cb0;margin-top:1.5rem}
.missing{color:#718096;font-style:italic}
"""


@dataclass(frozen=True)
class RunReport:
    """The report files of one DAG run (any may be missing while the run is under way)."""

    run_id: str
    period: str | None
    files: dict[str, Path]


def find_run_report(reports_dir: Path, run_id: str) -> RunReport:
    """The run's report folder under ``{reports_dir}/payroll_gl/{period}/``, if any."""
    flow_dir = reports_dir / FLOW
    folder_name = path_part(run_id)
    if not flow_dir.is_dir() or folder_name in ("", ".", ".."):
        return RunReport(run_id, None, {})
    for period_dir in sorted(flow_dir.iterdir(), reverse=True):
        folder = period_dir / folder_name
        if folder.is_dir():
            files = {name: folder / f"{name}.md" for name, _ in SECTIONS}
            present = {name: path for name, path in files.items() if path.is_file()}
            return RunReport(run_id, period_dir.name, present)
    return RunReport(run_id, None, {})


def render_markdown(text: str) -> str:
    return _MD.render(text)


def render_page(dag_id: str, report: RunReport) -> str:
    """The whole HTML page; sections not written yet say so."""
    title = f"{dag_id} · {report.run_id}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Pay-period run report</h1><p>DAG <code>{html.escape(dag_id)}</code>, run "
        f"<code>{html.escape(report.run_id)}</code>"
        + (f", pay period <strong>{html.escape(report.period)}</strong>" if report.period else "")
        + "</p>",
    ]
    if not report.files:
        parts.append(
            "<p class='missing' id='no-report'>No report yet: the run has not reached "
            "<code>validate</code> (or this is not a pay-period run).</p>"
        )
    for name, heading in SECTIONS:
        parts.append(f"<section id='{name}'><h2>{html.escape(heading)}</h2>")
        path = report.files.get(name)
        if path is None:
            parts.append("<p class='missing'>Not written (yet) by this run.</p>")
        else:
            parts.append(render_markdown(path.read_text(encoding="utf-8")))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
