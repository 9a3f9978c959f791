"""The settings for what UKG's contract leaves open (docs/contracts.md §8), end to end.

- ``payroll.gl_most_recent: false`` (a tenant that refuses ``mostRecent`` with a ``runId``): no
  GL read by run id sends it — the discovery headers, every block, the probe past the last — and
  the month still posts exactly;
- ``payroll.gl_block_size`` (unpublished, known for some tenants): a run whose blocks hold the
  stated size posts; a stated size the export does not have refuses the export before anything
  reaches Visma, naming the setting.

Judged from the sandboxes (Visma's batches, UKG's GL versions and call log).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import pytest
from ledger_truth import (
    OFF_CYCLE,
    PERIOD,
    REGULAR,
    ours,
    per_account,
    ukg_latest_per_account,
    visma_net,
)
from payroll_helpers import run_period, task_states
from sandbox_fixture import configure

pytestmark = pytest.mark.e2e

GL = "/payroll/v2/general-ledger"


def _gl_reads(sandbox, since: int) -> list[dict[str, list[str]]]:
    return [
        parse_qs(c.get("query") or "")
        for c in sandbox.calls("ukg", since=since)
        if c["method"] == "GET" and c["path"].startswith(GL)
    ]


def _seq(sandbox) -> int:
    calls = sandbox.calls("ukg")
    return calls[-1]["seq"] if calls else 0


def test_gl_most_recent_off_sends_no_mostRecent_with_a_run_id(
    sandbox, airflow_db, monkeypatch, tmp_path
):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300, block_size=500)
    configure(monkeypatch, sandbox, tmp_path, payroll={"gl_most_recent": False})
    start = _seq(sandbox)
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert per_account(visma_net(sandbox)) == ukg_latest_per_account(sandbox, [REGULAR, OFF_CYCLE])

    reads = _gl_reads(sandbox, start)
    by_run = [q for q in reads if "runId" in q]
    assert len({q["blockId"][0] for q in by_run}) > 2  # headers and several blocks were read
    assert all("mostRecent" not in q for q in by_run), by_run
    # without a run id, mostRecent is the published way to find the latest export at all
    assert all(q.get("mostRecent") == ["true"] for q in reads if "runId" not in q)


def test_gl_block_size_known_to_the_tenant_is_checked(sandbox, airflow_db, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300, block_size=500)
    configure(monkeypatch, sandbox, tmp_path, payroll={"gl_block_size": 500})
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert per_account(visma_net(sandbox)) == ukg_latest_per_account(sandbox, [REGULAR, OFF_CYCLE])


def test_a_stated_gl_block_size_the_export_lacks_refuses_it(
    sandbox, airflow_db, monkeypatch, tmp_path
):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300, block_size=500)
    configure(monkeypatch, sandbox, tmp_path, payroll={"gl_block_size": 400})
    versions = sandbox.ukg_admin("GET", f"/_sandbox/gl-runs/{REGULAR}/versions")["versions"]
    assert versions[-1]["totalNrOfBlocks"] > 1  # more than one block: the size is checkable
    dagrun = run_period(PERIOD)
    states = task_states(dagrun)
    assert str(dagrun.state) == "failed" and states["extract"] == "failed", states
    assert ours(sandbox, live_only=False) == []  # nothing reached Visma
    import os

    home = Path(os.environ["AIRFLOW_HOME"])
    from ukg_visma.run_folders import path_part

    # this run's report: the worker's Airflow home also holds earlier tests' reports
    run_folder = path_part(dagrun.run_id)
    (report,) = [p for p in home.rglob("extract.md") if run_folder in str(p)]
    assert "(payroll.gl_block_size)" in report.read_text(encoding="utf-8")
