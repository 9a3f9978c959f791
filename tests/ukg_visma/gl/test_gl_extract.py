from __future__ import annotations

import pandas as pd
import pytest
from gl_factory import export, gl_line, two_employees

from ukg_visma.gl.completeness import check_complete
from ukg_visma.gl.export_frame import gl_frame
from ukg_visma.gl.extract import IncompleteExportError, MalformedExportError
from ukg_visma.gl.line_hash import source_hashes


def test_frame_has_source_keys_amounts_in_ore_and_text_codes():
    lines = export(two_employees(), block_size=4)
    frame = gl_frame(lines)
    assert frame["source_key"].tolist()[:6] == [
        "NMF-202610-R1/1/1", "NMF-202610-R1/1/2", "NMF-202610-R1/1/3", "NMF-202610-R1/1/4",
        "NMF-202610-R1/2/1", "NMF-202610-R1/2/2",
    ]  # fmt: skip
    assert frame["debit_ore"].tolist()[0] == 4125000
    assert frame["credit_ore"].tolist()[1] == 1237500
    assert frame["ukg_account"].tolist()[0] == "5000"
    assert frame["company"].unique().tolist() == ["NMF"]
    assert frame["org_level4"].unique().tolist() == [""]
    assert gl_frame(frame) is frame  # already canonical


def test_numbers_as_codes_and_account_from_generalLedgerAccount():
    body = [
        gl_line("5000", debit=100, dept=10, cc=110, baseSegment=None),
        gl_line("2930", credit=100.0, dept=10, cc=110),
    ]
    frame = gl_frame(export(body))
    assert frame["org_level3"].tolist() == ["110", "110"]
    assert frame["ukg_account"].tolist() == ["5000", "2930"]
    assert frame["credit_ore"].tolist() == [0, 10000]


def test_complete_export_report():
    report = check_complete(export(two_employees(), block_size=4))
    assert report.ok and report.lines == 9
    (run,) = report.runs
    assert run.blocks_seen == (1, 2, 3) and run.total_blocks == (3,) and run.missing_blocks == ()
    assert run.debit_ore == run.credit_ore == 9830000
    assert "UKG GL export complete: 9 lines in 1 run(s)" in report.to_markdown()


def test_a_missing_block_is_named():
    lines = [ln for ln in export(two_employees(), block_size=4) if ln["blockId"] != 2]
    with pytest.raises(IncompleteExportError) as info:
        check_complete(lines)
    problems = info.value.report.problems
    assert "run NMF-202610-R1: block(s) 2 of 3 not read" in problems
    assert any("debit 71,250.00 ≠ credit 76,250.00 (difference -5,000.00)" in p for p in problems)


def test_a_page_read_twice_is_a_duplicate():
    lines = export(_without_system_ids(two_employees()), block_size=100)
    with pytest.raises(IncompleteExportError) as info:
        check_complete(lines + lines[:2])
    report = info.value.report
    assert report.duplicates == ("NMF-202610-R1/1/10", "NMF-202610-R1/1/11")
    assert any(
        p.startswith("2 line(s) without systemId repeat an earlier line") for p in report.problems
    )


def _with_system_ids(lines):
    return [{**line, "systemId": n} for n, line in enumerate(lines, start=1)]


def _without_system_ids(lines):
    return [{**line, "systemId": None} for line in lines]


def test_lines_alike_but_for_system_id_are_both_kept():
    body = two_employees()
    twin = [body[0], body[0], body[1], body[1], body[2], body[2]]  # two employees, same line
    report = check_complete(export(_with_system_ids(twin), block_size=100))
    assert report.ok and report.lines == 6 and report.duplicates == ()


def test_the_same_system_id_twice_is_a_duplicate_naming_run_block_and_id():
    lines = export(_with_system_ids(two_employees()), block_size=4)
    again = {**lines[1], "blockId": 3}  # systemId 2 read again in block 3
    with pytest.raises(IncompleteExportError) as info:
        check_complete([*lines, again])
    problems = "\n".join(info.value.report.problems)
    assert "runId NMF-202610-R1 blockId 3 systemId 2" in problems


def test_a_malformed_system_id_is_named():
    lines = export(_with_system_ids(two_employees()))
    lines[3]["systemId"] = "x7"
    with pytest.raises(
        MalformedExportError, match=r"systemId is not a whole number on line NMF-202610-R1/1/4"
    ):
        gl_frame(lines)


def test_json_numbers_are_exact_money():
    from decimal import Decimal

    from ukg_visma.hooks.jsonbody import loads

    wire = '[{"debitAmt": 1234.5, "creditAmt": 0}, {"debitAmt": 0, "creditAmt": 1234.50}]'
    body = [{**gl_line("5000"), **x} for x in loads(wire)]
    assert body[0]["debitAmt"] == Decimal("1234.5")
    frame = gl_frame(export(body))
    assert frame["debit_ore"].tolist() == [123450, 0] and frame["credit_ore"].tolist() == [
        0,
        123450,
    ]


def test_block_size_setting_finds_a_cut_block():
    lines = export(two_employees(), block_size=4)
    assert check_complete(lines, block_size=4).ok
    short = [ln for ln in lines if not (ln["blockId"] == 2 and ln["creditAmt"] == "15000.00")]
    with pytest.raises(IncompleteExportError, match="do not hold the block size 4"):
        check_complete(short, block_size=4)


def test_pay_date_comes_from_the_pay_periods_else_pay_period_end():
    lines = [{k: v for k, v in ln.items() if k != "payDate"} for ln in export(two_employees())]
    assert set(gl_frame(lines)["pay_date"]) == {"2026-10-31"}  # payPeriodEndDate fallback
    frame = gl_frame(lines, {"NMF-202610-R1": "2026-10-23"})
    assert set(frame["pay_date"]) == {"2026-10-23"}


def test_unbalanced_run_and_mixed_versions_and_block_count_disagreement():
    lines = export(two_employees(), block_size=5)
    lines[0] = {**lines[0], "debitAmt": "41250.01"}
    lines[-1] = {**lines[-1], "glRunDateTime": "2026-10-20T09:00:00Z", "totalNrOfBlocks": 3}
    with pytest.raises(IncompleteExportError) as info:
        check_complete(lines)
    problems = "\n".join(info.value.report.problems)
    assert "difference 0.01" in problems
    assert "lines disagree on totalNrOfBlocks (2, 3)" in problems
    assert "block(s) 3 of 3 not read" in problems
    assert "lines from 2 GL run versions mixed" in problems


def test_malformed_amounts_and_missing_fields_name_the_lines():
    body = two_employees()
    body[1] = {**body[1], "creditAmt": "12 375,00"}
    body[2] = {**body[2], "debitAmt": 0.125}
    with pytest.raises(MalformedExportError) as info:
        check_complete(export(body))
    text = str(info.value)
    assert "creditAmt is not an exact decimal amount on line 2 ('12 375,00')" in text
    assert "debitAmt is not an exact decimal amount on line 3 (0.125)" in text
    lines = export(two_employees())
    for line in lines:
        del line["totalNrOfBlocks"]
    with pytest.raises(MalformedExportError, match=r"lack the field\(s\) totalNrOfBlocks"):
        gl_frame(lines)
    with pytest.raises(MalformedExportError, match="no lines"):
        gl_frame([])


def test_two_runs_are_checked_separately():
    lines = export(two_employees()) + export(
        [gl_line("5000", debit="10.00"), gl_line("2930", credit="10.00")],
        runId="NMF-202610-C1",
        payDate="2026-10-30",
    )
    report = check_complete(lines)
    assert [r.run_id for r in report.runs] == ["NMF-202610-C1", "NMF-202610-R1"]


def test_source_hash_is_content_based_and_form_independent():
    a = gl_frame(export([gl_line("5000", debit="100.00"), gl_line("2930", credit=100)]))
    b = gl_frame(export([gl_line("5000", debit=100), gl_line("2930", credit="100.0")]))
    c = gl_frame(export([gl_line("5000", debit="100.01"), gl_line("2930", credit=100)]))
    ha, hb, hc = source_hashes(a), source_hashes(b), source_hashes(c)
    assert ha.tolist() == hb.tolist()
    assert ha[0] != hc[0] and ha[1] == hc[1]
    assert all(len(h) == 64 for h in ha)


def test_source_hash_is_sha256_of_the_unit_separated_canonical_values():
    """The digest stays what audit rows of earlier runs hold: sha256 over the canonical
    columns' text joined by U+001F (non-ASCII text included), whatever computes it."""
    import hashlib

    from ukg_visma.gl.export_frame import CONTENT_COLUMNS

    frame = gl_frame(export([gl_line("5000", debit="100.50", description="lønn – øre")]))
    text = "\x1f".join(str(frame[c].iloc[0]) for c in CONTENT_COLUMNS)
    assert "10050" in text.split("\x1f") and "lønn – øre" in text
    assert source_hashes(frame)[0] == hashlib.sha256(text.encode()).hexdigest()


def test_staged_parquet_export_gives_the_same_frame(tmp_path):
    """The transform task reads the extract's staged Parquet (Arrow strings): same result."""
    lines = export(two_employees(), block_size=4)
    lines[0]["payDate"] = "2026-10-23T00:00:00"
    raw = pd.DataFrame(lines)
    raw.to_parquet(tmp_path / "gl.parquet", index=False)
    staged = pd.read_parquet(tmp_path / "gl.parquet")
    assert isinstance(staged["debitAmt"].dtype, pd.StringDtype)
    from_json, from_parquet = gl_frame(lines), gl_frame(staged)
    pd.testing.assert_frame_equal(from_json, from_parquet, check_dtype=False)
    assert from_parquet["pay_date"].iloc[0] == "2026-10-23"
    bad = pd.DataFrame(export([gl_line("5000", debit="12,50"), gl_line("2930", credit="12.50")]))
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    with pytest.raises(
        MalformedExportError, match=r"debitAmt is not an exact decimal amount on line 1"
    ):
        gl_frame(pd.read_parquet(tmp_path / "bad.parquet"))
