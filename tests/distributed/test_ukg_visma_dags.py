"""The package's own DAGs on the distributed engine, against the sandbox servers.

Each test resets the sandbox, triggers a real DAG through the REST API and waits for success.
Exactly-once is checked on both sides: in Visma (the sandbox's ``/_sandbox/state``) every journal
key appears in one batch only and that batch is posted; in the audit store's ``journal_ledger``
every journal of the period is ``released`` and they are the same keys.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from airflow_cluster import WORKERS
from gl_events import announce_gl_runs
from run_helpers import audit_rows, crash_worker_of, print_run, run_to_end, start_run, wait_for_task

from ukg_visma.gl.journal import journal_key_from_batch

pytestmark = pytest.mark.distributed

PAYROLL = "ukg_visma_payroll_gl"
EMPLOYEE_SYNC = "ukg_visma_employee_sync"
HELD_POST_MS = 12_000  # long enough to kill the worker inside the request, short enough that
# the held POST commits in Visma before the retry starts: the "response lost" case


@pytest.fixture
def fresh_sandbox(sandbox, cluster):
    """A fresh Visma *and* a fresh audit store: the posting ledger describes what Visma holds,
    so after the sandbox forgets its journals the ledger must forget them too (a ledger saying
    "released" for a batch Visma no longer has is exactly what the reconciliation catches)."""
    sandbox.reset()
    engine = sa.create_engine(cluster.audit_url)
    try:
        with engine.begin() as conn:
            tables = [
                name
                for name in sa.inspect(conn).get_table_names()
                if name in {"journal_ledger", "journal_batches", "records", "runs",
                            "employee_state", "watermarks", "pending_changes", "inbox",
                            "visma_employees", "rejected_employees", "feed_calls"}
            ]  # fmt: skip
            if tables:
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)}"))
    finally:
        engine.dispose()
    yield sandbox
    sandbox.clear_faults()


def test_payroll_gl_posts_each_journal_exactly_once(two_workers, fresh_sandbox):
    # The period by param (a manual run without a partition key; ukg_visma.periods).
    result = run_to_end(
        two_workers,
        PAYROLL,
        conf={"period": "2026-10", "run_id": "NMF-202610-R1,NMF-202610-C1"},
        timeout=420,
    )
    assert result.state == "success", result.failed()
    assert_journals_exactly_once(two_workers, fresh_sandbox, "2026-10")


def test_payroll_gl_worker_killed_while_posting(two_workers, fresh_sandbox):
    cluster, sandbox = two_workers, fresh_sandbox
    sandbox.faults(
        "visma",
        {"method": "POST", "path": "^/v2/journaltransaction/?$", "latency_ms": HELD_POST_MS,
         "times": 1},
    )  # fmt: skip
    run_id = start_run(cluster, PAYROLL, conf={"period": "2026-09", "run_id": "NMF-202609-R1"})

    first_seen: dict[str, float] = {}

    def posting_in_flight(tis: list[dict[str, Any]]) -> dict[str, Any] | None:
        # A journal of the period is claimed (the POST follows within milliseconds); the task
        # that has been running longest holds it. Kill once that lasted 2 s: inside the request.
        running = sorted(
            (t for t in tis if t["state"] == "running" and t["hostname"] in WORKERS),
            key=lambda t: t["start_date"],
        )
        if not running or not _ledger(cluster, "2026-09", {"claimed", "unknown"}):
            first_seen.clear()
            return None
        since = first_seen.setdefault(running[0]["id"], time.monotonic())
        return running[0] if time.monotonic() - since >= 2 else None

    ti = wait_for_task(cluster, PAYROLL, run_id, posting_in_flight, timeout=300)
    victim, survivor = crash_worker_of(cluster, ti)

    result = cluster.api.wait_for_run(PAYROLL, run_id, timeout=420)
    print_run(result, cluster)
    assert result.state == "success", result.failed()
    tries = cluster.api.tries(PAYROLL, run_id, ti["task_id"], ti["map_index"])
    print("tries: " + ", ".join(f"{t['try_number']}:{t['hostname']}:{t['state']}" for t in tries))
    assert tries[0]["hostname"] == victim and tries[0]["state"] != "success"
    assert tries[-1]["hostname"] == survivor and tries[-1]["state"] == "success"
    posts = [
        c
        for c in sandbox.calls("visma")
        if c["method"] == "POST" and c["path"].rstrip("/") == "/v2/journaltransaction"
    ]
    print(f"POST /v2/journaltransaction calls: {len(posts)} (the first held {HELD_POST_MS} ms)")
    assert_journals_exactly_once(cluster, sandbox, "2026-09")


def test_payroll_gl_backfill_posts_one_run_per_period(two_workers, fresh_sandbox):
    """A backfill over three months (as the UI's dialog or `airflow backfill create` makes it)
    gives three partitioned runs keyed by the three pay periods; each posts its own journals."""
    cluster = two_workers
    # A backfill names no run ids: the months' GL events in the inbox do, as a subscribed
    # deployment has them (docs/decisions/pay-run-discovery.md).
    engine = sa.create_engine(cluster.audit_url)
    try:
        for period in ("2026-07", "2026-08", "2026-09"):
            assert announce_gl_runs(fresh_sandbox.ukg_url, engine, period), period
    finally:
        engine.dispose()
    cluster.api.wait_for_dag(PAYROLL)
    cluster.api.unpause(PAYROLL)
    backfill = cluster.api.backfill(PAYROLL, "2026-07-01T00:00:00Z", "2026-09-30T00:00:00Z")
    print(f"backfill {backfill['id']}: {backfill['from_date']} .. {backfill['to_date']}")
    deadline = time.monotonic() + 900
    while True:
        runs = [r for r in cluster.api.runs(PAYROLL) if r["run_type"] == "backfill"]
        if len(runs) == 3 and all(r["state"] in ("success", "failed") for r in runs):
            break
        assert time.monotonic() < deadline, [(r["dag_run_id"], r["state"]) for r in runs]
        time.sleep(3)
    for r in runs:
        print(f"  {r['dag_run_id']}: {r['state']} partition {r['partition_key']}")
    assert {r["state"] for r in runs} == {"success"}
    keys = sorted(r["partition_key"] for r in runs)
    assert keys == ["2026-07", "2026-08", "2026-09"], keys
    for period in keys:
        assert_journals_exactly_once(cluster, fresh_sandbox, period)


def test_employee_sync_succeeds(two_workers, fresh_sandbox):
    assert fresh_sandbox.visma_state()["counts"]["employees"] == 0
    result = run_to_end(two_workers, EMPLOYEE_SYNC, timeout=420)
    assert result.state == "success", result.failed()
    employees = fresh_sandbox.visma_state()["counts"]["employees"]
    print(f"Visma employees after the initial load: {employees}")
    assert employees > 0


def assert_journals_exactly_once(cluster, sandbox, period: str) -> None:
    batches = [
        b
        for b in sandbox.visma_state()["journals"]
        if str(b.get("financialPeriod")) == period.replace("-", "")
    ]
    keys = Counter(k for b in batches if (k := journal_key_from_batch(b)))
    posted = {journal_key_from_batch(b) for b in batches if b.get("status") == "Posted"}
    ledger = _ledger(cluster, period)
    print(
        f"journals {period}: Visma batches {len(batches)}, distinct keys {len(keys)}, "
        f"max copies of a key {max(keys.values(), default=0)}, posted {len(posted)}; "
        f"ledger rows {len(ledger)}, released {sum(s == 'released' for s in ledger.values())}"
    )
    assert ledger, f"no journal_ledger rows for {period}"
    assert {k: n for k, n in keys.items() if n != 1} == {}, "a journal key posted twice"
    assert set(keys) == set(ledger)
    assert posted == set(ledger)
    assert set(ledger.values()) == {"released"}


def _ledger(cluster, period: str, statuses: set[str] | None = None) -> dict[str, str]:
    """journal_key -> status for the period ('2026-09' or '202609'); empty before the table."""
    try:
        rows = audit_rows(cluster, "select journal_key, period, status from journal_ledger")
    except sa.exc.ProgrammingError:  # the DAG has not created the audit schema yet
        return {}
    return {
        r.journal_key: r.status
        for r in rows
        if r.period.replace("-", "") == period.replace("-", "")
        and (statuses is None or r.status in statuses)
    }
