"""What the benchmarks share: the machine's state, peak RSS, a fresh-subprocess runner."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.models.dagrun import DagRun

ROOT = Path(__file__).resolve().parents[1]


def load() -> str:
    """``uptime``'s load averages (the machine is shared: every figure carries this)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}"
    )


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (``VmHWM``).

    Not ``getrusage().ru_maxrss``: Linux carries the parent's high-water mark across fork + exec
    into it, so a child started by a big parent would report the parent's peak.
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def rss_mb() -> float:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(module: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``python -m bench.<module> *args`` in a fresh interpreter; its last stdout line is JSON."""
    out = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        tail = out.stdout[-3000:] + out.stderr[-3000:]
        raise RuntimeError(f"bench.{module} {args} failed:\n{tail}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def point_at_sandbox(box: Any, work: Path, latency_ms: int, *, mappings: bool = True) -> None:
    """This process's tasks talk to ``box`` only: the added latency on both servers, their
    connections, a private SQLite audit store under ``work`` and (``mappings``) a private copy
    of the mappings — what ``tests/sandbox_fixture.configure`` does for a test."""
    import shutil

    for server in ("ukg", "visma"):
        box.config(server, latency_ms=latency_ms)
    os.environ.update(box.connections_env())
    os.environ["UKG_VISMA_AUDIT_URL"] = f"sqlite:///{work}/audit.db"
    if mappings:
        shutil.copytree(ROOT / "include" / "mappings", work / "mappings")
        os.environ["UKG_VISMA_MAPPINGS_DIR"] = str(work / "mappings")


@dataclass(frozen=True)
class TaskSpan:
    """When one task instance of a finished run ran (both stamps set: it did run)."""

    task_id: str
    map_index: int
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def task_spans(dagrun: DagRun) -> list[TaskSpan]:
    """The task instances of ``dagrun`` that ran, in start order. Airflow keeps the stamps
    optional (a skipped or never-run instance has none); the figures need only those that ran."""
    spans = [
        TaskSpan(ti.task_id, ti.map_index, ti.start_date, ti.end_date)
        for ti in dagrun.get_task_instances()
        if ti.start_date is not None and ti.end_date is not None
    ]
    return sorted(spans, key=lambda span: span.start)
