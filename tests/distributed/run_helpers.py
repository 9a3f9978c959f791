"""Steps the distributed tests share: run a DAG to its end, find and crash a task's worker.

They keep each test a short story (trigger → wait → crash → assert) and print the figures the
issue asks for: the run's state and how many task attempts ran on each worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from airflow_api import AirflowApiError, RunResult
from airflow_cluster import WORKERS, AirflowCluster


def run_to_end(
    cluster: AirflowCluster,
    dag_id: str,
    *,
    logical_date: str | None = None,
    conf: dict[str, Any] | None = None,
    timeout: float = 300,
) -> RunResult:
    run_id = start_run(cluster, dag_id, logical_date=logical_date, conf=conf)
    result = cluster.api.wait_for_run(dag_id, run_id, timeout=timeout)
    print_run(result, cluster)
    return result


def print_failures(cluster: AirflowCluster, result: RunResult) -> None:
    """The log tail of each failed task instance: a red run says why in the test output."""
    for ti in result.task_instances:
        if ti["state"] == "failed":
            print(f"--- {ti['task_id']}[{ti['map_index']}] try {ti['try_number']} (log tail) ---")
            print(cluster.api.log_tail(result.dag_id, result.run_id, ti))


def start_run(
    cluster: AirflowCluster,
    dag_id: str,
    *,
    logical_date: str | None = None,
    conf: dict[str, Any] | None = None,
) -> str:
    cluster.api.wait_for_dag(dag_id)
    cluster.api.unpause(dag_id)
    return cluster.api.trigger(dag_id, logical_date=logical_date, conf=conf)


def print_run(result: RunResult, cluster: AirflowCluster | None = None) -> None:
    workers = ", ".join(f"{w}={n}" for w, n in sorted(result.per_worker().items()))
    print(
        f"\n{result.dag_id} {result.run_id}: {result.state}; "
        f"{len(result.task_instances)} task instances, final attempt per worker: {workers}"
    )
    if cluster is not None:
        print_failures(cluster, result)


def wait_for_task(
    cluster: AirflowCluster,
    dag_id: str,
    run_id: str,
    choose: Callable[[list[dict[str, Any]]], dict[str, Any] | None],
    timeout: float = 240,
) -> dict[str, Any]:
    """Poll the run's task instances until ``choose`` picks one; fail if the run ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster.assert_alive()
        tis = cluster.api.task_instances(dag_id, run_id)
        picked = choose(tis)
        if picked is not None:
            return picked
        state = cluster.api.run(dag_id, run_id)["state"]
        if state in ("success", "failed"):
            raise AirflowApiError(f"{dag_id} {run_id} ended ({state}) before the awaited task")
        time.sleep(0.5)
    raise AirflowApiError(f"no awaited task instance in {dag_id} {run_id} after {timeout}s")


def running_on_a_worker(ti: dict[str, Any]) -> bool:
    return ti["state"] == "running" and ti["hostname"] in WORKERS


def crash_worker_of(cluster: AirflowCluster, ti: dict[str, Any]) -> tuple[str, str]:
    """SIGKILL the worker running ``ti``; returns (victim, survivor) worker names."""
    victim = ti["hostname"]
    survivor = next(w for w in WORKERS if w != victim)
    pids = cluster.worker_pids(victim)
    cluster.crash_worker(victim)
    alive = [pid for pid in pids if _alive(pid)]
    assert not alive, f"processes of {victim} survived SIGKILL: {alive}"
    print(
        f"\nSIGKILL {victim} ({len(pids)} processes) while it ran "
        f"{ti['task_id']}[{ti['map_index']}] try {ti['try_number']}; {survivor} left"
    )
    return victim, survivor


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def audit_rows(cluster: AirflowCluster, query: str, **params: Any) -> list[sa.Row]:
    """Read the audit database (the test only observes; the DAGs own it)."""
    engine = sa.create_engine(cluster.audit_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(query), params).all())
    finally:
        engine.dispose()
