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
