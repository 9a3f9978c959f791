"""The scenario customer (docs/contracts.md §1) against the mapping files in include/mappings:
clean months validate against the scenario's Visma company, the broken months fail naming the
deliberate drift, closed months are refused."""

from __future__ import annotations

import pytest
from gl_factory import MAPPINGS, SETTINGS

from sandbox.scenario import build
from sandbox.ukg.payroll import published_line
from sandbox.ukg.state import RUN_HEADER
from ukg_visma.gl.catalog import VismaCatalog
from ukg_visma.gl.completeness import check_complete
from ukg_visma.gl.export_frame import gl_frame
from ukg_visma.gl.transform import transform
from ukg_visma.gl.validate import validate

BLOCK = 2000  # the UKG sandbox's default block size


@pytest.fixture(scope="module")
def scenario():
    return build(seed=42, employees=1200)


@pytest.fixture(scope="module")
def catalog(scenario):
    v = scenario.visma
    return VismaCatalog.from_api(
        accounts=v["accounts"],
        dimension=v["dimensions"],
        projects=v["projects"],
        periods=v["financialPeriods"],
    )


def _served_lines(run):
    """The run's lines as GET /payroll/v2/general-ledger serves them, block by block."""
    lines = run["lines"]
    total = max(1, -(-len(lines) // BLOCK))
    head = {key: run.get(key) for key in RUN_HEADER if key != "payDate"}
    return [
        published_line({**head, "blockId": i // BLOCK + 1, "totalNrOfBlocks": total}, line, i + 1)
        for i, line in enumerate(lines)
    ]


def _period(scenario, catalog, month):
    runs = [r for r in scenario.ukg["glRuns"] if r["periodStartDate"].startswith(month)]
    lines = [line for run in runs for line in _served_lines(run)]
    check_complete(lines)
    frame = gl_frame(lines, {r["runId"]: r["payDate"] for r in runs})
    result = transform(frame, MAPPINGS, SETTINGS)
    return result, validate(result.mapped, result.journals, catalog, month, settings=SETTINGS)


@pytest.mark.parametrize("month", ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"])
def test_clean_months_validate(scenario, catalog, month):
    result, report = _period(scenario, catalog, month)
    assert report.ok and report.findings == (), report.to_markdown()
    assert all(j.balanced for j in result.journals)
    expected_runs = {"2026-10": 2}.get(month, 1)  # October has the off-cycle correction run
    assert len(result.journals) == expected_runs


def test_april_fails_naming_cost_centre_360(scenario, catalog):
    _, report = _period(scenario, catalog, "2026-04")
    (finding,) = report.findings
    assert finding.message == (
        "cost centre 360 from UKG has no Visma segment value — add it to "
        "include/mappings/cost_centers.csv or run the alignment DAG"
    )
    assert set(finding.rows["org_level3"]) == {"360"}
    assert finding.count == len(finding.rows) > 0
    assert all(key.startswith("NMF-202604-R1/") for key in finding.rows["source_key"])


def test_may_fails_naming_project_prj1099(scenario, catalog):
    _, report = _period(scenario, catalog, "2026-05")
    (finding,) = report.findings
    assert finding.rule == "project_unmapped"
    assert finding.subject == "project PRJ1099"
    assert set(finding.rows["project"]) == {"PRJ1099"} and finding.count > 0


def test_closed_months_are_refused(scenario, catalog):
    _, report = _period(scenario, catalog, "2026-03")
    assert [f.rule for f in report.findings] == ["period_closed"]
