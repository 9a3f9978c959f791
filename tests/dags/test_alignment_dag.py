"""``ukg_visma_cost_center_alignment`` run by Airflow itself (``dag.test``) against the sandbox.

Proves the wiring: params reach the tasks, the plan travels between tasks, the default run is a
dry run, and an applied run leaves both sides aligned with UKG untouched.
"""

from __future__ import annotations

import pytest
from dag_loader import load_dag
from sandbox_fixture import configure

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
    return load_dag(DAG_ID)


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


def test_with_ukg_writes_on_the_dag_creates_org_levels_in_one_array_post(
    sandbox, airflow_db, monkeypatch, tmp_path, capfd
):
    """Visma has cost centres UKG lacks: one published array POST (207), each created item in
    UKG's org levels, one refused item (description over 25 characters) named in the task's
    outcome; no second POST."""
    from ukg_visma.hooks import VismaHook

    sandbox.reset(
        scenario="manufacturer", seed=42, employees=300, cost_centers=40, org_level_writes=True
    )
    configure(monkeypatch, sandbox, tmp_path, alignment={"write_cost_centers_to_ukg": True})
    items = [
        {"operation": "Insert", "value": v, "description": {"value": d}, "active": {"value": True}}
        for v, d in (("390", "Pilot line Mo i Rana"),
                     ("392", "Commissioning and test bench Mo i Rana"))
    ]  # fmt: skip
    VismaHook().update_segment_values(2, lambda _: {"segmentValues": items})
    applied = _dag().test(run_conf={"dry_run": False})
    ukg_out = applied.get_task_instance("apply_to_ukg").xcom_pull(task_ids="apply_to_ukg")
    assert ukg_out["ukg_writes"] == 1
    (finding,) = ukg_out["ukg_refused"]
    assert finding.startswith("org level 3 code 392: description: ")
    codes = {o["code"] for o in sandbox.ukg_state()["orgLevels"] if o["level"] == 3}
    assert "390" in codes and "392" not in codes
    posts = [c for c in _writes(sandbox, "ukg") if c["method"] == "POST"]
    assert [(c["path"], c["status"]) for c in posts] == [("/configuration/v1/org-levels", 207)]
    # the final state on both sides: UKG holds 390 as Visma names it, nothing of 392; Visma's
    # segment values are untouched (the alignment writes to UKG only here)
    created = next(o for o in sandbox.ukg_state()["orgLevels"]
                   if o["level"] == 3 and o["code"] == "390")  # fmt: skip
    assert created["description"] == "Pilot line Mo i Rana", created
    kept = sandbox.visma_state()["segments"]["SUBACCOUNT"]["2"]["segmentValues"]
    text = repr(kept)
    assert "Pilot line Mo i Rana" in text and "Commissioning and test bench Mo i Rana" in text
    # not a false green: the refused item leaves UKG unaligned, so the run ends failed at the
    # final check (a fresh plan still inserts 392), after the writes that were accepted
    states = _states(applied)
    assert str(applied.state) == "failed", states
    assert states["apply_to_ukg"] == "success"
    assert [t for t, st in states.items() if st == "failed"] == ["verify"], states
    # verify's failure names the refused item (level, code, UKG's message), not a guess
    out, err = capfd.readouterr()
    logged = out + err
    assert f"UKG refused {finding}" in logged, logged[-2000:]
    assert "another writer" not in logged
