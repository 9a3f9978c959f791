"""Group-wise journals (``build_journals_grouped``) equal the whole-frame ones, line for line.

The input has several pay runs and pay dates, a line cut across split journals, a zero-net
line and unmapped codes, and is fed in groups small enough that every journal's lines span
several groups.
"""

from __future__ import annotations

import pandas as pd
import pytest
from gl_factory import MAPPINGS, SETTINGS, export, gl_line, two_employees

from ukg_visma.gl.export_frame import gl_frame
from ukg_visma.gl.transform import build_journals_grouped, lineage_targets, transform
from ukg_visma.gl.validate import named_rows, validate


def _input() -> pd.DataFrame:
    correction = export(
        [
            gl_line("5000", debit="10.00", dept="20", cc="220"),
            gl_line("5000", debit="-10.00", dept="20", cc="220"),  # nets to zero
            gl_line("5000", debit="7.00", cc="360"),  # unmapped cost centre
            gl_line("2930", credit="7.00"),
        ],
        runId="NMF-202610-C1",
        glRunDateTime="2026-10-29T10:15:00",
        payDate="2026-10-30",
    )
    late = export(
        [gl_line("5000", debit="5.00"), gl_line("2930", credit="5.00", project="P1001")],
        payDate="2026-10-24",
    )
    lines = export(two_employees() * 3) + late + correction + export(two_employees())
    return gl_frame(lines)


def _groups(frame: pd.DataFrame, size: int):
    return lambda: (
        frame.iloc[i : i + size].reset_index(drop=True) for i in range(0, len(frame), size)
    )


@pytest.mark.parametrize("size", [1, 2, 5, 13, 1000])
@pytest.mark.parametrize("line_limit", [None, 3])
def test_group_wise_journals_and_lineage_equal_the_whole_frame(size, line_limit):
    frame = _input()
    whole = transform(frame, MAPPINGS, SETTINGS, line_limit=line_limit)
    if line_limit:
        assert any(j.parts > 1 for j in whole.journals)
        assert whole.lineage["source_key"].duplicated().any()  # a line cut across two journals
    parts: list[pd.DataFrame] = []
    mapped: list[pd.DataFrame] = []
    grouped = build_journals_grouped(
        _groups(frame, size), MAPPINGS, SETTINGS, line_limit=line_limit, on_mapped=mapped.append
    )
    assert grouped.write_lineage(parts.append) == len(frame)
    assert len(parts) == len(mapped) == -(-len(frame) // size)
    assert grouped.journals == whole.journals
    pd.testing.assert_frame_equal(pd.concat(mapped, ignore_index=True), whole.mapped)
    lineage = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(lineage, whole.lineage)
    pd.testing.assert_frame_equal(lineage_targets(lineage), lineage_targets(whole.lineage))


def test_no_groups_no_journals():
    grouped = build_journals_grouped(lambda: iter(()), MAPPINGS, SETTINGS)
    assert grouped.journals == () and grouped.write_lineage(list().append) == 0


@pytest.mark.parametrize("size", [1, 4, 7, 1000])
@pytest.mark.parametrize("period", ["2026-10", "2026-03"])
def test_group_wise_validation_names_the_same_rows_as_the_whole_frame(size, period):
    from test_gl_validate import BAD, _catalog, _mappings

    mappings = _mappings()
    frame = gl_frame(export(two_employees() + BAD + two_employees()))
    whole = transform(frame, mappings, SETTINGS)
    expected = validate(whole.mapped, whole.journals, _catalog(), period, settings=SETTINGS)
    assert len(expected.errors) > 10  # the rich input: most rules fire
    named: list[pd.DataFrame] = []

    def check(mapped: pd.DataFrame) -> None:
        named.append(named_rows(mapped, _catalog(), period, settings=SETTINGS))

    grouped = build_journals_grouped(_groups(frame, size), mappings, SETTINGS, on_mapped=check)
    suspects = pd.concat(named, ignore_index=True)
    assert len(suspects) < len(frame)
    report = validate(
        suspects, grouped.journals, _catalog(), period, settings=SETTINGS, source_lines=len(frame)
    )
    assert report.to_csv() == expected.to_csv()
    assert report.to_markdown() == expected.to_markdown()
    assert (report.source_lines, report.journals, report.journal_lines) == (
        expected.source_lines,
        expected.journals,
        expected.journal_lines,
    )
    assert [(f.rule, f.subject, f.message, f.count) for f in report.findings] == [
        (f.rule, f.subject, f.message, f.count) for f in expected.findings
    ]


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_group_wise_drift_counts_equal_the_whole_frame(size):
    from test_gl_validate import API, BAD, _mappings

    from ukg_visma.alignment import codes_from_gl_lines, count_seen, detect_drift

    mappings = _mappings()
    frame = gl_frame(export(two_employees() + BAD + BAD + two_employees()))
    expected = detect_drift(
        codes_from_gl_lines(frame, SETTINGS), mappings, API["dimension"], settings=SETTINGS
    )
    assert expected.findings and any(f.seen_count > 1 for f in expected.findings)
    counted = [
        count_seen(codes_from_gl_lines(g, SETTINGS, system_ids=True))
        for g in _groups(frame, size)()
    ]
    seen = count_seen(pd.concat(counted, ignore_index=True))
    assert len(seen) < len(frame)  # per code its count and ten references, not a row per line
    report = detect_drift(seen, mappings, API["dimension"], settings=SETTINGS)
    assert report == expected


@pytest.mark.parametrize("size", [1, 2, 3, 5, 13, 1000])
def test_group_wise_targets_and_totals_equal_the_whole_frame(size):
    """Reconcile's pieces by row group: the lineage's targets (a group boundary may fall between
    the rows of a line cut across journals) and the UKG totals per account × subaccount ×
    project equal the whole frame's."""
    from ukg_visma.gl.reconcile import expected_totals, expected_totals_grouped
    from ukg_visma.gl.transform import lineage_targets_grouped

    whole = transform(_input(), MAPPINGS, SETTINGS, line_limit=3)
    assert whole.lineage["source_key"].duplicated().any()
    numbers = {j.journal_key: f"{n:06d}" for n, j in enumerate(whole.journals, start=1)}
    pieces = lineage_targets_grouped(_groups(whole.lineage, size)(), numbers)
    pd.testing.assert_frame_equal(
        pd.concat(list(pieces), ignore_index=True), lineage_targets(whole.lineage, numbers)
    )
    pd.testing.assert_frame_equal(
        expected_totals_grouped(_groups(whole.mapped, size)()), expected_totals(whole.mapped)
    )
