"""UKG GL blocks read one after the other vs concurrently (the extract's reader), with latency.

    .venv/bin/python -m bench.ukg_blocks                       # 20,000 employees, 50 ms, 4 and 8
    .venv/bin/python -m bench.ukg_blocks --employees 1200 --workers 2 4

Both sandbox servers as the test fixture starts them; the manufacturer scenario with N employees;
``latency_ms`` on every request. The regular run of 2026-10 is read with ``UkgHook.gl_block``:
by ``tasks.payroll.gl_blocks.read_run`` — what the extract task runs — with 1 reader (block 1 …
totalNrOfBlocks + 1, the empty probe, one after the other: the extract before
``payroll.gl_read_concurrency``) and with W readers (block 1 first, then the rest from W threads,
one sibling hook each; token calls are counted apart). The lines must come out identical, in
block order. The sandbox has no rate limit here; against a real tenant W must stay within UKG's
quota (the readers share the connection's pacer and back off on 429).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, load, machine


def main(employees: int, latency: int, workers: list[int]) -> None:
    from bench.pay_period import _airflow_env

    print(f"UKG GL block reads — {machine()}; {load()}")
    _airflow_env()
    sys.path.append(str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "plugins"))
    from sandbox_fixture import Sandbox

    work = Path(tempfile.mkdtemp(prefix="ukgv-bench-"))
    box = Sandbox(work / "sandbox")
    try:
        box.start()
        box.reset(scenario="manufacturer", seed=42, employees=employees)
        for server in ("ukg", "visma"):
            box.config(server, latency_ms=latency)
        os.environ.update(box.connections_env())
        from ukg_visma.hooks.ukg import UkgHook

        run = max(
            (r for r in box.ukg_state()["glRuns"] if str(r["payDate"]).startswith("2026-10")),
            key=lambda r: r["lines"],
        )
        from ukg_visma.tasks.payroll.gl_blocks import read_run

        hook = UkgHook()
        hook.gl_block(run["runId"], 1)  # token + connection set up outside the timing
        since = max((c["seq"] for c in box.calls("ukg")), default=0)
        t = time.perf_counter()
        sequential = read_run(hook, run["runId"], 1)
        seq_s = time.perf_counter() - t
        seq_calls = len(box.calls("ukg", since=since))
        print(
            f"{employees:,} employees, run {run['runId']}: {len(sequential):,} lines in "
            f"{run['totalNrOfBlocks']} blocks (+1 probe), {latency} ms latency per request"
        )
        print(f"  1 reader   : {seq_s:6.2f} s, {seq_calls} calls")
        for w in workers:
            since = max((c["seq"] for c in box.calls("ukg")), default=0)
            t = time.perf_counter()
            concurrent = read_run(hook, run["runId"], w)
            con_s = time.perf_counter() - t
            log = box.calls("ukg", since=since)
            calls, tokens = len(log), sum("token" in c["path"] for c in log)
            assert concurrent == sequential, "concurrent read differs"
            print(
                f"  {w} readers  : {con_s:6.2f} s, {calls} calls ({tokens} token), "
                f"{seq_s / con_s:.1f}x"
            )
    finally:
        box.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"(after: {load()})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=20000)
    ap.add_argument("--latency", type=int, default=50)
    ap.add_argument("--workers", type=int, nargs="+", default=[4, 8])
    a = ap.parse_args()
    main(a.employees, a.latency, a.workers)
