"""Scheduler cost of ~200 mapped ``post_journal`` tasks: the real scheduler vs ``dag.test``.

    .venv/bin/python -m bench.mapped_posting                  # scheduler run, then dag.test
    .venv/bin/python -m bench.mapped_posting --no-dag-test    # the scheduler run alone

Why this shape: a pay period normally plans a handful of journals, so the per-task cost of
Airflow (scheduling, queueing, a process per task instance, the DAG parse in it) is invisible.
Here the period is made to plan ~200 journals — a private copy of ``include/mappings`` with
``payroll.line_limit: 2`` (every journal is one debit and one credit piece) and
``approval_required: false``, and, besides October's regular run (113 journals) and its
correction run (16), an added off-cycle run ``NMF-202610-B1`` carrying the regular run's lines of
departments 10, 20 and 30 (~83 journals) — and the whole DAG runs through the real processes of
``ui_tests/ui_stack.UiStack``: api-server + scheduler + dag-processor + triggerer, LocalExecutor,
a private PostgreSQL database, the sandbox servers as subprocesses.

Reported, from the REST API's task instances and each attempt's task log:
- the run's wall time (trigger → terminal state, polled each second);
- per mapped task: scheduled → queued (the scheduler: concurrency limits, its loop), queued →
  start (executor hand-over and the task process' start-up until the API marks it running),
  start → "Pre Execute" ends (DAG bundle + parse in the task process), the task's own work
  ("Pre Execute" ends → "Done. Returned value was"; our code incl. its imports and HTTP calls),
  and after "Done" → end (XCom push, state update); totals, medians and p95;
- the same pay period in-process with ``dag.test`` (one process, tasks one after another; same
  sandbox servers, Visma's journals reset first), for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, load, machine, task_spans

DAG_ID = "ukg_visma_payroll_gl"
PERIOD = "2026-10"
EXTRA_RUN = "NMF-202610-B1"
EXTRA_DEPARTMENTS = ("10", "20", "30")
LINE_LIMIT = 2


def _settings_copy(target: Path, line_limit: int) -> Path:
    """A private ``include/mappings`` with approval off and a tiny line limit."""
    import shutil

    import yaml

    shutil.copytree(ROOT / "include" / "mappings", target, dirs_exist_ok=True)
    path = target / "settings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["payroll"]["approval_required"] = False
    data["payroll"]["line_limit"] = line_limit
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


def _stack_class(line_limit: int) -> type:
    sys.path.insert(0, str(ROOT / "ui_tests"))
    from ui_stack import UiStack

    class BenchStack(UiStack):
        """The UI stack with the bench's settings (approval off, ``line_limit``)."""

        def _mappings(self) -> Path:
            return _settings_copy(self.home / "mappings", line_limit)

    return BenchStack


def _admin(base: str, method: str, path: str, body: Any = None) -> Any:
    answer = httpx.request(method, f"{base}/_sandbox/{path}", json=body, timeout=300)
    answer.raise_for_status()
    return answer.json() if answer.content else None


def prepare_sandbox(ukg: str, visma: str) -> dict[str, Any]:
    """Both sandboxes reset to the default scenario, plus the off-cycle run ``EXTRA_RUN``."""
    _admin(ukg, "POST", "reset", {})
    _admin(visma, "POST", "reset", {})
    info = _admin(ukg, "GET", "gl-runs/NMF-202610-R1/versions?lines=true")
    lines = [x for x in info["versions"][-1]["glLines"] if x["orgLevel2"] in EXTRA_DEPARTMENTS]
    added = _admin(
        ukg,
        "POST",
        "gl-runs",
        {
            "runId": EXTRA_RUN,
            "runType": "OffCycle",
            "periodStartDate": "2026-10-01",
            "periodEndDate": "2026-10-31",
            "payDate": "2026-10-28",
            "glRunDateTime": "2026-10-27T12:00:00Z",
            "emit": False,
            "lines": lines,
        },
    )
    return {k: added[k] for k in ("runId", "lines", "totalNrOfBlocks", "balanced")}


def _ts(value: str | None) -> float | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


def _log_marks(path: Path) -> dict[str, float]:
    """Timestamps of the task log's phase marks (first of each), epoch seconds."""
    marks: dict[str, float] = {}
    for raw in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        event, at = str(entry.get("event", "")), _ts(entry.get("timestamp"))
        if at is None:
            continue
        marks.setdefault("first", at)
        if event == "::endgroup::":
            marks.setdefault("pre_end", at)
        elif event.startswith("Done. Returned value was"):
            marks.setdefault("done", at)
        elif event == "Worker startup parse complete":
            marks.setdefault("parse_ms", float(entry.get("dag_file_parse_ms") or 0))
    return marks


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _phases(tis: list[dict[str, Any]], logs: Path) -> list[dict[str, Any]]:
    rows = []
    for ti in tis:
        if ti["state"] != "success" or not ti["start_date"]:
            continue
        folder = logs / f"dag_id={DAG_ID}" / f"run_id={ti['dag_run_id']}"
        folder = folder / f"task_id={ti['task_id']}"
        if ti["map_index"] >= 0:
            folder = folder / f"map_index={ti['map_index']}"
        marks = _log_marks(folder / f"attempt={ti['try_number']}.log")
        sched, queued = _ts(ti["scheduled_when"]), _ts(ti["queued_when"])
        start, end = _ts(ti["start_date"]), _ts(ti["end_date"])
        assert start is not None and end is not None
        rows.append(
            {
                "task": ti["task_id"],
                "map_index": ti["map_index"],
                "try": ti["try_number"],
                "sched_to_queued": (queued - sched) if queued and sched else None,
                "queued_to_start": (start - queued) if queued else None,
                "start_to_pre_end": marks["pre_end"] - start if "pre_end" in marks else None,
                "parse_s": marks.get("parse_ms", 0.0) / 1000,
                "own": marks["done"] - marks["pre_end"] if "done" in marks else None,
                "after_done": end - marks["done"] if "done" in marks else None,
                "start_to_end": end - start,
                "start": start,
                "end": end,
                "queued": queued,
            }
        )
    return rows


def scheduler_run(line_limit: int, dag_test: bool) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="ukgv-bench-sched-"))
    stack = _stack_class(line_limit)(home)
    out: dict[str, Any] = {"load_start": load()}
    try:
        t = time.perf_counter()
        stack.start()
        stack.wait_for_dag(DAG_ID)
        out["stack_start_s"] = time.perf_counter() - t
        hosts = {
            name: stack.api("GET", f"/connections/{name}_default").json()["host"]
            for name in ("ukg", "visma")
        }
        out["extra_run"] = prepare_sandbox(hosts["ukg"], hosts["visma"])
        stack.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
        t0 = time.perf_counter()
        body = {"logical_date": None, "conf": {"period": PERIOD}}
        answer = stack.api("POST", f"/dags/{DAG_ID}/dagRuns", json=body)
        answer.raise_for_status()
        run_id = answer.json()["dag_run_id"]
        while True:
            run = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}").json()
            if run["state"] in ("success", "failed"):
                break
            dead = [n for n, proc in stack.procs.items() if proc.poll() is not None]
            if dead:  # e.g. the scheduler stopped: the run would never end
                raise RuntimeError(f"{dead} exited:\n{stack.log_tail(dead[0])}")
            if time.perf_counter() - t0 > 3600:
                raise RuntimeError(f"run still {run['state']} after an hour")
            time.sleep(1)
        out["wall_s"] = time.perf_counter() - t0
        out["state"] = run["state"]
        out["run_start_to_end_s"] = (_ts(run["end_date"]) or 0) - (_ts(run["start_date"]) or 0)
        tis: list[dict[str, Any]] = []
        while True:
            page = stack.api(
                "GET",
                f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances?limit=100&offset={len(tis)}",
            ).json()
            tis.extend(page["task_instances"])
            if not page["task_instances"] or len(tis) >= page["total_entries"]:
                break
        out["not_success"] = [
            f"{ti['task_id']}[{ti['map_index']}]={ti['state']}"
            for ti in tis
            if ti["state"] not in ("success", "skipped")
        ]
        out["phases"] = _phases(tis, stack.home / "airflow" / "logs")
        journals = _admin(hosts["visma"], "GET", "state")["journals"]
        out["visma_journals"] = len(journals)
        out["load_end"] = load()
        if dag_test:
            _admin(hosts["visma"], "POST", "reset", {})
            out["dag_test"] = _dag_test_child(hosts, stack.home / "mappings")
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)  # logs, sandbox data, audit DB
    return out


def _dag_test_child(hosts: dict[str, str], mappings: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "UKG_VISMA"))}
    for base in hosts.values():
        env.update(_admin(base, "GET", "credentials")["env"])
    env["UKG_VISMA_MAPPINGS_DIR"] = str(mappings)
    out = subprocess.run(
        [sys.executable, "-m", "bench.mapped_posting", "--dag-test-child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"dag.test child failed:\n{out.stdout[-3000:]}{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def dag_test() -> dict[str, Any]:
    """The period in this process with ``dag.test`` (as ``bench.pay_period`` runs it)."""
    from bench.pay_period import _airflow_env

    _airflow_env()
    work = Path(tempfile.mkdtemp(prefix="ukgv-bench-dagtest-"))
    os.environ["UKG_VISMA_AUDIT_URL"] = f"sqlite:///{work}/audit.db"
    sys.path.append(str(ROOT / "tests"))
    sys.path.append(str(ROOT / "tests" / "dags"))
    sys.path.append(str(ROOT / "tests" / "shared"))  # gl_events, which payroll_helpers imports
    sys.path.insert(0, str(ROOT / "plugins"))
    import payroll_helpers

    load_start = load()
    t = time.perf_counter()
    dagrun = payroll_helpers.run_period(PERIOD)
    wall = time.perf_counter() - t
    tis = task_spans(dagrun)
    mapped = [ti.seconds for ti in tis if ti.task_id == "post_journal" and ti.map_index >= 0]
    first = min(ti.start for ti in tis)
    last = max(ti.end for ti in tis)
    return {
        "state": str(dagrun.state),
        "wall_s": wall,
        "span_s": (last - first).total_seconds(),
        "mapped": len(mapped),
        "mapped_sum_s": sum(mapped),
        "mapped_median_s": statistics.median(mapped) if mapped else 0.0,
        "mapped_p95_s": _pct(mapped, 0.95),
        "tasks_sum_s": sum(ti.seconds for ti in tis),
        "load_start": load_start,
        "load_end": load(),
    }


def _stat_line(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<34} |      — |      — |      — |      —"
    return (
        f"  {name:<34} | {sum(values):>8.1f} | {statistics.median(values):>6.2f} | "
        f"{_pct(values, 0.95):>6.2f} | {max(values):>6.2f}"
    )


def report(r: dict[str, Any]) -> None:
    mapped = [p for p in r["phases"] if p["task"] == "post_journal" and p["map_index"] >= 0]
    print(
        f"\nscheduler run ({r['load_start']}): stack up in {r['stack_start_s']:.1f} s; added run "
        f"{r['extra_run']}; run {r['state']} {r['not_success'] or ''}"
    )
    print(
        f"  wall (trigger → {r['state']}, polled 1 s): {r['wall_s']:.1f} s; run start → end "
        f"{r['run_start_to_end_s']:.1f} s; Visma journals afterwards: {r['visma_journals']}"
    )
    if mapped:
        first_q = min(p["queued"] for p in mapped if p["queued"])
        span = max(p["end"] for p in mapped) - min(p["start"] for p in mapped)
        print(
            f"  post_journal: {len(mapped)} mapped instances; first queued → last end "
            f"{max(p['end'] for p in mapped) - first_q:.1f} s (first start → last end {span:.1f} s)"
        )
    print(f"  {'per mapped task, s':<34} |    total | median |    p95 |    max")
    for key, name in [
        ("sched_to_queued", "scheduled → queued"),
        ("queued_to_start", "queued → start (executor, process)"),
        ("start_to_pre_end", "start → pre-execute done (parse)"),
        ("parse_s", "  of which the DAG file parse"),
        ("own", "task's own work"),
        ("after_done", "done → end (XCom, state)"),
        ("start_to_end", "start → end (TI duration)"),
    ]:
        print(_stat_line(name, [p[key] for p in mapped if p[key] is not None]))
    others = [p for p in r["phases"] if p not in mapped]
    for p in sorted(others, key=lambda p: p["start"]):
        print(
            f"  {p['task']:<22} queued→start {p['queued_to_start'] or 0:5.2f} s, "
            f"start→end {p['start_to_end']:6.2f} s, own "
            + (f"{p['own']:6.2f} s" if p["own"] is not None else "— (a sensor: no 'Done' line)")
        )
    print(f"  (after: {r['load_end']})")
    d = r.get("dag_test")
    if d:
        print(
            f"\ndag.test, same period in one process ({d['load_start']}): {d['state']}, wall "
            f"{d['wall_s']:.1f} s (first task start → last end {d['span_s']:.1f} s); "
            f"{d['mapped']} post_journal: total {d['mapped_sum_s']:.1f} s, median "
            f"{d['mapped_median_s']:.2f} s, p95 {d['mapped_p95_s']:.2f} s; all tasks "
            f"{d['tasks_sum_s']:.1f} s  (after: {d['load_end']})"
        )


def main(line_limit: int, dag_test_too: bool) -> dict[str, Any]:
    print(f"200 mapped posting tasks — {machine()}; {load()}")
    r = scheduler_run(line_limit, dag_test_too)
    report(r)
    return r


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--line-limit", type=int, default=LINE_LIMIT)
    ap.add_argument("--no-dag-test", action="store_true")
    ap.add_argument("--dag-test-child", action="store_true")
    ap.add_argument("--json", help="also write the raw figures here")
    a = ap.parse_args()
    # SIGTERM (and SIGINT of a background job) → SystemExit, so that the stack is stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if a.dag_test_child:
        print(json.dumps(dag_test(), default=str))
    else:
        result = main(a.line_limit, not a.no_dag_test)
        if a.json:
            Path(a.json).write_text(json.dumps(result, default=str, indent=1))
