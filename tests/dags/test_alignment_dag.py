"""``ukg_visma_cost_center_alignment`` run by Airflow itself (``dag.test``) against the sandbox.

Proves the wiring: params reach the tasks, the plan travels between tasks, the default run is a
dry run, and an applied run leaves both sides aligned with UKG untouched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_fixture import configure

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "dags" / "ukg_visma_cost_center_alignment.py"
DAG_ID = "ukg_visma_cost_center_alignment"

pytestmark = pytest.mark.e2e


def _writes(sandbox, server: str) -> list[dict]:
    return [
        c
        for c in sandbox.calls(server)
        if c["method"] in {"POST", "PUT", "PATCH", "DELETE"} and "token" not in c["path"]
    ]


def _states(dagrun) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dagrun.get_task_instances()}


@pytest.fixture
def aligned_env(sandbox, airflow_db, monkeypatch, tmp_path):
    sandbox.reset(
        scenario="manufacturer",
        seed=42,
        employees=300,
        cost_centers=40,
        visma_segments="empty",
        org_level_writes=True,
    )
    return configure(monkeypatch, sandbox, tmp_path)


def _dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.dags[DAG_ID]


def test_dag_shape_and_defaults():
    dag = _dag()
    assert dag.schedule is None  # manual trigger only
    assert dag.params["dry_run"] is True  # a finance user's first click only plans
    assert set(dag.params) == {"dry_run"}  # UKG writes are a settings.yaml decision
    assert [t.task_id for t in dag.topological_sort()] == [
        "plan",
        "apply_to_visma",
        "apply_to_ukg",
        "verify",
    ]
    for t in dag.tasks:
        assert t.owner == "finance-data" and t.retries >= 2
        assert t.retry_policy is not None


def test_default_run_only_plans_then_an_applied_run_aligns(sandbox, aligned_env):
    dag = _dag()

    dry = dag.test()
    assert str(dry.state) == "success", _states(dry)
    assert _writes(sandbox, "visma") == [] and _writes(sandbox, "ukg") == []
    assert not (aligned_env / "cost_centers.generated.csv").exists()

    applied = dag.test(run_conf={"dry_run": False})
    assert str(applied.state) == "success", _states(applied)
    assert set(_states(applied).values()) == {"success"}
    state = sandbox.visma_state()["segments"]["SUBACCOUNT"]
    ukg = sandbox.ukg_state()["orgLevels"]
    for segment, level in (("1", 2), ("2", 3)):
        assert {v["valueId"] for v in state[segment]["segmentValues"]} == {
            o["code"] for o in ukg if o["level"] == level
        }
    assert _writes(sandbox, "ukg") == []
    assert (aligned_env / "cost_centers.generated.csv").is_file()
    summary = applied.get_task_instance("verify").xcom_pull(task_ids="verify")
    assert summary["visma_inserts"] == 46 and summary["unmapped_after"] == 0
