"""The employee sync at N employees: initial load, 1 % changed, 0 changed — calls and wall time.

    .venv/bin/python -m bench.employee_sync                     # 20,000 employees, no latency
    .venv/bin/python -m bench.employee_sync --employees 2000 --latency 50

Both sandbox servers as the test fixture starts them (real subprocesses, real HTTP), the
manufacturer scenario with N employees (no GL runs), Visma without employees. Three sync runs,
each the three tasks of ``ukg_visma_employee_sync`` (extract_changes → apply_to_visma →
check_headcount) called in this process as ``tests/ukg_visma/tasks/employee_sync``'s ``sync``
helper calls them, with fresh hooks, a private audit DB and a private copy of the mappings:

1. **initial load** — no watermark: every UKG employee is read and every employed one created in
   Visma (the employee API has no bulk create: one POST per employee is the floor);
2. **1 % changed** — N/100 active employees transferred to another cost centre in UKG
   (``/_sandbox/employees``), then a sync (the change-feed window);
3. **0 changed** — a sync with nothing new.

Per run: API calls per side and kind (from the sandboxes' ``/_sandbox/calls``), wall time per
task, and the sandbox's own share (Σ server request duration − added latency). The runs are
judged too: after each, Visma holds every employed UKG employee exactly once.
Airflow's per-task overhead is not in these figures (``bench.pay_period`` / RESULTS.md §3).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import ROOT, child, load, machine, peak_rss_mb, point_at_sandbox


def _kind(server: str, call: dict[str, Any]) -> str:
    path = re.sub(r"/[0-9][0-9A-Za-z-]{2,}(?=/|$)", "/{id}", call["path"])
    if "token" in path:
        path = "token"
    return f"{server} {call['method']} {path}"


def _scenario(employees: int, latency_ms: int) -> dict[str, Any]:
    from bench.pay_period import _airflow_env

    _airflow_env()
    sys.path.append(str(ROOT / "tests"))
    sys.path.append(str(ROOT / "tests" / "ukg_visma" / "tasks" / "employee_sync"))
    sys.path.insert(0, str(ROOT / "plugins"))
    from sandbox_fixture import Sandbox

    work = Path(tempfile.mkdtemp(prefix="ukgv-bench-"))
    box = Sandbox(work / "sandbox")
    try:
        box.start()
        box.reset(scenario="manufacturer", seed=42, employees=employees, gl_runs=False)
        point_at_sandbox(box, work, latency_ms)
        import employee_sync_helpers as helpers

        runs = []
        runs.append(_run(box, helpers, "initial load", latency_ms))
        rng = random.Random(7)
        active = [e for e in helpers.ukg_employees(box).values() if e["employeeStatus"] == "A"]
        moved = rng.sample(active, max(1, employees // 100))
        time.sleep(1.1)  # the change lands after the watermark (whole-second feed stamps)
        helpers.change_ukg(box, [helpers.transfer(e, rng) for e in moved])
        runs.append(_run(box, helpers, f"1 % changed ({len(moved)} transfers)", latency_ms))
        runs.append(_run(box, helpers, "0 changed", latency_ms))
        ukg_employed = sum(
            1 for e in helpers.ukg_employees(box).values() if e["employeeStatus"] != "T"
        )
        return {
            "employees": employees,
            "employed": ukg_employed,
            "latency_ms": latency_ms,
            "runs": runs,
            "peak_rss_mb": peak_rss_mb(),
        }
    finally:
        box.stop()
        shutil.rmtree(work, ignore_errors=True)


def _run(box: Any, helpers: Any, label: str, latency_ms: int) -> dict[str, Any]:
    from ukg_visma.hooks import UkgHook, VismaHook
    from ukg_visma.hooks.auth import clear_token_cache
    from ukg_visma.hooks.retry import reset_pacers
    from ukg_visma.mappings import load_mappings
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks.employee_sync import apply, extract, verify
    from ukg_visma.tasks.employee_sync.context import SyncContext

    clear_token_cache()  # each task of a real run starts in a fresh process: a token each
    reset_pacers()
    seq = {s: max((c["seq"] for c in box.calls(s)), default=0) for s in ("ukg", "visma")}
    run = SyncContext(run_key=f"bench-{label.split()[0]}-{time.time_ns()}")
    audit = helpers.engine()
    times: dict[str, float] = {}
    t = time.perf_counter()
    extracted = extract.extract(UkgHook(), audit, run, load_settings())
    times["extract_changes"] = time.perf_counter() - t
    settings = load_settings()
    t = time.perf_counter()
    applied = apply.apply(
        VismaHook(), audit, run, settings, load_mappings(settings=settings), extracted
    )
    times["apply_to_visma"] = time.perf_counter() - t
    t = time.perf_counter()
    verify.verify(
        UkgHook(),
        VismaHook(),
        audit,
        run,
        settings,
        load_mappings(settings=settings),
        extracted,
        applied,
    )
    times["check_headcount"] = time.perf_counter() - t
    calls = {s: box.calls(s, since=seq[s]) for s in ("ukg", "visma")}
    kinds: Counter[str] = Counter()
    own_ms = 0.0
    for server, log in calls.items():
        for call in log:
            kinds[_kind(server, call)] += 1
            own_ms += call["duration_ms"] - latency_ms
    visma = helpers.visma_employees(box)  # asserts no employee number twice
    return {
        "label": label,
        "wall_s": sum(times.values()),
        "tasks": times,
        "calls": dict(kinds),
        "ukg_calls": len(calls["ukg"]),
        "visma_calls": len(calls["visma"]),
        "sandbox_own_s": own_ms / 1000,
        "queued": extracted["queued"],
        "mode": extracted["mode"],
        "applied": applied["applied"],
        "visma_employees": len(visma),
    }


def _print(r: dict[str, Any]) -> None:
    print(
        f"\n{r['employees']:,} employees ({r['employed']:,} employed), {r['latency_ms']} ms "
        f"latency; peak RSS {r['peak_rss_mb']:.0f} MB"
    )
    print(
        f"  {'run':<28} | {'wall s':>7} | {'extract':>7} | {'apply':>7} | {'headcnt':>7} | "
        f"{'UKG':>5} | {'Visma':>6} | {'sandbox s':>9} | queued | applied"
    )
    for run in r["runs"]:
        t = run["tasks"]
        print(
            f"  {run['label']:<28} | {run['wall_s']:7.1f} | {t['extract_changes']:7.1f} | "
            f"{t['apply_to_visma']:7.1f} | {t['check_headcount']:7.1f} | {run['ukg_calls']:5} | "
            f"{run['visma_calls']:6} | {run['sandbox_own_s']:9.1f} | {run['queued']:6} | "
            f"{run['applied']}"
        )
    for run in r["runs"]:
        print(f"  calls of '{run['label']}':")
        for kind, n in sorted(run["calls"].items(), key=lambda kv: -kv[1]):
            print(f"    {n:>6}  {kind}")


def main(employees: list[int], latency: int) -> None:
    print(f"employee sync — {machine()}; {load()}")
    for n in employees:
        _print(child("employee_sync", "--child", str(n), str(latency)))
    print(f"(after: {load()})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, nargs="+", default=[20000])
    ap.add_argument("--latency", type=int, default=0)
    ap.add_argument("--child", nargs=2, type=int)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(_scenario(*a.child), default=str))
    else:
        main(a.employees, a.latency)
