"""Webhooks start work (#16), end to end through the real processes of the distributed tier.

UKG's sandbox delivers signed webhooks to the receiver that ``airflow api-server`` serves; the
receiver writes the inbox (the cluster's PostgreSQL audit store) and nothing else. From there:

- ``PayrollGLExportCompletedEvent``: the pay-period run's ``wait_for_gl_export`` is *deferred* on
  an inbox trigger in the triggerer; the event releases it, and the period's journals reach Visma
  — long before its 30-minute look at UKG would have come (the timeout says so, not a stopwatch).
- employee events: the triggerer's ``AssetWatcher`` turns the inbox into ``ukg_employee_events``
  asset events, and the scheduler starts the employee sync (``AssetOrTimeSchedule``). One hire →
  the employee exists in Visma; 100 hires in a burst → a few runs, each hire created once.

Asset-triggered runs need the scheduler's ``use_job_schedule`` (the cluster turns it off so that no
cron run races a test's own): the employee tests restart the scheduler with it on, with every
other DAG paused, and put it back afterwards. Results are judged from the sandboxes' state.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from airflow_cluster import AirflowCluster
from run_helpers import audit_rows, print_run, start_run, wait_for_task
from test_ukg_visma_dags import assert_journals_exactly_once

pytestmark = pytest.mark.distributed

PAYROLL = "ukg_visma_payroll_gl"
EMPLOYEE_SYNC = "ukg_visma_employee_sync"
RECEIVER_PATH = "/ukg-visma/webhooks/ukg"
AUDIT_TABLES = {
    "journal_ledger", "journal_batches", "records", "runs", "employee_state", "watermarks",
    "pending_changes", "inbox", "visma_employees", "rejected_employees", "feed_calls",
}  # fmt: skip
COST_CENTRES = {"110": ("MOR", "10"), "120": ("MOR", "20"), "210": ("HAM", "10")}


def _truncate_audit(cluster: AirflowCluster) -> None:
    engine = sa.create_engine(cluster.audit_url)
    try:
        with engine.begin() as conn:
            tables = [t for t in sa.inspect(conn).get_table_names() if t in AUDIT_TABLES]
            if tables:
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)}"))
    finally:
        engine.dispose()


def _subscribe(sandbox: Any, cluster: AirflowCluster) -> None:
    """UKG's webhook subscription → the receiver in the api-server, with the deployment's secret."""
    sandbox.ukg_admin(
        "POST",
        "webhooks",
        {
            "url": cluster.api.base_url + RECEIVER_PATH,
            "secret": cluster.compose_values["UKG_WEBHOOK_SECRET"],
        },
    )


def _delivered(sandbox: Any) -> Counter[str]:
    found = sandbox.ukg_admin("GET", "webhook-deliveries")["deliveries"]
    return Counter(f"{d['outcome']}:{d['httpStatus']}" for d in found)


def _set_paused(cluster: AirflowCluster, dag_id: str, paused: bool) -> None:
    cluster.api._call("PATCH", f"/dags/{quote(dag_id)}", json={"is_paused": paused})


def _restart_scheduler(cluster: AirflowCluster, use_job_schedule: bool) -> None:
    proc = cluster.processes["scheduler"]
    proc.terminate()
    proc.finish(time.monotonic() + 40)
    proc.env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] = str(use_job_schedule)
    proc.start()
    cluster._pgids.append(proc.pid or 0)
    cluster._save_state()
    deadline = time.monotonic() + 180
    while not cluster._healthy():
        cluster.assert_alive()
        assert time.monotonic() < deadline, f"scheduler not healthy again\n{cluster.tails()}"
        time.sleep(1)


# -- PayrollGLExportCompletedEvent releases the waiting sensor ----------------------------------
def test_gl_export_event_releases_the_waiting_period(two_workers, sandbox):
    cluster = two_workers
    sandbox.reset()
    _truncate_audit(cluster)
    _subscribe(sandbox, cluster)
    period, run_id = "2026-11", "NMF-202611-R1"  # the scenario's runs end with 2026-10
    october = sandbox.ukg_admin("GET", "gl-runs/NMF-202610-R1/versions?lines=true")
    lines = october["versions"][-1]["glLines"]

    dag_run = start_run(cluster, PAYROLL, conf={"period": period})
    try:
        sensor = wait_for_task(
            cluster,
            PAYROLL,
            dag_run,
            lambda tis: next(
                (
                    t
                    for t in tis
                    if t["task_id"] == "wait_for_gl_export" and t["state"] == "deferred"
                ),
                None,
            ),
            timeout=300,
        )
        print(
            f"\n{sensor['task_id']} deferred (try {sensor['try_number']}): UKG has no {period} run"
        )

        added_at = time.monotonic()
        added = sandbox.ukg_admin(
            "POST",
            "gl-runs",
            {
                "runId": run_id,
                "periodStartDate": "2026-11-01",
                "periodEndDate": "2026-11-30",
                "payDate": "2026-11-25",
                "lines": lines,
                "wait": True,  # the webhook is delivered before this answers
            },
        )
        print(
            f"UKG completed {run_id}: {added['lines']} lines; webhooks {dict(_delivered(sandbox))}"
        )
        # The poke interval is 30 minutes: finishing well inside this timeout is the event's doing.
        result = cluster.api.wait_for_run(PAYROLL, dag_run, timeout=900)
        print_run(result, cluster)
        print(f"GL event -> run {result.state} in {time.monotonic() - added_at:.0f}s (measured)")
        assert result.state == "success", result.failed()
        tries = cluster.api.tries(PAYROLL, dag_run, "wait_for_gl_export")
        assert [t["state"] for t in tries] == ["success"], tries  # released, not timed out
        assert_journals_exactly_once(cluster, sandbox, period)
        rows = audit_rows(
            cluster,
            "select event_type, status, processed_by_run from inbox"
            " where event_type = 'PayrollGLExportCompletedEvent'",
        )
        assert [(r.status, r.processed_by_run) for r in rows] == [("processed", dag_run)]
    finally:
        _set_paused(cluster, PAYROLL, True)


# -- employee events → asset events → employee-sync runs ----------------------------------------
@pytest.fixture
def event_scheduling(two_workers, sandbox) -> Iterator[AirflowCluster]:
    """The scheduler with ``use_job_schedule`` on, only the employee sync unpaused; a small
    company (fast runs), an empty audit store and UKG's webhooks pointed at the api-server."""
    cluster = two_workers
    cluster.api.wait_for_dag(EMPLOYEE_SYNC)
    for dag in cluster.api._call("GET", "/dags?limit=100")["dags"]:
        if dag["dag_id"] != EMPLOYEE_SYNC and not dag["is_paused"]:
            _set_paused(cluster, dag["dag_id"], True)
    sandbox.reset(scenario="manufacturer", seed=16, employees=150, gl_runs=False)
    _truncate_audit(cluster)
    _restart_scheduler(cluster, use_job_schedule=True)
    try:
        yield cluster
    finally:
        _set_paused(cluster, EMPLOYEE_SYNC, True)
        _restart_scheduler(cluster, use_job_schedule=False)


def _hire(number: str, cost_centre: str = "110") -> dict[str, Any]:
    # Numeric: the published change feed carries employeeNumber as a JSON number
    # (an alphanumeric number cannot reach it and is quarantined, naming the employee).
    plant, department = COST_CENTRES[cost_centre]
    return {
        "employeeNumber": number, "firstName": "Event", "lastName": f"Hire {number}",
        "companyId": "C0001", "employeeStatus": "A", "orgLevel1Code": plant,
        "orgLevel2Code": department, "orgLevel3Code": cost_centre, "jobCode": "OPR1",
        "lastHireDate": "2026-11-30", "originalHireDate": "2026-11-30",
    }  # fmt: skip


def _visma_numbers(sandbox: Any) -> Counter[str]:
    return Counter(e["employeeNumber"] for e in sandbox.visma_state()["employees"])


def _wait_in_visma(cluster, sandbox, numbers: set[str], timeout: float) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while True:
        cluster.assert_alive()
        found = _visma_numbers(sandbox)
        if numbers <= set(found):
            return found
        assert time.monotonic() < deadline, (
            f"{len(numbers - set(found))} of {len(numbers)} hires not in Visma after {timeout}s; "
            f"runs: {_runs(cluster)}"
        )
        time.sleep(2)


def _runs(cluster: AirflowCluster) -> list[tuple[str, str, str]]:
    return [(r["dag_run_id"], r["run_type"], r["state"]) for r in cluster.api.runs(EMPLOYEE_SYNC)]


def _wait_idle(cluster: AirflowCluster, timeout: float = 600) -> list[dict[str, Any]]:
    """Until no employee-sync run is queued or running (a coalesced tail run included)."""
    deadline = time.monotonic() + timeout
    while True:
        cluster.assert_alive()
        runs = cluster.api.runs(EMPLOYEE_SYNC)
        if all(r["state"] in ("success", "failed") for r in runs):
            return runs
        assert time.monotonic() < deadline, _runs(cluster)
        time.sleep(3)


def _employee_creates(sandbox: Any, since: int) -> int:
    """Employee creates Visma committed after call ``since`` (a lost answer still counts)."""
    return sum(
        1
        for c in sandbox.calls("visma", since=since)
        if c["method"] == "POST"
        and c["path"].rstrip("/") == "/v1/employee"
        and ((c["committed_status"] or c["status"] or 500) < 300)
    )


def test_one_hire_webhook_reaches_visma_without_the_schedule(event_scheduling, sandbox):
    cluster = event_scheduling
    initial = start_run(cluster, EMPLOYEE_SYNC)  # the initial load sets the watermark
    result = cluster.api.wait_for_run(EMPLOYEE_SYNC, initial, timeout=600)
    print_run(result, cluster)
    assert result.state == "success", result.failed()
    _subscribe(sandbox, cluster)
    before = {r[0] for r in _runs(cluster)}

    sent = time.monotonic()
    sandbox.ukg_admin("POST", "employees", {"employees": [_hire("970001")], "wait": True})
    print(f"\nwebhooks: {dict(_delivered(sandbox))}")
    # The cron is every 3 hours; the hire arriving inside this timeout is the webhook's doing.
    found = _wait_in_visma(cluster, sandbox, {"970001"}, timeout=600)
    print(f"hire webhook -> employee in Visma in {time.monotonic() - sent:.0f}s (measured)")
    assert found["970001"] == 1
    runs = [r for r in _runs(cluster) if r[0] not in before]
    print(f"runs after the webhook: {runs}")
    assert runs and {r[1] for r in runs} == {"asset_triggered"}, runs
    _wait_idle(cluster)


def test_burst_of_100_hires_coalesces_into_a_few_runs(event_scheduling, sandbox):
    cluster = event_scheduling
    initial = start_run(cluster, EMPLOYEE_SYNC)
    assert cluster.api.wait_for_run(EMPLOYEE_SYNC, initial, timeout=600).state == "success"
    _subscribe(sandbox, cluster)
    before = {r[0] for r in _runs(cluster)}
    calls = sandbox.calls("visma")
    since = calls[-1]["seq"] if calls else 0

    hires = [_hire(f"96{n:04d}", cost_centre=("110", "120", "210")[n % 3]) for n in range(100)]
    sent = time.monotonic()
    sandbox.ukg_admin("POST", "employees", {"employees": hires, "wait": True})
    print(f"\n100 hires: webhooks {dict(_delivered(sandbox))} in {time.monotonic() - sent:.1f}s")
    numbers = {h["employeeNumber"] for h in hires}
    found = _wait_in_visma(cluster, sandbox, numbers, timeout=900)
    print(f"burst -> all 100 in Visma in {time.monotonic() - sent:.0f}s (measured)")
    runs = [r for r in _wait_idle(cluster) if r["dag_run_id"] not in before]
    summary = [(r["dag_run_id"], r["run_type"], r["state"]) for r in runs]
    print(f"runs for the burst: {len(runs)}: {summary}")
    assert {r["state"] for r in runs} == {"success"}, summary
    assert 1 <= len([r for r in runs if r["run_type"] == "asset_triggered"]) <= 3, summary
    assert {n: found[n] for n in numbers if found[n] != 1} == {}, "a hire twice in Visma"
    creates = _employee_creates(sandbox, since)
    print(f"Visma employee creates after the burst: {creates}")
    assert creates == len(numbers), "each hire is created exactly once"
    # UKG's change-feed budget, as the sandbox saw it: webhook-started runs read by id
    feed = sandbox.ukg_admin("GET", "feed-calls")
    print(f"change-feed calls: {feed['count']} {feed['calls']}")
    assert feed["violations"] == [], feed
