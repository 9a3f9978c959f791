"""Retry only what retry can fix, in the real pay-period DAG (``dag.test``) against the sandbox:
an unbalanced export fails at once, and a Visma outage longer than the old retry budget ends green
without anyone clearing a task. Delays are shortened through settings.yaml (``retries``) so the
test is fast; the outage ends on an event (enough failed POSTs seen), not on a timer."""

from __future__ import annotations

import collections
import threading
import time

import pytest
from payroll_helpers import our_batches, run_period, task_states
from sandbox_fixture import QUICK_RETRIES, configure

from ukg_visma.gl.journal import journal_key_from_batch

pytestmark = pytest.mark.e2e
JOURNALS = r"^/v2/journaltransaction$"


@pytest.fixture
def payroll(sandbox, airflow_db, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300)
    configure(monkeypatch, sandbox, tmp_path, retries=QUICK_RETRIES)
    return sandbox


def _tries(dagrun) -> dict[str, int]:
    return {
        (ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"): ti.try_number
        for ti in dagrun.get_task_instances()
    }


def test_unbalanced_export_fails_without_retries(payroll):
    run = next(r for r in payroll.ukg_state()["glRuns"] if r["runId"] == "NMF-202610-R1")
    lines = [
        {"generalLedgerAccount": "5000-10-110", "baseSegment": "5000", "debitAmt": "100.10",
         "creditAmt": "0", "orgLevel1": "MOS", "orgLevel2": "10", "orgLevel3": "110"},
        {"generalLedgerAccount": "2930", "baseSegment": "2930", "debitAmt": "0",
         "creditAmt": "70.10"},
    ]  # fmt: skip
    added = payroll.ukg_admin("POST", "gl-runs", {
        "runId": run["runId"], "periodStartDate": "2026-10-01", "periodEndDate": "2026-10-31",
        "payDate": run["payDate"], "lines": lines, "replace": True, "emit": False,
    })  # fmt: skip
    assert added["balanced"] is False
    dagrun = run_period("2026-10")
    states, tries = task_states(dagrun), _tries(dagrun)
    assert str(dagrun.state) == "failed"
    assert states["extract"] == "failed" and tries["extract"] == 1, (states, tries)
    assert our_batches(payroll) == []


def test_visma_outage_longer_than_the_old_budget_ends_green_without_a_clear(payroll):
    """Every journal POST answers 503 until 8 have failed (the old policy allowed 3 retries of
    30 s, i.e. 4 tries a task, and then needed a human Clear); then Visma is back."""
    payroll.faults("visma", {"method": "POST", "path": JOURNALS, "status": 503, "times": None})
    stop = threading.Event()

    def visma_comes_back() -> None:
        while not stop.is_set():
            failed = [c for c in payroll.calls("visma") if c["method"] == "POST"
                      and c["path"] == "/v2/journaltransaction" and c["status"] == 503]  # fmt: skip
            if len(failed) >= 8:
                payroll.clear_faults("visma")
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=visma_comes_back, daemon=True)
    watcher.start()
    try:
        dagrun = run_period("2026-10")
    finally:
        stop.set()
        watcher.join(timeout=10)
    states, tries = task_states(dagrun), _tries(dagrun)
    assert str(dagrun.state) == "success", (states, tries)
    posts = [t for k, t in tries.items() if k.startswith("post_journal")]
    assert max(posts) > 4, tries  # more tries than the old policy allowed
    keys = collections.Counter(journal_key_from_batch(b) for b in our_batches(payroll))
    assert len(keys) == 2 and set(keys.values()) == {1}, keys  # each journal exactly once


def test_a_post_that_gives_up_names_the_batch_left_on_hold_in_visma(payroll):
    """Visma takes every journal but refuses (400) to take any off hold: the run note and the
    task's last line say which batch is on Hold in Visma and that a Clear adopts it — read from
    Visma, not a traceback."""
    from approvals import note_of

    payroll.faults("visma", {"method": "PUT", "path": r"^/v2/journaltransaction/\d+$",
                             "status": 400, "times": None})  # fmt: skip
    dagrun = run_period("2026-10")
    states = task_states(dagrun)
    assert str(dagrun.state) == "failed", states
    held = {b["batchNumber"]: b["status"] for b in our_batches(payroll)}
    assert held and set(held.values()) == {"Hold"}, held
    note = note_of(dagrun) or ""
    assert note.startswith("Pay period 2026-10: FAILED in post_journal — journal "), note
    assert any(f"batch {n} is on Hold in Visma; Clear this task to adopt it" in note
               for n in held), (note, held)  # fmt: skip
