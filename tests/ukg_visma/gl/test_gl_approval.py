"""The approval prompt names what a controller approves: period, runs + versions, counts,
totals, the largest accounts, warnings and the report link."""

from __future__ import annotations

import pandas as pd
from gl_factory import MAPPINGS, SETTINGS, export, two_employees

from ukg_visma.gl.approval import approval_prompt
from ukg_visma.gl.findings import Finding
from ukg_visma.gl.transform import transform
from ukg_visma.money import format_ore


def test_the_prompt_carries_the_numbers() -> None:
    journals = transform(export(two_employees()), MAPPINGS, SETTINGS).journals
    warning = Finding(
        rule="project_inactive",
        severity="warning",
        subject="project P-7",
        problem="project is closed in Visma",
        fix="reopen it or map to another",
        count=2,
        rows=pd.DataFrame(),
    )
    text = approval_prompt("2026-10", journals, [warning], report_link="/ukg-visma/reports/d/r")
    debit = sum(j.debit_ore for j in journals)
    lines = sum(len(j.lines) for j in journals)
    assert text.startswith(f"**Pay period 2026-10** — {len(journals)} journal(s), {lines} line(s)")
    assert f"debit **{format_ore(debit)}**, credit **{format_ore(debit)}**" in text
    for j in journals:
        assert f"- {j.pay_run} — {j.gl_run_datetime}" in text
    accounts = {line.account for j in journals for line in j.lines}
    assert any(f"| {a} |" in text for a in accounts)
    assert "project P-7: project is closed in Visma — reopen it or map to another (2 rows)" in text
    assert "[Open the full run report](/ukg-visma/reports/d/r)" in text


def test_no_warnings_is_said_and_top_is_bounded() -> None:
    journals = transform(export(two_employees()), MAPPINGS, SETTINGS).journals
    text = approval_prompt("2026-10", journals, [], report_link="x", top=1)
    assert "Validation: no warnings." in text and "Top 1 account(s):" in text
