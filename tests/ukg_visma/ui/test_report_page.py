"""The run report page finds every DAG's report: a pay period (with the journals approving
posts), an employee sync (a day's folder), an alignment (no scope) — from the files the runs
write through ``tasks.reports``."""

from __future__ import annotations

from pathlib import Path

from ukg_visma.tasks.context import path_part
from ukg_visma.ui.report_page import find_run_report, render_page

RUN = "manual__2026-12-01T06:00:00+00:00"


def _write(base: Path, *parts: str, text: str) -> None:
    path = base.joinpath(*parts[:-1], path_part(RUN), parts[-1])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_run_waiting_for_approval_shows_the_journals_first(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "payroll_gl",
        "2026-10",
        "journals.md",
        text="| account | dept | cc | project |\n|---|---|---|---|\n| 5000 | 10 | 110 | P1 |\n",
    )
    _write(tmp_path, "payroll_gl", "2026-10", "validation.md", text="## Validation: OK\n")
    report = find_run_report(tmp_path, RUN, "ukg_visma_payroll_gl")
    assert report.period == "2026-10" and set(report.files) == {"journals", "validation"}
    page = render_page("ukg_visma_payroll_gl", report)
    assert page.index("id='journals'") < page.index("id='validation'") < page.index("id='summary'")
    assert "per account × cost centre × project" in page and "<td>P1</td>" in page


def test_an_employee_sync_run_shows_its_report(tmp_path: Path) -> None:
    _write(tmp_path, "employee_sync", "2026-12-01", "employee_sync.md",
           text="# Employee sync\n\n- **Hires** (2): 1001, 1002\n")  # fmt: skip
    report = find_run_report(tmp_path, RUN, "ukg_visma_employee_sync")
    page = render_page("ukg_visma_employee_sync", report)
    assert "<h1>Employee sync run report</h1>" in page and "day <strong>2026-12-01" in page
    assert "1001, 1002" in page and "Pay-period" not in page


def test_an_alignment_run_shows_result_then_plan(tmp_path: Path) -> None:
    _write(tmp_path, "alignment", "plan.md", text="# Plan\n\n3 values to create\n")
    report = find_run_report(tmp_path, RUN, "ukg_visma_cost_center_alignment")
    assert report.files.keys() == {"plan"} and report.period is None
    page = render_page("ukg_visma_cost_center_alignment", report)
    assert "Cost-centre alignment report" in page and "3 values to create" in page


def test_a_dag_without_reports_says_so_and_never_shows_another_dags(tmp_path: Path) -> None:
    _write(tmp_path, "payroll_gl", "2026-10", "summary.md", text="posted 1,234.00\n")
    report = find_run_report(tmp_path, RUN, "ukg_visma_gl_export_events")
    page = render_page("ukg_visma_gl_export_events", report)
    assert "writes no run report" in page and "1,234.00" not in page
    empty = render_page("ukg_visma_employee_sync",
                        find_run_report(tmp_path, RUN, "ukg_visma_employee_sync"))  # fmt: skip
    assert "id='no-report'" in empty and "check_headcount" in empty
