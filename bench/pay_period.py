"""A whole pay period in-process against the sandbox: API calls, wall time, time per task.

    .venv/bin/python -m bench.pay_period                         # 1,200 and 20,000 employees, 50 ms
    .venv/bin/python -m bench.pay_period --employees 1200 --latency 0
    .venv/bin/python -m bench.pay_period --employees 20000 --gl-readers 1 4   # before/after

Each scenario runs in a fresh interpreter: both sandbox servers are started as the test fixture
starts them (``tests/sandbox_fixture.Sandbox``: real subprocesses, real HTTP), reset to the
manufacturer scenario with N employees, given ``latency_ms`` on every request, and
``ukg_visma_payroll_gl`` runs for 2026-10 with ``dag.test`` (as ``tests/dags/payroll_helpers``
does) against a private Airflow home (SQLite, migrated once and reused) and a private audit DB.

Reported:
- the API calls of the run, from the sandboxes' own call logs, by kind (token, catalog reads,
  read-back listing, creates, hold/release, reconciliation reads, UKG reads), against the
  number of GL lines and journals, and against "one call per line";
- the run's wall time and each task instance's start → end (``dag.test`` runs tasks one after
  another in this process, so the gaps between them are Airflow's own per-task overhead);
- the sandbox's own share: the sum of the servers' request durations minus the added latency.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from bench.common import ROOT, child, load, machine, point_at_sandbox, task_spans

HOME = Path(tempfile.gettempdir()) / "ukgv-bench-airflow"


def _airflow_env() -> None:
    os.environ["AIRFLOW_HOME"] = str(HOME)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
    os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
    HOME.mkdir(exist_ok=True)
    stamp = HOME / ".migrated"
    if not stamp.exists():
        airflow = Path(sys.executable).parent / "airflow"
        out = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        stamp.touch()


_KINDS = [  # (server, method regex, path regex, kind): first match wins
    ("visma", "POST", r"/token$", "token"),
    ("ukg", "POST", r"/token$|access_token", "token"),
    ("visma", "GET", r"/journaltransaction", "journal reads"),
    ("visma", "POST", r"/journaltransaction/?$", "creates"),
    ("visma", "POST", r"/journaltransaction/.+/action/", "hold/release"),
    ("visma", "PUT", r"/journaltransaction/", "updates (hold/release)"),
    ("visma", "GET", r"/(account|dimension|project|financialperiod|ledger)", "catalog reads"),
    ("ukg", "GET", r"general-ledger", "UKG GL reads"),
    ("ukg", "GET", r"paygroup-payperiods|pay-register", "UKG pay-period / pay-register reads"),
]


def _kind(server: str, call: dict) -> str:
    for srv, method, path, kind in _KINDS:
        if srv == server and call["method"] == method and re.search(path, call["path"], re.I):
            return kind
    return f"other {server} {call['method']} {re.sub(r'[0-9]{3,}', 'N', call['path'])}"


def _scenario(employees: int, latency_ms: int, gl_readers: int = 0) -> dict:
    _airflow_env()
    sys.path.append(str(ROOT / "tests"))  # after the package: tests/ukg_visma is no package
    sys.path.append(str(ROOT / "tests" / "dags"))
    sys.path.append(str(ROOT / "tests" / "shared"))  # gl_events, which payroll_helpers imports
    sys.path.insert(0, str(ROOT / "plugins"))  # as tests/conftest.py does
    from sandbox_fixture import Sandbox

    work = Path(tempfile.mkdtemp(prefix="ukgv-bench-"))
    box = Sandbox(work / "sandbox")
    try:
        t = time.perf_counter()
        box.start()
        box.reset(scenario="manufacturer", seed=42, employees=employees)
        reset_s = time.perf_counter() - t
        point_at_sandbox(box, work, latency_ms)
        if gl_readers:  # payroll.gl_read_concurrency (1 = the sequential read of before)
            import yaml

            path = work / "mappings" / "settings.yaml"
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            data["payroll"]["gl_read_concurrency"] = gl_readers
            path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        import payroll_helpers

        seq = {s: max((c["seq"] for c in box.calls(s)), default=0) for s in ("ukg", "visma")}
        start = time.perf_counter()
        dagrun = payroll_helpers.run_period("2026-10")
        wall = time.perf_counter() - start
        states = payroll_helpers.task_states(dagrun)
        tis = task_spans(dagrun)
        tasks: defaultdict[str, float] = defaultdict(float)
        for ti in tis:
            tasks[ti.task_id] += ti.seconds
        span = (tis[-1].end - tis[0].start).total_seconds() if tis else 0.0
        calls = {s: box.calls(s, since=seq[s]) for s in ("ukg", "visma")}
        kinds: Counter[str] = Counter()
        server_ms = 0.0
        for server, log in calls.items():
            for call in log:
                at = datetime.fromisoformat(call["time"].replace("Z", "+00:00"))
                task = next((ti.task_id for ti in tis if ti.start <= at <= ti.end), "(between)")
                kinds[f"{_kind(server, call)} [{task}]"] += 1
                server_ms += call["duration_ms"] - latency_ms
        state = box.ukg_state()
        from ukg_visma.gl.journal import journal_key_from_batch

        ours = [b for b in box.visma_state()["journals"] if journal_key_from_batch(b)]
        lines = sum(len(b.get("journalTransactionLines", [])) for b in ours)
        return {
            "employees": employees,
            "latency_ms": latency_ms,
            "gl_readers": gl_readers or "default",
            "state": str(dagrun.state),
            "failed": {k: v for k, v in states.items() if v != "success"},
            "wall_s": wall,
            "task_span_s": span,
            "task_sum_s": sum(tasks.values()),
            "tasks": dict(tasks),
            "mapped": sum(1 for ti in tis if ti.map_index >= 0),
            "calls": dict(kinds),
            "total_calls": sum(kinds.values()),
            "sandbox_own_s": server_ms / 1000,
            "journals": len(ours),
            "visma_lines": lines,
            "gl_runs": [
                {k: r[k] for k in ("runId", "payDate", "lines", "totalNrOfBlocks")}
                for r in state["glRuns"]
                if str(r["payDate"]).startswith("2026-10")
            ],
            "reset_s": reset_s,
        }
    finally:
        box.stop()
        shutil.rmtree(work, ignore_errors=True)


def _print(r: dict) -> None:
    gaps = r["task_span_s"] - r["task_sum_s"]
    print(
        f"\n{r['employees']:,} employees, {r['latency_ms']} ms latency, GL readers "
        f"{r['gl_readers']} — run {r['state']} "
        f"{r['failed'] or ''}; dag.test wall {r['wall_s']:.1f} s (first task start → last task "
        f"end {r['task_span_s']:.1f} s; task bodies {r['task_sum_s']:.1f} s; Airflow between "
        f"tasks {gaps:.1f} s); sandbox's own time {r['sandbox_own_s']:.2f} s"
    )
    lines = sum(g["lines"] for g in r["gl_runs"])
    print(f"  UKG GL runs of the period: {r['gl_runs']} — {lines:,} GL lines")
    print(f"  journals posted: {r['journals']}, their lines: {r['visma_lines']}")
    print(f"  API calls: {r['total_calls']}")
    for kind, n in sorted(r["calls"].items(), key=lambda kv: -kv[1]):
        print(f"    {n:>6}  {kind}")
    print("  per task (s, mapped instances summed):")
    for task, s in sorted(r["tasks"].items(), key=lambda kv: -kv[1]):
        print(f"    {s:>7.2f}  {task}")


def main(employees: list[int], latency: int, gl_readers: list[int] | None = None) -> list[dict]:
    print(f"pay period 2026-10 — {machine()}; {load()}")
    rows = []
    for n in employees:
        for readers in gl_readers or [0]:
            r = child("pay_period", "--child", str(n), str(latency), str(readers))
            _print(r)
            rows.append(r)
    print(f"(after: {load()})")
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, nargs="+", default=[1200, 20000])
    ap.add_argument("--latency", type=int, default=50)
    ap.add_argument("--gl-readers", type=int, nargs="+", help="payroll.gl_read_concurrency")
    ap.add_argument("--child", nargs=3, type=int)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(_scenario(*a.child), default=str))
    else:
        main(a.employees, a.latency, a.gl_readers)
