"""Fixtures of the distributed tier: one Airflow cluster for the whole session.

The cluster takes about a minute to start, so it is session-scoped and shared; tests leave it as
they found it (a crashed worker is started again by the ``two_workers`` fixture). When PostgreSQL
or Redis is missing the tier is skipped with the reason — except under ``CI=true``, where a
missing server is a failure: CI must never pass without having run this tier.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from airflow_cluster import WORKERS, AirflowCluster, infrastructure_problem

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def cluster(sandbox) -> Iterator[AirflowCluster]:
    problem = infrastructure_problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the distributed tier cannot run: {problem}")
        pytest.skip(f"distributed tier skipped: {problem}")
    probes = [HERE / "dags" / "ukgv_dist_probe.py"]
    cluster = AirflowCluster(sandbox.connections_env(), extra_dag_files=probes)
    try:
        cluster.start()
        print("\n" + cluster.describe())
        yield cluster
    finally:
        try:
            attempts = cluster.attempts_by_worker()
        except sa.exc.SQLAlchemyError:  # the metadata DB never got its schema
            attempts = {}
        unclean = cluster.stop()
        print("\ntask attempts per worker (whole session): " + _counts(attempts))
        print(f"shutdown: {'clean' if not unclean else 'SIGKILL needed for ' + ', '.join(unclean)}")


@pytest.fixture
def two_workers(
    cluster: AirflowCluster, request: pytest.FixtureRequest
) -> Iterator[AirflowCluster]:
    """Both workers up before the test; process log tails printed when the test fails."""
    for name in WORKERS:
        if not cluster.processes[name].alive():
            cluster.start_worker(name)
    yield cluster
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"\n===== process logs after failed {request.node.name}\n{cluster.tails(60)}")


def _counts(counter: object) -> str:
    items = sorted(dict(counter).items())  # type: ignore[call-overload]
    return ", ".join(f"{k}={v}" for k, v in items) or "none"
