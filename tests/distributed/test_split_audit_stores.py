"""Two Celery workers, each with its own audit file (no shared ``ukg_visma_audit``): still once.

The worst deployment mistake the issue names — every worker on its own default SQLite store — must
cost audit convenience, never money. Each worker here writes a private SQLite file; a worker is
SIGKILLed inside a journal POST, so the retry runs on the other worker, whose store has never
heard of the journal. Judged from the Visma sandbox's state only.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from typing import Any

import pytest
from airflow_cluster import WORKERS
from run_helpers import crash_worker_of, print_run, run_to_end, start_run, wait_for_task

from ukg_visma.gl.journal import journal_key_from_batch

pytestmark = pytest.mark.distributed

PAYROLL = "ukg_visma_payroll_gl"
HELD_POST_MS = 12_000


@pytest.fixture
def split_stores(two_workers, sandbox):
    cluster = two_workers
    tag = uuid.uuid4().hex[:6]
    for name in WORKERS:
        cluster.worker_env[name] = {
            "AIRFLOW_CONN_UKG_VISMA_AUDIT": None,
            "UKG_VISMA_AUDIT_URL": f"sqlite:///{cluster.home}/{name}-{tag}-audit.db",
        }
        cluster.crash_worker(name)
        cluster.start_worker(name)
    sandbox.reset()
    yield cluster
    sandbox.clear_faults()
    cluster.worker_env.clear()
    for name in WORKERS:  # back to the shared store for the tests after this one
        cluster.crash_worker(name)
        cluster.start_worker(name)


def _ours(sandbox, period_id: str) -> list[dict[str, Any]]:
    return [
        b
        for b in sandbox.visma_state()["journals"]
        if str(b.get("financialPeriod")) == period_id and journal_key_from_batch(b)
    ]


def _journal_posts(sandbox) -> int:
    return sum(
        1
        for c in sandbox.calls("visma")
        if c["method"] == "POST" and c["path"].rstrip("/") == "/v2/journaltransaction"
    )


def _assert_once(sandbox, period_id: str) -> list[dict[str, Any]]:
    live = [b for b in _ours(sandbox, period_id) if b.get("status") != "Voided"]
    keys = Counter(journal_key_from_batch(b) for b in live)
    print(f"Visma {period_id}: {len(live)} live batch(es) of ours, keys {dict(keys)}")
    assert live and max(keys.values()) == 1, keys
    assert {b["status"] for b in live} == {"Posted"}
    return live


def test_workers_with_their_own_audit_files_post_each_journal_once(split_stores, sandbox):
    cluster = split_stores
    sandbox.faults(
        "visma",
        {"method": "POST", "path": "^/v2/journaltransaction/?$", "latency_ms": HELD_POST_MS,
         "times": 1},
    )  # fmt: skip
    run_id = start_run(
        cluster, PAYROLL, conf={"period": "2026-10", "run_id": "NMF-202610-R1,NMF-202610-C1"}
    )
    first_seen: dict[str, float] = {}

    def posting_in_flight(tis: list[dict[str, Any]]) -> dict[str, Any] | None:
        running = sorted(
            (
                t
                for t in tis
                if t["state"] == "running"
                and t["task_id"] == "post_journal"
                and t["hostname"] in WORKERS
            ),
            key=lambda t: t["start_date"],
        )
        if not running:
            first_seen.clear()
            return None
        since = first_seen.setdefault(running[0]["id"], time.monotonic())
        return running[0] if time.monotonic() - since >= 3 else None

    ti = wait_for_task(cluster, PAYROLL, run_id, posting_in_flight, timeout=300)
    victim, survivor = crash_worker_of(cluster, ti)
    result = cluster.api.wait_for_run(PAYROLL, run_id, timeout=420)
    print_run(result, cluster)
    assert result.state == "success", result.failed()
    tries = cluster.api.tries(PAYROLL, run_id, ti["task_id"], ti["map_index"])
    print("tries: " + ", ".join(f"{t['try_number']}:{t['hostname']}:{t['state']}" for t in tries))
    # the retry ran on the survivor, whose own store had never seen this journal
    assert tries[0]["hostname"] == victim and tries[-1]["hostname"] == survivor
    assert tries[-1]["state"] == "success"
    first = _assert_once(sandbox, "202610")
    cluster.start_worker(victim)  # back, with its own stale store

    # the period again: whichever worker plans, Visma is read first — nothing is posted
    posts = _journal_posts(sandbox)
    result = run_to_end(
        cluster,
        PAYROLL,
        conf={"period": "2026-10", "run_id": "NMF-202610-R1,NMF-202610-C1"},
        timeout=420,
    )
    assert result.state == "success", result.failed()
    assert _journal_posts(sandbox) == posts
    assert {b["batchNumber"] for b in _assert_once(sandbox, "202610")} == {
        b["batchNumber"] for b in first
    }
