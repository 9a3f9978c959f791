"""Employee sync under faults, over real HTTP against both sandboxes: a run interrupted half-way,
POST answers lost after commit, a concurrent writer on the same Visma employee, mapping drift."""

from __future__ import annotations

import collections
import threading
import time
from pathlib import Path

import pytest
from employee_sync_helpers import (
    RUNS_HOURS_APART,
    assert_converged,
    change_ukg,
    engine,
    last_seq,
    new_hire,
    sync,
    ukg_employees,
    visma_calls,
    visma_employees,
)
from sandbox_fixture import configure

from ukg_visma.audit import employees as state
from ukg_visma.audit import records
from ukg_visma.hooks import TransientError, VismaHook
from ukg_visma.tasks.employee_sync.context import PendingChangesAlarm

pytestmark = pytest.mark.e2e
POSTS = "^/v1/employee$"


@pytest.fixture
def env(sandbox, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=23, employees=160, gl_runs=False)
    configure(
        monkeypatch,
        sandbox,
        tmp_path,
        employee_sync={**RUNS_HOURS_APART, "batch_size": 20, "alarm_after_failed_runs": 2},
    )
    return sandbox


def _employed(sandbox) -> set[str]:
    """Employed UKG employees Visma can hold (those without e-mail are quarantined instead)."""
    return {e["employeeNumber"] for e in ukg_employees(sandbox).values()
            if e["employeeStatus"] != "T" and e["emailAddress"]}  # fmt: skip


def _created(calls) -> list[str]:
    return [c for c in calls if c["method"] == "POST" and c["path"] == "/v1/employee"]


def test_interrupted_run_resumes_without_duplicates(env):
    """A 503 storm on POST /v1/employee starts after ~60 creates: the run fails, keeps what it
    applied (batches are checkpoints), leaves the watermark alone; the re-run creates only the
    rest, and every employee exists exactly once."""
    stop = threading.Event()

    def storm_after(n: int) -> None:
        while not stop.is_set():
            if len([c for c in _created(env.calls("visma")) if c["status"] == 201]) >= n:
                env.faults("visma", {"method": "POST", "path": POSTS, "status": 503,
                                     "times": None})  # fmt: skip
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=storm_after, args=(60,), daemon=True)
    watcher.start()
    try:
        with pytest.raises(TransientError):
            sync("interrupted")
    finally:
        stop.set()
        watcher.join(timeout=10)
    first = visma_employees(env)
    employed = _employed(env)
    assert 60 <= len(first) < len(employed)
    assert state.get_watermark(engine()) is None  # the window is not done
    queued = {p["snapshot"]["employeeNumber"] for p in state.list_pending(engine())}
    assert queued >= employed - set(first)  # the rest is still queued, not lost
    assert not queued & set(first)  # what was applied left the queue with its batch

    env.clear_faults("visma")
    seq = last_seq(env, "visma")
    sync("rerun")
    assert_converged(env)
    again = _created(visma_calls(env, seq))
    assert {c["status"] for c in again} == {201}  # no "already exists", no duplicate
    assert len(again) == len(employed) - len(first)
    assert state.get_watermark(engine()) is not None


def test_lost_post_answers_are_read_back_not_repeated(env):
    env.faults("visma", {"method": "POST", "path": POSTS, "drop_response_after_commit": True,
                         "times": 3})  # fmt: skip
    sync("lossy")
    _, visma = assert_converged(env)
    posts = _created(env.calls("visma"))
    assert len(posts) == len(visma)  # each employee POSTed once, including the 3 lost answers
    notes = collections.Counter(
        r["detail"]["note"]
        for r in records.fetch_records(engine(), source_kind="employee_change")
        if r["status"] == "created"
    )
    assert notes["answer lost; found on read-back"] == 3


def test_concurrent_writer_on_the_same_employee_loses_no_update(env):
    """The sync moves an employee while a finance user edits the same Visma record: the sync's
    PUT is held by the sandbox until the other write has landed, gets 412, re-reads, re-applies.
    Both edits survive."""
    sync("initial")
    people = {e["employeeNumber"]: e for e in ukg_employees(env).values()}
    number = sorted(n for n, e in people.items() if e["employeeStatus"] == "A")[0]
    target = "240" if people[number]["orgLevel3Code"] != "240" else "230"
    change_ukg(env, [{"employeeId": people[number]["employeeId"], "orgLevel1Code": "RAU",
                      "orgLevel2Code": target[1] + "0", "orgLevel3Code": target}])  # fmt: skip
    path = f"/v1/employee/{number}"
    env.faults("visma", {"method": "PUT", "path": f"^{path}$", "latency_ms": 1500, "times": 1})
    email = "finance-edit@nordicmfg.no"
    other: dict[str, object] = {}

    def finance_user() -> None:
        deadline = time.monotonic() + 30
        while env.visma_admin("GET", "faults")["faults"]:  # the sync's PUT is now held
            assert time.monotonic() < deadline
            time.sleep(0.01)
        other["sent"] = VismaHook().update_employee(
            number, lambda body: {"contact": {"email": {"value": email}}}
        )

    writer = threading.Thread(target=finance_user)
    seq = last_seq(env, "visma")
    writer.start()
    result = sync("transfer")
    writer.join(timeout=30)
    assert other.get("sent")
    record = visma_employees(env)[number]
    assert record["department"] == target  # the sync's update
    assert record["contact"]["email"] == email  # the other writer's update
    statuses = [c["status"] for c in visma_calls(env, seq) if c["method"] == "PUT"
                and c["path"] == path]  # fmt: skip
    assert 412 in statuses and statuses[-1] == 204
    assert result["applied"]["visma_calls"]["conflicts"] >= 1


def test_new_cost_centre_is_drift_pending_alarmed_then_applied(env, tmp_path):
    sync("initial")
    change_ukg(env, [new_hire("990360", "360", orgLevel1Code="MOR", orgLevel2Code="10")])

    first = sync("drift-1")  # reported, held, not dropped; the run itself succeeds
    assert first["applied"]["held"] == 1
    assert {f["code"] for f in first["applied"]["drift"]["findings"]} == {"360"}
    pending = state.list_pending(engine())
    assert [(p["snapshot"]["employeeNumber"], p["failed_runs"]) for p in pending] == [("990360", 1)]
    assert "mapping drift" in pending[0]["reason"] and "360" in pending[0]["reason"]
    assert "990360" not in visma_employees(env)
    report = Path(first["checked"]["report"]).read_text(encoding="utf-8")
    assert "990360" in report and "360" in report
    # the drift report lands next to the run's report (tasks.reports, the one writer)
    drift = Path(first["checked"]["report"]).with_name("mapping_drift.md").read_text("utf-8")
    assert "| 3 | 360 | unmapped |" in drift
    assert state.get_watermark(engine()).isoformat() == first["applied"]["watermark"]

    with pytest.raises(PendingChangesAlarm, match="990360"):
        sync("drift-2")  # second failed run = alarm_after_failed_runs

    # finance adds the mapping and the Visma value (what the alignment DAG would do)
    mappings = tmp_path / "mappings" / "cost_centers.csv"
    mappings.write_text(
        mappings.read_text(encoding="utf-8") + "3,360,2,360,Commissioning Mo i Rana,manual\n",
        encoding="utf-8",
    )
    visma = VismaHook()
    visma.update_segment_values(
        2,
        lambda _: {"segmentValues": [{"operation": "Insert", "value": "360",
                                      "description": {"value": "Commissioning Mo i Rana"}}]},
    )  # fmt: skip
    seq = last_seq(env, "visma")
    third = sync("drift-fixed")
    assert third["applied"]["held"] == 0 and state.list_pending(engine()) == []
    assert visma_employees(env)["990360"]["department"] == "360"
    departments = {d["departmentId"]: d for d in env.visma_state()["departments"]}
    assert departments["360"]["expenseSubaccount"] == [
        {"segmentId": 1, "segmentValue": "10"},
        {"segmentId": 2, "segmentValue": "360"},
    ]
    assert [c["path"] for c in visma_calls(env, seq) if c["method"] == "POST"] == [
        "/v1/department",
        "/v1/employee",
    ]
    assert_converged(env)
