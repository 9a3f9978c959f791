"""Clean up after a test session that died without running its teardown.

Started by :class:`airflow_cluster.AirflowCluster` in a session of its own, it waits as long as
its parent (the pytest process) lives. A normal teardown stops it first. If pytest is killed
instead (CI cancels a job, ``timeout`` fires), its parent changes, and it does what the teardown
would have done: stop every process group the cluster started (SIGTERM, SIGKILL after 10 s, and
their descendants), drop the cluster's databases and roles, delete its Redis keys, remove its home.
It reads what to clean from a JSON state file the cluster keeps up to date.

Usage: ``python watchdog.py STATE_FILE PARENT_PID``
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import psutil
import redis
import sqlalchemy as sa


def main(state_file: Path, parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    state = json.loads(state_file.read_text())
    leaders = [p for pid in state["pgids"] if (p := _process(pid))]
    tree = [c for p in leaders for c in _children(p)]
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for pgid in state["pgids"]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signum)
        if signum == signal.SIGTERM:
            psutil.wait_procs(leaders, timeout=10)
    for proc in tree:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    engine = sa.create_engine(state["admin_url"], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in state["databases"]:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        for name in state.get("roles", []):
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
    engine.dispose()
    client = redis.Redis.from_url(state["redis_url"])
    keys = list(client.scan_iter(match=f"{state['key_prefix']}*"))
    if keys:
        client.delete(*keys)
    shutil.rmtree(state["home"], ignore_errors=True)


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


def _children(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.Error:
        return []


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
