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


def test_the_journals_report_lists_every_account_cost_centre_and_project_that_approving_posts() -> (
    None
):
    from ukg_visma.gl.approval import journals_markdown

    journals = transform(export(two_employees()), MAPPINGS, SETTINGS).journals
    names = {s.segment_id: s.name for s in SETTINGS.segments}
    text, table = journals_markdown("2026-10", journals, names)
    debit = sum(j.debit_ore for j in journals)
    assert text.startswith(
        f"Pay period **2026-10**: {len(journals)} journal(s) to post, debit "
        f"**{format_ore(debit)}**, credit **{format_ore(debit)}** (NOK) — balanced."
    )
    assert "| account | description | Department | Cost centre | project | task |" in text
    for j in journals:
        assert f"`{j.journal_key}`" in text
    # every account × subaccount × project × task key of the journals is one row, with its sums
    keys: dict[tuple[str, ...], list[int]] = {}
    for j in journals:
        for line in j.lines:
            seg = dict(line.segments)
            key = (line.account, seg.get(1, ""), seg.get(2, ""), line.project, line.task)
            keys.setdefault(key, [0, 0])
            keys[key][0] += line.debit_ore
            keys[key][1] += line.credit_ore
    import csv
    import io

    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0] == ["account", "description", "Department", "Cost centre", "project", "task",
                       "debit", "credit"]  # fmt: skip
    assert len(rows) - 1 == len(keys)
    got = {tuple(r[:1] + r[2:6]): (r[6], r[7]) for r in rows[1:]}
    assert got == {k: (format_ore(d), format_ore(c)) for k, (d, c) in keys.items()}


def test_a_long_journals_table_is_cut_in_markdown_but_whole_in_csv() -> None:
    from ukg_visma.gl.approval import journals_markdown

    journals = transform(export(two_employees()), MAPPINGS, SETTINGS).journals
    names = {s.segment_id: s.name for s in SETTINGS.segments}
    text, table = journals_markdown("2026-10", journals, names, limit=1)
    assert "more row(s): see journals.csv" in text
    assert len(table.strip().splitlines()) > 2
