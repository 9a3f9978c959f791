"""
### Probe DAGs for the distributed tier (tests only, never deployed)

They prove the cluster itself, independent of the payroll DAGs: ``ukgv_dist_fanout`` spreads six
mapped tasks over the Celery workers, ``ukgv_dist_hold`` keeps one task busy long enough to kill
the worker running it. Every attempt writes a row into ``dist_probe`` in the audit database
(reached through the ``ukg_visma_audit`` connection, as the real DAGs reach it), so a test can see
what really ran where, not only what the metadata database says.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

import pendulum
import sqlalchemy as sa
from airflow.sdk import BaseHook, dag, get_current_context, task
from sqlalchemy.pool import NullPool

START = pendulum.datetime(2026, 1, 1, tz="UTC")
DDL = """
create table if not exists dist_probe (
    id serial primary key,
    dag_id text not null, run_id text not null, task_id text not null,
    map_index int not null, try_number int not null,
    worker text not null, pid int not null,
    started_at timestamptz not null default now(), finished_at timestamptz
)"""


def _engine() -> sa.Engine:
    uri = BaseHook.get_connection("ukg_visma_audit").get_uri()
    url = uri.replace("postgres://", "postgresql+psycopg2://", 1)
    return sa.create_engine(url, poolclass=NullPool)


def _record_start() -> int:
    ti: Any = get_current_context()["ti"]
    row = {
        "dag_id": ti.dag_id, "run_id": ti.run_id, "task_id": ti.task_id,
        "map_index": ti.map_index if ti.map_index is not None else -1,
        "try_number": ti.try_number, "worker": os.environ.get("UKGV_WORKER_NAME", "?"),
        "pid": os.getpid(),
    }  # fmt: skip
    with _engine().begin() as conn:
        # Concurrent "create table if not exists" races in PostgreSQL (unique violation on
        # pg_type); a transaction-scoped advisory lock serialises the first tasks.
        conn.execute(sa.text("select pg_advisory_xact_lock(727274)"))
        conn.execute(sa.text(DDL))
        return conn.execute(
            sa.text(
                "insert into dist_probe (dag_id, run_id, task_id, map_index, try_number, worker,"
                " pid) values (:dag_id, :run_id, :task_id, :map_index, :try_number, :worker, :pid)"
                " returning id"
            ),
            row,
        ).scalar_one()


def _record_finish(row_id: int) -> None:
    with _engine().begin() as conn:
        conn.execute(
            sa.text("update dist_probe set finished_at = now() where id = :id"), {"id": row_id}
        )


@dag(
    dag_id="ukgv_dist_fanout",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={"retries": 0},
    tags=["ukgv-distributed-test"],
)
def ukgv_dist_fanout() -> None:
    @task
    def work(i: int) -> str:
        row_id = _record_start()
        time.sleep(2)
        _record_finish(row_id)
        return os.environ.get("UKGV_WORKER_NAME", "?")

    work.expand(i=list(range(6)))


@dag(
    dag_id="ukgv_dist_hold",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=2)},
    tags=["ukgv-distributed-test"],
)
def ukgv_dist_hold() -> None:
    @task
    def hold(seconds: int = 60) -> None:
        row_id = _record_start()
        # The first attempt is the one a test kills; a retry finishes quickly.
        time.sleep(seconds if get_current_context()["ti"].try_number == 1 else 2)
        _record_finish(row_id)

    hold()


ukgv_dist_fanout()
ukgv_dist_hold()
