"""Drift detection: an org code UKG uses that the mapping or Visma cannot take is named early."""

from __future__ import annotations

import pandas as pd
import pytest
from alignment_data import DEPARTMENTS, segment_value, ukg_levels, visma_body

from ukg_visma.alignment import (
    apply_plan,
    codes_from_employees,
    codes_from_gl_lines,
    detect_drift,
    drift_markdown,
    merge_generated_rows,
    plan_alignment,
)
from ukg_visma.mappings import load_mappings

CENTRES = {
    f"{plant}{n}0": f"{name} {plant}"
    for plant in "123"
    for n, name in zip("12345", DEPARTMENTS.values(), strict=True)
}


@pytest.fixture(scope="module")
def mappings():
    return load_mappings()


@pytest.fixture(scope="module")
def visma() -> dict:
    body = visma_body(
        [segment_value(c, d) for c, d in DEPARTMENTS.items()],
        [*(segment_value(c, d) for c, d in CENTRES.items()), segment_value("199", "Closed", False)],
    )
    return body


def employee(number: str, dept: str, centre: str, status: str = "A") -> dict:
    return {
        "employeeId": f"id-{number}",
        "employeeNumber": number,
        "employeeStatus": status,
        "orgLevel1Code": "MOR",
        "orgLevel2Code": dept,
        "orgLevel3Code": centre,
        "orgLevel4Code": None,
    }


def test_new_cost_centre_on_employee_records_is_reported_with_who_and_the_fix(
    mappings, visma, base_settings
) -> None:
    snapshots = [
        employee("1001", "10", "310"),
        employee("1002", "10", "360"),
        employee("1003", "10", "360"),
        employee("1004", "10", "360", status="T"),
    ]
    seen = codes_from_employees(snapshots, base_settings)
    report = detect_drift(
        seen, mappings, visma, settings=base_settings, source="employee snapshots"
    )

    assert not report.ok and report.checked_codes == 3, "10, 310, 360 (level 1 not checked)"
    [finding] = report.findings
    assert (finding.ukg_level, finding.code, finding.problem) == (3, "360", "unmapped")
    assert finding.seen_in == ("employee 1002", "employee 1003"), "terminated 1004 left out"
    assert "ukg_visma_cost_center_alignment" in finding.fix and "create 360" in finding.fix
    assert "360" in report.summary() and "employee 1002" in report.summary()
    markdown = drift_markdown(report)
    assert "| 3 | 360 | unmapped |" in markdown


def test_gl_lines_name_run_and_employee_and_sample_is_bounded(
    mappings, visma, base_settings
) -> None:
    lines = pd.DataFrame(
        {
            "runId": "NMF-202604-R1",
            "blockId": 1,
            "systemId": [2000 + i for i in range(30)],
            "orgLevel1": "MOR",
            "orgLevel2": "10",
            "orgLevel3": ["360"] * 25 + ["310"] * 4 + [None],
        }
    )
    report = detect_drift(
        codes_from_gl_lines(lines, base_settings), mappings, visma, settings=base_settings
    )
    [finding] = report.findings
    assert finding.seen_count == 25 and len(finding.seen_in) == 10
    assert finding.seen_in[0] == "GL NMF-202604-R1 block 1 systemId 2000"
    assert "and 15 more" in finding.message


def test_mapped_to_a_missing_or_inactive_visma_value(visma, base_settings) -> None:
    mapping = {(3, "310"): "199", (3, "320"): "777", (2, "10"): "10", (3, "330"): "000"}
    seen = [(3, "310", "employee 1"), (3, "320", "employee 2"), (2, "10", "employee 1")]
    seen += [(3, "330", "employee 3"), (3, "000", "GL balance line"), (4, "X", "employee 1")]
    report = detect_drift(seen, mapping, visma, settings=base_settings)
    assert [(f.code, f.problem, f.segment_value) for f in report.findings] == [
        ("310", "value_inactive", "199"),
        ("320", "value_missing", "777"),
    ]
    assert "reactivate 199" in report.findings[0].fix


def test_unmapped_code_that_visma_already_has(visma, base_settings) -> None:
    report = detect_drift([(3, "110", "employee 9")], {}, visma, settings=base_settings)
    [finding] = report.findings
    assert finding.problem == "unmapped" and "has 110" in finding.fix


def test_clean_data_passes(mappings, visma, base_settings) -> None:
    snapshots = [employee(str(n), "20", code) for n, code in enumerate(CENTRES)]
    report = detect_drift(
        codes_from_employees(pd.DataFrame(snapshots), base_settings),
        mappings,
        visma,
        settings=base_settings,
    )
    assert report.ok and report.checked_codes == 16
    assert report.summary().startswith("no mapping drift: 16 org code(s)")


def test_alignment_then_merge_clears_the_drift(mappings, visma, base_settings) -> None:
    """The loop the DAGs close: drift found → alignment run → the same data passes."""
    seen = [(3, "360", "employee 1002")]
    assert not detect_drift(seen, mappings, visma, settings=base_settings).ok
    ukg = ukg_levels({**CENTRES, "360": "Commissioning Mo i Rana"})
    plan = plan_alignment(ukg, visma, base_settings, mappings)
    _, visma_after = apply_plan(plan, ukg, visma)
    merge = merge_generated_rows(plan, mappings)
    generated = {(int(r["ukg_level"]), r["ukg_code"]): r["segment_value"] for r in merge.rows}
    combined = {**generated, **{k: m.segment_value for k, m in mappings.segments.items()}}
    assert detect_drift(seen, combined, visma_after, settings=base_settings).ok
