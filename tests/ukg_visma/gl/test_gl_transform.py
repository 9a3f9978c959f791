from __future__ import annotations

import datetime as dt

import pandas as pd
from gl_factory import MAPPINGS, SETTINGS, export, gl_line, two_employees

from ukg_visma.gl.export_frame import gl_frame
from ukg_visma.gl.transform import lineage_targets, map_lines, transform

KEY = "nordicmfg:NMF:NMF-202610-R1:20261019T152000Z"


def _lines(journal):
    return [
        (ln.account, ln.subaccount, ln.project, ln.task, ln.side, ln.amount_ore)
        for ln in journal.lines
    ]


def test_map_lines_gives_accounts_segments_projects_sides():
    mapped = map_lines(export(two_employees()), MAPPINGS)
    assert len(mapped) == 9
    cols = ["visma_account", "seg_1", "seg_2", "visma_project", "visma_task", "side", "amount_ore"]
    rows = [tuple(r) for r in mapped[cols].itertuples(index=False)]
    assert rows[0] == ("5000", "10", "110", "", "", "D", 4125000)
    assert rows[1] == ("2600", "00", "000", "", "", "C", 1237500)  # balance sheet: defaults
    assert rows[3] == ("5000", "20", "220", "P1001", "01", "D", 3000000)
    for flag in ("account_ok", "seg_1_ok", "seg_2_ok", "project_ok"):
        assert mapped[flag].all()
    assert not mapped["project_ignored"].any()


def test_unmapped_codes_keep_a_marker_and_are_flagged_not_dropped():
    body = [
        gl_line("5000", debit="100.00", dept="10", cc="360"),
        gl_line("5000", debit="50.00", project="PRJ1099"),
        gl_line("4444", debit="25.00", cc="999"),
        gl_line("2930", credit="175.00", cc="360", project="PRJ1001"),
    ]
    mapped = map_lines(export(body), MAPPINGS)
    assert mapped["seg_2"].tolist() == ["?360", "110", "000", "000"]  # 4444: no dims known
    assert mapped["seg_2_ok"].tolist() == [False, True, True, True]  # 4444: reported as account
    assert mapped["visma_project"].tolist() == ["", "?PRJ1099", "", ""]
    assert mapped["project_ok"].tolist() == [True, False, True, True]
    assert mapped["visma_account"].tolist() == ["5000", "5000", "?4444", "2930"]
    assert mapped["project_ignored"].tolist() == [False, False, False, True]
    result = transform(export(body), MAPPINGS, SETTINGS)
    (journal,) = result.journals
    assert journal.balanced and [ln.mapped for ln in journal.lines].count(False) == 3


def test_negative_debit_is_a_credit_of_the_same_size():
    body = [
        gl_line("5000", debit="-200.00"),
        gl_line("2930", credit="-200.00"),
    ]
    mapped = map_lines(export(body), MAPPINGS)
    assert mapped["side"].tolist() == ["C", "D"]
    assert mapped["amount_ore"].tolist() == [20000, 20000]


def test_one_balanced_journal_with_one_line_per_account_subaccount_project_side():
    result = transform(export(two_employees(), block_size=4), MAPPINGS, SETTINGS)
    (journal,) = result.journals
    assert journal.journal_key == f"{KEY}:0"
    assert (journal.company, journal.pay_run, journal.pay_groups) == (
        "NMF",
        "NMF-202610-R1",
        ("NO-M",),
    )
    assert journal.pay_date == dt.date(2026, 10, 23)
    assert (journal.part, journal.parts) == (1, 1)
    assert _lines(journal) == [
        ("2600", "00-000", "", "", "C", 2737500),
        ("2770", "00-000", "", "", "C", 705000),
        ("2930", "00-000", "", "", "C", 6387500),
        ("5000", "10-110", "", "", "D", 4125000),
        ("5000", "20-220", "", "", "D", 2000000),
        ("5000", "20-220", "P1001", "01", "D", 3000000),
        ("5400", "20-220", "", "", "D", 705000),
    ]
    assert [ln.line_number for ln in journal.lines] == list(range(1, 8))
    assert journal.lines[0].source_lines == 2 and journal.lines[0].ukg_accounts == ("2600",)
    assert journal.lines[3].description == "Wages (lønn til ansatte)"
    assert journal.balanced and journal.debit_ore == 9830000


def test_line_limit_splits_into_balanced_parts_with_consecutive_keys():
    result = transform(export(two_employees()), MAPPINGS, SETTINGS, line_limit=3)
    journals = result.journals
    assert len(journals) > 1
    assert [j.journal_key for j in journals] == [f"{KEY}:{i}" for i in range(len(journals))]
    assert [(j.part, j.parts) for j in journals] == [
        (i, len(journals)) for i in range(1, len(journals) + 1)
    ]
    for j in journals:
        assert j.balanced and len(j.lines) <= 3
    assert sum(j.debit_ore for j in journals) == 9830000


def test_runs_and_pay_dates_make_separate_journals():
    correction = export(
        [gl_line("5000", debit="10.00"), gl_line("2930", credit="10.00")],
        runId="NMF-202610-C1",
        glRunDateTime="2026-10-29T10:15:00",
        payDate="2026-10-30",
    )
    late = export(
        [gl_line("5000", debit="5.00"), gl_line("2930", credit="5.00")], payDate="2026-10-24"
    )
    result = transform(export(two_employees()) + late + correction, MAPPINGS, SETTINGS)
    assert [(j.journal_key, str(j.pay_date)) for j in result.journals] == [
        ("nordicmfg:NMF:NMF-202610-C1:20261029T101500:0", "2026-10-30"),
        (f"{KEY}:0", "2026-10-23"),
        (f"{KEY}:1", "2026-10-24"),  # the split index runs on within the pay run
    ]


def test_lineage_names_the_journal_line_of_every_source_line():
    result = transform(export(two_employees()), MAPPINGS, SETTINGS)
    lineage = result.lineage
    assert len(lineage) == 9 and lineage["source_key"].is_unique
    first = lineage.iloc[0]
    assert (first.source_key, first.journal_key, first.line_number, first.amount_ore) == (
        "NMF-202610-R1/1/1",
        f"{KEY}:0",
        4,
        4125000,
    )
    targets = lineage_targets(lineage, {f"{KEY}:0": "000123"})
    assert (
        targets.set_index("source_key").loc["NMF-202610-R1/1/2", "target"] == "batch 000123 line 1"
    )
    assert lineage_targets(lineage)["target"].iloc[0] == f"{KEY}:0 line 4"


def test_lineage_of_a_cut_line_spans_two_journals_and_keeps_every_ore():
    body = [
        gl_line("5000", debit="100.00", employee="1"),
        gl_line("5000", debit="100.00", employee="2"),
        gl_line("2600", credit="60.00"),
        gl_line("2930", credit="140.00"),
    ]
    result = transform(export(body), MAPPINGS, SETTINGS, line_limit=2)
    assert [_lines(j) for j in result.journals] == [
        [("2600", "00-000", "", "", "C", 6000), ("5000", "10-110", "", "", "D", 6000)],
        [("2930", "00-000", "", "", "C", 14000), ("5000", "10-110", "", "", "D", 14000)],
    ]
    rows = result.lineage[result.lineage["source_key"].str.endswith(("/1", "/2"))]
    assert [tuple(r) for r in rows[["source_key", "journal_key", "line_number", "amount_ore"]]
            .itertuples(index=False)] == [
        ("NMF-202610-R1/1/1", f"{KEY}:0", 2, 6000),
        ("NMF-202610-R1/1/1", f"{KEY}:1", 2, 4000),
        ("NMF-202610-R1/1/2", f"{KEY}:1", 2, 10000),
    ]  # fmt: skip
    targets = lineage_targets(result.lineage).set_index("source_key")["target"]
    assert targets["NMF-202610-R1/1/1"] == f"{KEY}:0 line 2 + {KEY}:1 line 2"


def test_zero_lines_are_traced_but_not_posted():
    body = [*two_employees(), gl_line("5090", debit="0.00", cc="120", dept="20")]
    result = transform(export(body), MAPPINGS, SETTINGS)
    (journal,) = result.journals
    assert all(ln.amount_ore > 0 for ln in journal.lines) and len(journal.lines) == 7
    zero = result.lineage.iloc[-1]
    assert (zero.source_key, zero.journal_key, zero.line_number, zero.amount_ore) == (
        "NMF-202610-R1/1/10",
        f"{KEY}:0",
        0,
        0,
    )
    nothing = transform(export([gl_line("5000"), gl_line("2930")]), MAPPINGS, SETTINGS)
    assert nothing.journals == () and nothing.lineage["journal_key"].tolist() == ["", ""]


def test_an_unbalanced_group_is_one_unsplit_journal_for_validation_to_report():
    body = [gl_line("5000", debit="100.00"), gl_line("2930", credit="99.00")]
    (journal,) = transform(export(body), MAPPINGS, SETTINGS, line_limit=2).journals
    assert not journal.balanced and journal.debit_ore - journal.credit_ore == 100


def test_staged_frames_give_the_same_journals_lineage_and_validation(tmp_path):
    """The DAG stages the canonical frame and the mapped lines as Parquet between tasks."""
    lines = export(two_employees(), block_size=4)
    direct = transform(lines, MAPPINGS, SETTINGS, line_limit=3)
    frame = gl_frame(lines)
    frame.to_parquet(tmp_path / "gl_lines.parquet", index=False)
    staged = transform(
        pd.read_parquet(tmp_path / "gl_lines.parquet"), MAPPINGS, SETTINGS, line_limit=3
    )
    assert staged.journals == direct.journals
    pd.testing.assert_frame_equal(staged.lineage, direct.lineage, check_dtype=False)
    staged.mapped.to_parquet(tmp_path / "mapped.parquet", index=False)
    mapped = pd.read_parquet(tmp_path / "mapped.parquet")
    pd.testing.assert_frame_equal(mapped, direct.mapped, check_dtype=False)
