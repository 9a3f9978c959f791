"""The completeness proof tallied block by block (what the streamed extract runs) says exactly
what the proof over the whole export says: same runs, same duplicates, same problems."""

from __future__ import annotations

import pytest
from gl_factory import export, gl_line, two_employees

from ukg_visma.gl.completeness import CompletenessTally, check_complete
from ukg_visma.gl.export_frame import gl_frame
from ukg_visma.gl.extract import IncompleteExportError, MalformedExportError


def _by_blocks(lines: list[dict], **kw):
    """The tally fed one block's frame at a time, positions counted from the export's start."""
    tally, seen = CompletenessTally(), 0
    blocks: dict[tuple, list[dict]] = {}
    for line in lines:
        blocks.setdefault((line["runId"], line["blockId"]), []).append(line)
    for block in blocks.values():
        tally.add(gl_frame(block, first_line=seen))
        seen += len(block)
    return tally.report(**kw)


def _outcome(fn, lines, **kw):
    try:
        return fn(lines, **kw)
    except IncompleteExportError as exc:
        return exc.report


def _many(n: int) -> list[dict]:
    return [gl_line("5000", debit="1.00") for _ in range(n)] + [gl_line("2930", credit=f"{n}.00")]


CASES = {
    "complete": export(two_employees(), block_size=3),
    "block missing": [x for x in export(_many(9), block_size=3) if x["blockId"] != 2],
    "page read twice (no systemId)": [
        {k: v for k, v in x.items() if k != "systemId"}
        for x in export(_many(5), block_size=3)
        + [{**x} for x in export(_many(5), block_size=3) if x["blockId"] == 1]
    ],
    "systemId repeated across blocks": [
        *export(_many(7), block_size=3),
        {**export(_many(7), block_size=3)[0], "blockId": 3},
    ],
    "unbalanced": export([gl_line("5000", debit="1.00"), gl_line("2930", credit="0.99")]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tally_by_block_equals_the_whole_export_proof(case):
    lines = sorted(CASES[case], key=lambda x: x["blockId"])  # read in block order
    whole = _outcome(check_complete, lines, block_size=3)
    blocks = _outcome(_by_blocks, lines, block_size=3)
    assert blocks == whole
    assert (case == "complete") == whole.ok


def test_a_bad_line_in_a_later_block_is_named_by_its_place_in_the_export():
    lines = export(_many(5), block_size=3)
    lines[4]["debitAmt"] = "1,00"
    with pytest.raises(MalformedExportError) as whole:
        gl_frame(lines)
    with pytest.raises(MalformedExportError) as block:
        gl_frame(lines[3:], first_line=3)
    assert str(block.value) == str(whole.value)
    assert "line 5 ('1,00')" in str(block.value) and block.value.problems


def test_systemid_duplicates_are_judged_on_the_text_as_read():
    """The tally holds systemIds as integers where that is exact; ``007`` is not ``7``, an id
    beyond int64 still counts, and a repeat is named by run, block and systemId."""
    lines = export(_many(7), block_size=3)  # systemIds 1..8 in blocks 1-3
    # block 1 is read as integers; block 2 brings text ids (the tally turns to text there)
    lines[4]["systemId"] = "007"  # not a repeat of 7 (block 3)
    lines[5]["systemId"] = "123456789012345678901234"  # beyond int64
    lines[6]["systemId"] = 7
    extra = [
        {**lines[0], "blockId": 3, "systemId": 1},  # repeats line 1 (an int id)
        {**lines[4], "blockId": 3, "systemId": "007"},  # repeats "007"
        {**lines[5], "blockId": 3, "systemId": "123456789012345678901234"},
    ]
    report = _outcome(_by_blocks, lines + extra)
    assert report.duplicates == ("NMF-202610-R1/3/3", "NMF-202610-R1/3/4", "NMF-202610-R1/3/5")
    [problem] = [p for p in report.problems if "systemId" in p]
    assert problem.startswith("3 line(s) repeat a systemId already read in the run")
    for sid in ("systemId 1,", "systemId 007,", "systemId 123456789012345678901234"):
        assert sid in problem
    assert report == _outcome(check_complete, lines + extra)
