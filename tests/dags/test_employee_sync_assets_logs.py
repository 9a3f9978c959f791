"""The employee sync's asset event and readable logs, from real ``dag.test`` runs.

Every sync whose headcount check passed emits ``ukg_visma_employees_synced`` with its counts;
the steps print a change table and the headcount result (read from the output the tasks really
printed), not Python dicts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1] / "ukg_visma" / "tasks" / "employee_sync")
)
from employee_sync_helpers import (
    RUNS_HOURS_APART,
    change_ukg,
    new_hire,
    no_email_in_ukg,
    ukg_employees,
    visma_employees,
)
from sandbox_fixture import configure
from test_alerts_assets_logs import _asset_events
from test_employee_sync_e2e import Runs

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(sandbox, airflow_db, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=77, employees=60, gl_runs=False)
    configure(monkeypatch, sandbox, tmp_path, employee_sync=RUNS_HOURS_APART)
    return sandbox


def test_each_sync_emits_its_counts_and_logs_tables(world, capfd, caplog):
    runs = Runs()
    first, states = runs.run()  # the initial load
    assert str(first.state) == "success", states
    capfd.readouterr()
    change_ukg(world, [new_hire(f"97{i:04d}", "110") for i in range(3)])
    second, states = runs.run()
    assert str(second.state) == "success", states
    out = capfd.readouterr()
    # the task log as printed (structlog) and as logged (the records, whichever way they went)
    text = out.out + out.err + caplog.text

    events = {e[1]: e for e in _asset_events("ukg_visma_employees_synced")}
    assert set(events) >= {first.run_id, second.run_id}
    extra, _, task_id, partition_key = events[second.run_id]
    assert partition_key is None  # the sync is not partitioned: its events reach plain schedules
    assert task_id == "check_headcount"
    assert extra["mismatches"] == 0 and extra["applied"].get("created") == 3
    active = extra["headcount"]["ukg_active"]
    # employed UKG employees without e-mail are quarantined (not in Visma): counted as
    # differences of their cost centres, never set aside on both sides
    quarantined = no_email_in_ukg(ukg_employees(world), visma_employees(world))
    assert quarantined and extra["quarantined"] >= len(quarantined)
    assert extra["headcount"]["visma_active"] == active - len(quarantined) > 0
    assert extra["differing_cost_centres"] >= 1 and extra["mismatches"] == 0
    hired = {f"97{i:04d}" for i in range(3)}
    assert {n for n, e in visma_employees(world).items() if e["status"] == "Active"} >= hired
    assert extra["cost_centres"] >= 1

    # extract: the change table; apply: what each change did; check_headcount: the verdict
    assert "| change | employees |" in text and "| hire | 3 |" in text.lower(), text[-4000:]
    assert "employee changes applied to Visma:" in text and "| created | 3 |" in text
    assert (
        f"headcount differs in {extra['differing_cost_centres']} cost centre(s) by quarantined "
        f"employees only (judged by the quarantine limits) (UKG {active} active"
    ) in text
    assert "| cost centre | UKG | Visma | difference |" in text
    assert "employee sync extract: {" not in text and "employee sync apply: {" not in text
