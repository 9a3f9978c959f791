"""The cluster itself, with probe DAGs: tasks spread over both Celery workers, and a worker
SIGKILLed in the middle of a task loses nothing — the scheduler notices the missing heartbeat and
the retry runs on the surviving worker.
"""

from __future__ import annotations

import pytest
from airflow_cluster import WORKERS
from run_helpers import (
    audit_rows,
    crash_worker_of,
    print_run,
    run_to_end,
    running_on_a_worker,
    start_run,
    wait_for_task,
)

pytestmark = pytest.mark.distributed

PROBE_ROWS = (
    "select map_index, try_number, worker, finished_at is not null as finished"
    " from dist_probe where dag_id = :dag_id and run_id = :run_id order by map_index, try_number"
)


def test_mapped_tasks_run_on_both_celery_workers(two_workers):
    cluster = two_workers
    result = run_to_end(cluster, "ukgv_dist_fanout", timeout=180)

    assert result.state == "success", result.failed()
    tis = result.task_instances
    assert sorted(ti["map_index"] for ti in tis) == list(range(6))
    assert {ti["queue"] for ti in tis} == {cluster.queue}
    assert set(result.per_worker()) == set(WORKERS), result.per_worker()
    # What the tasks themselves recorded matches what Airflow says about them.
    rows = audit_rows(cluster, PROBE_ROWS, dag_id=result.dag_id, run_id=result.run_id)
    assert [(r.map_index, r.worker, r.finished) for r in rows] == [
        (ti["map_index"], ti["hostname"], True) for ti in sorted(tis, key=lambda t: t["map_index"])
    ]
    # The messages went through Redis under this cluster's own prefix and queue.
    keys = cluster.broker_keys()
    assert any(cluster.queue in key for key in keys), keys


def test_worker_killed_mid_task_is_retried_on_the_other_worker(two_workers):
    cluster = two_workers
    dag_id = "ukgv_dist_hold"
    run_id = start_run(cluster, dag_id)
    ti = wait_for_task(cluster, dag_id, run_id, _first_running)

    def task_code_started(tis: list[dict]) -> dict | None:
        # Kill only once the task code itself runs (its row is in the audit DB).
        return tis[0] if audit_rows(cluster, PROBE_ROWS, dag_id=dag_id, run_id=run_id) else None

    wait_for_task(cluster, dag_id, run_id, task_code_started)
    victim, survivor = crash_worker_of(cluster, ti)

    result = cluster.api.wait_for_run(dag_id, run_id, timeout=240)
    print_run(result, cluster)
    assert result.state == "success", result.failed()
    tries = cluster.api.tries(dag_id, run_id, "hold")
    print("tries: " + ", ".join(f"{t['try_number']}:{t['hostname']}:{t['state']}" for t in tries))
    assert tries[0]["hostname"] == victim and tries[0]["state"] != "success"
    assert tries[-1]["hostname"] == survivor and tries[-1]["state"] == "success"
    assert len(tries) == 2
    rows = audit_rows(cluster, PROBE_ROWS, dag_id=dag_id, run_id=run_id)
    assert [(r.try_number, r.worker, r.finished) for r in rows] == [
        (1, victim, False),
        (2, survivor, True),
    ]


def _first_running(tis: list[dict]) -> dict | None:
    return next(filter(running_on_a_worker, tis), None)
