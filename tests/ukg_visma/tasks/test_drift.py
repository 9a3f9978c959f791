"""``check_drift`` on what the employee sync and the pay DAG read from UKG, over real HTTP.

The point of the check (issue #8): a cost centre that appears in UKG mid-month is named by the
next employee-sync run, days before the pay-period run would fail on it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from alignment_helpers import run_alignment, writes
from sandbox_fixture import configure

from ukg_visma.hooks import UkgHook, VismaHook
from ukg_visma.tasks.drift import check_drift

pytestmark = pytest.mark.e2e

WINDOW_START = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)  # after every generated change


def _gl_lines(ukg: UkgHook, run_id: str) -> pd.DataFrame:
    """Every block of one GL run, as the pay DAG's extract reads it."""
    first = ukg.gl_block(run_id, 1, per_page=1000)
    lines = list(first)
    for block in range(2, int(first[0]["totalNrOfBlocks"]) + 1):
        lines += ukg.gl_block(run_id, block, per_page=1000)
    return pd.DataFrame(lines)


def test_a_new_cost_centre_on_an_employee_is_reported_by_the_next_sync(
    sandbox, monkeypatch, tmp_path
):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300)
    configure(monkeypatch, sandbox, tmp_path)
    ukg = UkgHook()
    someone = next(
        e
        for e in ukg.employment_details()
        if e["employeeStatusCode"] == "A" and e["orgLevel3Code"] == "310"
    )
    # HR moves one employee to a brand-new commissioning cost centre in UKG
    sandbox.ukg_admin(
        "POST",
        "employees",
        {
            "employees": [{"employeeId": someone["employeeID"], "orgLevel3Code": "370"}],
            "changed_at": "2026-11-23T08:00:00Z",
        },
    )
    snapshots = ukg.employee_changes(start=WINDOW_START, end=WINDOW_START + dt.timedelta(days=1))
    # the feed's employeeNumber is a JSON number; employment-details' a string
    assert [s["employeeNumber"] for s in snapshots] == [int(someone["employeeNumber"])]

    check = check_drift(employees=snapshots, visma=VismaHook())
    assert not check.ok
    (finding,) = check.report.findings
    assert (finding.ukg_level, finding.code, finding.problem) == (3, "370", "unmapped")
    assert finding.seen_in == (f"employee {someone['employeeNumber']}",)
    assert "ukg_visma_cost_center_alignment" in finding.fix
    assert "| 3 | 370 | unmapped |" in check.markdown
    assert check.as_xcom()["findings"] == [
        {"level": 3, "code": "370", "problem": "unmapped", "seen": 1}
    ]

    # everyone else maps cleanly (nobody works in 360 today: it only has April GL lines)
    whole = check_drift(employees=list(ukg.employment_details()),
                        visma=VismaHook())  # fmt: skip
    assert [f.code for f in whole.report.findings] == ["370"]


def test_gl_drift_names_cost_centre_360_until_alignment_creates_and_maps_it(
    sandbox, monkeypatch, tmp_path
):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300)
    configure(monkeypatch, sandbox, tmp_path)
    ukg, visma = UkgHook(), VismaHook()
    april = _gl_lines(ukg, "NMF-202604-R1")
    dimension = visma.get_json("/v1/dimension/SUBACCOUNT")

    reads_before = len(sandbox.calls("visma"))
    check = check_drift(gl_lines=april, visma_segments=dimension)  # the pay DAG's catalog
    assert len(sandbox.calls("visma")) == reads_before  # nothing re-read
    assert [(f.code, f.problem) for f in check.report.findings] == [("360", "unmapped")]
    assert check.report.findings[0].seen_in[0].startswith("GL NMF-202604-R1 block ")
    assert " systemId " in check.report.findings[0].seen_in[0]
    assert check_drift(gl_lines=_gl_lines(ukg, "NMF-202606-R1"), visma=visma).ok

    run_alignment("fix-360")
    assert writes(sandbox, "ukg") == []
    assert check_drift(gl_lines=april, visma=visma).ok


def test_check_drift_wants_exactly_one_source():
    with pytest.raises(ValueError, match="exactly one"):
        check_drift(visma_segments={"segments": []})
