"""Two ``ukg_visma_employee_sync`` runs at once, each its own deployment, creating the same
employees in one Visma (issue #23: the employee sync's creates).

Each run is a separate process with its own Airflow home and its own SQLite audit store, started
at the same moment on an empty Visma: both read Visma (nobody there), both decide to create every
employee, and ``POST /v1/employee`` is slowed so that their creates interleave. Visma refuses a
second employee with the same number (``Employee … already exists.``); the run that meets the
refusal must read the employee back and update it, not fail or make a second one.

Judged from the sandbox's state: every employee number once in Visma; then a third run from a
fresh store finds nothing to create and its headcount check passes.
"""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

import pytest
from airflow_fixture import deployment_env
from sandbox_fixture import configure

HERE = Path(__file__).resolve().parent
SYNC_HELPERS = HERE.parent / "ukg_visma" / "tasks" / "employee_sync"
sys.path.insert(0, str(SYNC_HELPERS))
from employee_sync_helpers import RUNS_HOURS_APART  # noqa: E402

pytestmark = pytest.mark.e2e

SLOW_CREATE_MS = 150

SCRIPT = """
import sys
import pendulum
from dag_loader import load_dag
dag = load_dag("ukg_visma_employee_sync")
dagrun = dag.test(logical_date=pendulum.now("UTC"))
states = {ti.task_id: str(ti.state) for ti in dagrun.get_task_instances()}
print("STATE", dagrun.state, states, flush=True)
sys.exit(0 if str(dagrun.state) == "success" else 3)
"""


@pytest.fixture
def world(sandbox, airflow_db, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=77, employees=40, gl_runs=False)
    configure(monkeypatch, sandbox, tmp_path, employee_sync=RUNS_HOURS_APART)
    return sandbox


def _start(name: str, tmp: Path, airflow_home) -> subprocess.Popen:
    env = deployment_env(airflow_home(tmp / f"home-{name}"), tmp / f"audit-{name}.db")
    log = (tmp / f"run-{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(HERE.parents[1]),
    )


def _wait(procs: dict[str, subprocess.Popen], tmp: Path) -> None:
    for name, proc in procs.items():
        try:
            code = proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = -9
        assert code == 0, (name, (tmp / f"run-{name}.log").read_text()[-4000:])


def _creates(sandbox) -> int:
    return sum(
        1
        for c in sandbox.calls("visma")
        if c["method"] == "POST"
        and c["path"].rstrip("/") == "/v1/employee"
        and (c.get("committed_status") or c["status"] or 500) < 300
    )


def test_two_syncs_with_separate_stores_create_each_employee_once(world, airflow_home, tmp_path):
    world.faults("visma", {"method": "POST", "path": "^/v1/employee/?$",
                           "latency_ms": SLOW_CREATE_MS, "times": None})  # fmt: skip
    _wait({n: _start(n, tmp_path, airflow_home) for n in ("a", "b")}, tmp_path)

    employees = world.visma_state()["employees"]
    numbers = collections.Counter(e["employeeNumber"] for e in employees)
    assert numbers and all(n == 1 for n in numbers.values()), numbers.most_common(3)
    refused = [
        c
        for c in world.calls("visma")
        if c["method"] == "POST" and c["path"].rstrip("/") == "/v1/employee" and c["status"] == 400
    ]
    print(f"\nVisma employees: {len(numbers)}; creates refused as duplicates: {len(refused)}")

    # A third deployment, fresh store: Visma already holds everyone, so nothing is created and
    # UKG's and Visma's headcounts agree.
    world.clear_faults()
    before = _creates(world)
    _wait({"c": _start("c", tmp_path, airflow_home)}, tmp_path)
    assert _creates(world) == before
    after = collections.Counter(e["employeeNumber"] for e in world.visma_state()["employees"])
    assert after == numbers
