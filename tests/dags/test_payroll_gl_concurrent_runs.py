"""Two and three ``ukg_visma_payroll_gl`` runs of one pay period at once, each its own deployment.

Each run is a separate process with its own Airflow home and its own SQLite audit store (two
deployments, or workers with the default per-worker store), started at the same moment against
the one Visma sandbox; the journal POST is slowed so that every run plans before any batch lands
(the check-then-act race of issue #23). One trial SIGKILLs a run while its POST is in flight and
runs the period again from that run's store. Judged from the sandbox's state: every journal key
released exactly once, Visma's net equal to UKG's latest versions, each losing batch empty.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from airflow_fixture import deployment_env
from ledger_truth import (
    OFF_CYCLE,
    PERIOD,
    REGULAR,
    key_of,
    ours,
    per_account,
    ukg_latest_per_account,
    value,
    visma_net,
)

# Separate deployments (a process, an Airflow home and a store each) racing for minutes: a
# journey (make test-journeys). The same races in one process, every interleaving of create and
# settle and a run dying at each step, are in test_payroll_gl_exactly_once.py (make test).
pytestmark = [pytest.mark.e2e, pytest.mark.journey]

HERE = Path(__file__).resolve().parent
RELEASED = {"Released", "Posted", "Unposted", "Completed", "PartiallyReleased"}
TRIALS = int(os.environ.get("UKG_VISMA_CONCURRENT_TRIALS", "3"))
SLOW_POST_MS = 1500

SCRIPT = """
import sys
from payroll_helpers import run_period, task_states
dagrun = run_period(sys.argv[1], run_id=sys.argv[2])
print("STATE", dagrun.state, task_states(dagrun), flush=True)
sys.exit(0 if str(dagrun.state) == "success" else 3)
"""


def _start(name: str, tmp: Path, airflow_home, store: Path | None = None) -> subprocess.Popen:
    env = deployment_env(airflow_home(tmp / f"home-{name}"), store or tmp / f"audit-{name}.db")
    log = (tmp / f"run-{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, PERIOD, f"{REGULAR},{OFF_CYCLE}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(HERE.parents[1]),
    )  # fmt: skip


def _finish(procs: dict[str, subprocess.Popen], tmp: Path) -> dict[str, int]:
    codes = {}
    for name, proc in procs.items():
        try:
            codes[name] = proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            codes[name] = -9
    return codes


def _tail(tmp: Path, name: str) -> str:
    return (tmp / f"run-{name}.log").read_text()[-4000:]


def assert_each_key_released_once(sandbox) -> dict[str, list[str]]:
    """Visma's state: one released batch per key, others emptied; net = UKG's latest."""
    held = collections.defaultdict(list)
    for b in ours(sandbox):
        held[key_of(b)].append(b)
    assert held
    lost = {}
    for key, batches in held.items():
        released = [b for b in batches if b["status"] in RELEASED]
        assert len(released) == 1, (key, [(b["batchNumber"], b["status"]) for b in batches])
        others = [b for b in batches if b is not released[0]]
        for b in others:
            assert b["journalTransactionLines"] == [], b
            assert str(value(b["description"])).startswith(
                f"LOST to batch {released[0]['batchNumber']}"
            )
        lost[key] = [b["batchNumber"] for b in others]
    assert per_account(visma_net(sandbox)) == ukg_latest_per_account(sandbox, [REGULAR, OFF_CYCLE])
    return lost


def _slow_posts(sandbox) -> None:
    sandbox.faults("visma", {"method": "POST", "path": "^/v2/journaltransaction/?$",
                             "latency_ms": SLOW_POST_MS, "times": None})  # fmt: skip


@pytest.mark.parametrize("runs", [2, 3])
def test_concurrent_runs_with_separate_stores_release_each_key_once(
    payroll, airflow_home, tmp_path, runs
):
    trials = TRIALS if runs == 2 else max(1, TRIALS // 3)
    losses = 0
    for trial in range(trials):
        payroll.reset(scenario="manufacturer", seed=42, employees=300)
        _slow_posts(payroll)
        tmp = tmp_path / f"trial-{trial}"
        tmp.mkdir()
        procs = {f"r{i}": _start(f"r{i}", tmp, airflow_home) for i in range(runs)}
        codes = _finish(procs, tmp)
        payroll.clear_faults("visma")
        assert all(c == 0 for c in codes.values()), {n: _tail(tmp, n) for n in codes}
        lost = assert_each_key_released_once(payroll)
        losses += sum(len(v) for v in lost.values())
        if any(lost.values()):  # a loser says so in its run report (logged by reconcile)
            logs = [(tmp / f"run-{n}.log").read_text() for n in procs]
            assert any("Lost to another run" in text for text in logs)
    print(f"{runs} concurrent runs x {trials} trial(s): {losses} losing batch(es) emptied")
    assert losses > 0  # the race really happened (every run planned before any batch landed)


def _ledger_states(store: Path) -> set[str]:
    if not store.exists():
        return set()
    try:
        with sqlite3.connect(store, timeout=1) as conn:
            return {r[0] for r in conn.execute("select status from journal_ledger")}
    except sqlite3.Error:
        return set()


def test_a_run_killed_mid_post_and_run_again_from_its_store(payroll, airflow_home, tmp_path):
    """Run A is SIGKILLed while its journal POST is in flight (its ledger says ``unknown``);
    B runs meanwhile with its own store; A's period is then run again from A's store."""
    _slow_posts(payroll)
    store_a = tmp_path / "audit-a.db"
    a = _start("a", tmp_path, airflow_home, store_a)
    b = _start("b", tmp_path, airflow_home)
    deadline = time.monotonic() + 300
    while "unknown" not in _ledger_states(store_a):
        assert a.poll() is None and time.monotonic() < deadline, _tail(tmp_path, "a")
        time.sleep(0.05)
    a.send_signal(signal.SIGKILL)
    a.wait(30)
    assert _finish({"b": b}, tmp_path) == {"b": 0}, _tail(tmp_path, "b")
    payroll.clear_faults("visma")
    again = _start("a-again", tmp_path, airflow_home, store_a)
    assert _finish({"a-again": again}, tmp_path) == {"a-again": 0}, _tail(tmp_path, "a-again")
    assert_each_key_released_once(payroll)
    print(json.dumps({"batches": [(x["batchNumber"], x["status"]) for x in ours(payroll)]}))


def test_a_run_killed_between_its_create_and_its_settle(payroll, airflow_home, tmp_path):
    """A's batch lands on hold and A is SIGKILLed during the read-back that would settle it (the
    listing is slowed). B, with its own store, finds A's held batch the lowest holder: B's own
    batch (if it made one) is emptied and A's is released — by B, on the dead run's behalf. A's
    period run again from A's store creates nothing more."""
    payroll.faults("visma", {"method": "GET", "path": "^/v2/journaltransaction/?$",
                             "latency_ms": 1200, "times": None})  # fmt: skip
    store_a = tmp_path / "audit-a.db"
    a = _start("a", tmp_path, airflow_home, store_a)
    deadline = time.monotonic() + 300
    while not any(b["status"] == "Hold" for b in ours(payroll)):
        assert a.poll() is None and time.monotonic() < deadline, _tail(tmp_path, "a")
        time.sleep(0.05)
    a.send_signal(signal.SIGKILL)
    a.wait(30)
    held = {b["batchNumber"] for b in ours(payroll)}
    payroll.clear_faults("visma")
    b = _start("b", tmp_path, airflow_home)
    assert _finish({"b": b}, tmp_path) == {"b": 0}, _tail(tmp_path, "b")
    assert_each_key_released_once(payroll)
    released = {x["batchNumber"] for x in ours(payroll) if x["status"] in RELEASED}
    assert held & released  # the dead run's held batch was the winner, released by B
    before = len(ours(payroll))
    again = _start("a-again", tmp_path, airflow_home, store_a)
    assert _finish({"a-again": again}, tmp_path) == {"a-again": 0}, _tail(tmp_path, "a-again")
    assert len(ours(payroll)) == before
    assert_each_key_released_once(payroll)


REVERSE = """
import sys
from ukg_visma.cli import main
sys.exit(main(["reverse", "--batch", sys.argv[1], "--reason", "probe"]))
"""


@pytest.mark.parametrize("requests", [2, 3])
def test_reverse_requests_at_once_from_separate_stores_reverse_once(
    payroll, airflow_home, tmp_path, requests
):
    """``ukg-visma reverse`` of one batch, started two (three) times at once, each with its own
    store: one reversal released, the others emptied, every request exits 0 (no PROBLEM)."""
    from payroll_helpers import run_period

    assert str(run_period(PERIOD).state) == "success"
    original = next(b for b in ours(payroll) if f":{OFF_CYCLE}:" in key_of(b))
    _slow_posts(payroll)
    procs = {}
    for i in range(requests):
        name = f"rev{i}"
        env = deployment_env(airflow_home(tmp_path / f"home-{name}"), tmp_path / f"audit-{name}.db")
        log = (tmp_path / f"run-{name}.log").open("w")
        procs[name] = subprocess.Popen(
            [sys.executable, "-c", REVERSE, original["batchNumber"]],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(HERE.parents[1]),
        )  # fmt: skip
    codes = _finish(procs, tmp_path)
    payroll.clear_faults("visma")
    logs = {n: (tmp_path / f"run-{n}.log").read_text() for n in procs}
    assert set(codes.values()) == {0}, logs
    assert not any("PROBLEM" in text for text in logs.values()), logs
    reversals = [b for b in ours(payroll) if f"REV-{original['batchNumber']}" in key_of(b)]
    released = [b for b in reversals if b["status"] in RELEASED]
    assert len(released) == 1, [(b["batchNumber"], b["status"]) for b in reversals]
    for b in reversals:
        if b is not released[0]:
            assert b["journalTransactionLines"] == []
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR])
