"""The audit schema on a fresh PostgreSQL database, created by many processes at the same moment.

This is what a first deployment does: two workers × their concurrency, a backfill and the webhook
receiver all open the audit store for the first time together. Plain ``metadata.create_all`` loses
that race on PostgreSQL (``UniqueViolation … pg_type_typname_nsp_index``); the store must not.
Each process is a separate interpreter, released by a barrier only once all of them have imported
everything, so that they really reach the database together.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from pg_fixture import fresh_database

from ukg_visma.audit.schema import metadata

ROOT = Path(__file__).resolve().parents[3]
PROCESSES = 8

CHILD = """
import sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[4], sys.argv[4] + "/plugins"]
from ukg_visma.audit import store
go, ready = Path(sys.argv[2]), Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.002)
store.get_engine(sys.argv[1])
print("schema ok")
"""


@pytest.fixture
def fresh_db_url():
    """A database of its own per test (``pg_url`` is per module; this race needs it empty)."""
    with fresh_database("ukgv_race") as url:
        yield url


def _error_line(stderr: str) -> str:
    """The exception's own line (``psycopg2.errors.UniqueViolation: …``) out of a traceback."""
    lines = [line for line in stderr.splitlines() if "Error" in line or "Violation" in line]
    return (lines or stderr.splitlines() or ["(no output)"])[-1][:300]


@pytest.mark.parametrize("trial", [1, 2], ids=["trial-1", "trial-2"])
def test_many_processes_create_the_schema_at_once_without_a_failure(
    fresh_db_url: str, tmp_path: Path, trial: int
) -> None:
    go = tmp_path / "go"
    children = []
    for i in range(PROCESSES):
        ready = tmp_path / f"ready-{i}"
        argv = [sys.executable, "-c", CHILD, fresh_db_url, str(go), str(ready), str(ROOT)]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        children.append((ready, proc))
    deadline = time.monotonic() + 120
    while not all(ready.exists() for ready, _ in children):
        assert time.monotonic() < deadline, "the child processes never got ready"
        assert all(p.poll() is None for _, p in children), [p.communicate() for _, p in children]
        time.sleep(0.01)
    go.touch()
    results = [(p.wait(timeout=120), *p.communicate()) for _, p in children]
    failures = [_error_line(err) for code, _, err in results if code != 0]
    assert failures == [], f"{len(failures)} of {PROCESSES} processes failed: {failures}"
    assert all("schema ok" in out for _, out, _ in results)
    engine = sa.create_engine(fresh_db_url)
    try:
        with engine.connect() as conn:
            assert set(metadata.tables) <= set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_audit_init_command_creates_the_schema_through_the_airflow_connection(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """What airflow-init runs: the URL from ``AIRFLOW_CONN_UKG_VISMA_AUDIT``; twice is fine."""
    script = Path(sys.executable).parent / "ukg-visma"
    uri = fresh_db_url.replace("postgresql+psycopg2://", "postgresql://", 1)
    env = {k: v for k, v in os.environ.items() if k != "UKG_VISMA_AUDIT_URL" and "AUDIT" not in k}
    env |= {"AIRFLOW_CONN_UKG_VISMA_AUDIT": uri, "AIRFLOW_HOME": str(tmp_path)}
    for _ in range(2):
        done = subprocess.run(
            [str(script), "audit", "init"], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"{len(metadata.tables)} tables" in done.stdout
        assert fresh_db_url.rsplit("/", 1)[1] in done.stdout  # the connection's DB, not SQLite
    assert not (tmp_path / "ukg_visma" / "audit.db").exists()


def test_audit_init_finds_a_connection_kept_in_the_metadata_db(
    fresh_db_url: str, tmp_path: Path, airflow_home
) -> None:
    """Metadata-DB mode (docs/deployment.md): the connection was added with the CLI, no env var.
    The metadata DB is a copy of the session's migrated one."""
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if "AUDIT" not in k and "AIRFLOW_CONN" not in k}
    env |= {"AIRFLOW_HOME": str(airflow_home(tmp_path))}
    steps = [
        [str(bin_dir / "airflow"), "connections", "add", "ukg_visma_audit", "--conn-uri",
         fresh_db_url.replace("postgresql+psycopg2://", "postgresql://", 1)],
        [str(bin_dir / "ukg-visma"), "audit", "init"],
    ]  # fmt: skip
    for argv in steps:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert fresh_db_url.rsplit("/", 1)[1] in done.stdout
    assert not (tmp_path / "ukg_visma" / "audit.db").exists()
