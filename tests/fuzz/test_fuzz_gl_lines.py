"""Fuzzing the GL line parser (``gl_frame``) and the completeness check (``check_complete``):
whatever a line holds, they answer with a frame or one of the documented export errors — never
another exception — and every malformed line is named (``runId/blockId/position``)."""

from __future__ import annotations

import fuzz_profiles  # noqa: F401 - registers and loads the profile
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import hostile

from ukg_visma.gl.completeness import check_complete
from ukg_visma.gl.export_frame import gl_frame
from ukg_visma.gl.extract import GLExportError, IncompleteExportError, MalformedExportError

FIELDS = ["runId", "glRunDateTime", "payPeriodEndDate", "periodStartDate", "periodEndDate",
          "blockId", "totalNrOfBlocks", "baseSegment", "generalLedgerAccount", "debitAmt",
          "creditAmt", "orgLevel2", "orgLevel3", "project", "systemId"]  # fmt: skip


def line(n: int, debit: str, credit: str) -> dict:
    return {
        "runId": "NMF-202610-R1", "glRunDateTime": "2026-10-19T15:20:00Z", "coId": "C0001",
        "companyCode": "NMF", "payGroup": "NO-M", "periodStartDate": "2026-10-01",
        "periodEndDate": "2026-10-31", "payPeriodEndDate": "2026-10-31", "blockId": 1,
        "totalNrOfBlocks": 1, "generalLedgerAccount": "5000-10-110", "baseSegment": "5000",
        "accountType": "Expense", "description": "Wages", "debitAmt": debit, "creditAmt": credit,
        "orgLevel1": "MOS", "orgLevel2": "10", "orgLevel3": "110", "project": None,
        "systemId": n + 1,
    }  # fmt: skip


@st.composite
def exports(draw: st.DrawFn) -> tuple[list[dict], set[int]]:
    """A balanced export of a few lines, some fields of some lines replaced by hostile values;
    returns the lines and the positions of the lines that were touched."""
    n = draw(st.integers(min_value=1, max_value=6))
    lines = []
    for i in range(n):
        amount = f"{draw(st.integers(min_value=0, max_value=10**9)) / 100:.2f}"
        lines += [line(2 * i, amount, "0.00"), line(2 * i + 1, "0.00", amount)]
    touched: set[int] = set()
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        field = draw(st.sampled_from(FIELDS))
        if draw(st.booleans()):
            lines[i][field] = draw(hostile)
        else:
            lines[i].pop(field, None)
        touched.add(i)
    return lines, touched


def _outcome(call, *args):
    """(result, None) or (None, the documented export error); anything else propagates."""
    try:
        return call(*args), None
    except GLExportError as exc:
        return None, exc


@given(exports())
def test_gl_parser_answers_a_frame_or_a_finding_that_names_the_line(case):
    lines, touched = case
    frame, error = _outcome(gl_frame, lines)
    if error is not None:
        message = str(error)
        assert touched, f"an untouched export was refused: {message}"
        # a finding names a line (runId/blockId/position, or its number) or the missing field
        assert "line " in message or "lack the field" in message, message
        return
    assert len(frame) == len(lines)
    report, error = _outcome(check_complete, frame)
    if error is not None:
        message = str(error)
        assert touched, message
        if isinstance(error, IncompleteExportError):
            assert error.report.runs, message
        else:
            assert "line " in message or "run" in message, message
        return
    assert report.ok and report.lines == len(lines)


@given(st.lists(st.dictionaries(st.sampled_from(FIELDS), hostile, max_size=8), max_size=5))
def test_gl_parser_never_crashes_on_arbitrary_lines(lines):
    frame, error = _outcome(gl_frame, lines)
    if error is None:
        _, error = _outcome(check_complete, frame)
    assert error is None or str(error).strip()


def test_a_list_in_a_text_field_is_a_finding_naming_the_line_not_a_type_error():
    """Found by the fuzzer: on main this raised ``TypeError: unhashable type: 'list'`` from
    pandas (an 'unexpected' error, retried) instead of a finding naming the line."""
    lines = [line(0, "10.00", "0.00"), line(1, "0.00", "10.00")]
    lines[1]["orgLevel3"] = ["110"]
    with pytest.raises(
        MalformedExportError, match=r"orgLevel3 is not a text or a number on line 2"
    ):
        gl_frame(lines)
