"""A real ~500k-line GL export through the UKG sandbox, stage by stage.

    .venv/bin/python -m bench.gl_export_scale                        # ~46,500 employees, 0 ms
    .venv/bin/python -m bench.gl_export_scale --employees 20000 --latency 50
    .venv/bin/python -m bench.gl_export_scale --profile extract      # + a cProfile of one stage

Why not the synthetic frame of ``bench.transform_scale``: the pay period's cost at this size is
mostly outside the transform (extract ~55 s, reconcile ~31 s at 215k lines in
``bench.pay_period``), and those stages need the real API path: JSON pages, blocks, audit rows,
staging, Visma's read-back.

The UKG sandbox is reset to the manufacturer scenario with ``--employees`` employees and four
months of clean payroll (``months=4, drift=False``, no correction run: Visma's scenario has
January-March closed, and the sandbox then holds four months, not ten), so that April's run
``NMF-202604-R1`` is a real export of ~10.5 lines per employee (46,500 employees → ~490k lines
in the sandbox's 2,000-line blocks). Then the pay-period tasks' own step
functions run one after another in this fresh interpreter, as the DAG's tasks call them
(``tasks/payroll/*``; the same settings, mappings, an SQLite audit store, local staging):
list runs (the sensor's look) → extract → fetch_catalog → validate → plan → post_journal (each
planned journal) → reconcile.

Per stage: wall and CPU seconds (the process's, all threads), peak RSS of the stage (``VmHWM``,
reset before each stage through ``/proc/self/clear_refs``), the API calls it made (from the
sandboxes' own call logs) and the sandbox's own share (the sum of the servers' request durations
minus the added latency; with concurrent block readers these overlap, so it can exceed wall).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import ROOT, child, load, machine, point_at_sandbox, rss_mb

PERIOD = "2026-04"  # the first month Visma's scenario has open (periods <= 202603 are closed)


def _hwm_reset() -> None:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)


def _hwm_mb() -> float:
    from bench.common import peak_rss_mb

    return peak_rss_mb()


def _repeat_april(box: Any, lines: int) -> tuple[list[dict[str, Any]], int]:
    """April's run served ``repeat`` times over (the sandbox's ``repeat``, made per block), so
    that a run of ``lines`` lines costs the sandbox nothing to hold: the same accounts, org codes
    and projects as the employees' real run, every served line with its own ``systemId``."""
    from ukg_visma.hooks.ukg import UkgHook

    [run] = [r for r in box.ukg_state()["glRuns"] if str(r["payDate"]).startswith(PERIOD)]
    hook = UkgHook()
    base = [
        line
        for b in range(1, run["totalNrOfBlocks"] + 1)
        for line in hook.gl_block(run["runId"], b)
    ]
    head = base[0]
    keep = ("systemId", "blockId", "totalNrOfBlocks", "glRunDateTime", "userWhoRanThisGl")
    body = {
        "runId": run["runId"],
        "replace": True,
        "emit": False,
        "periodStartDate": str(head["periodStartDate"])[:10],
        "periodEndDate": str(head["periodEndDate"])[:10],
        "payPeriodEndDate": str(head["payPeriodEndDate"])[:10],
        "payDate": str(run["payDate"])[:10],
        "payGroup": head["payGroup"],
        "repeat": max(1, round(lines / len(base))),
        "lines": [{k: v for k, v in line.items() if k not in keep} for line in base],
    }
    box.ukg_admin("POST", "gl-runs", json.loads(json.dumps(body, default=str)))
    return base, int(body["repeat"])


def _independent_check(base: list[dict[str, Any]], repeat: int, mappings: Any) -> dict[str, Any]:
    """What Visma holds for April, per Visma account (net øre), against the sandbox's own
    stored lines × ``repeat``, added up here in ``Decimal`` — not through the pipeline's frames,
    Parquet or group sums — so a million-line run is judged against an independent figure."""
    from decimal import Decimal

    from ukg_visma.gl.holdings import held_batches
    from ukg_visma.hooks.visma import VismaHook
    from ukg_visma.periods import PayPeriod
    from ukg_visma.settings import load_settings

    expected: dict[str, Decimal] = {}
    for line in base:
        account = mappings.accounts[str(line["baseSegment"])].visma_account
        net = Decimal(str(line["debitAmt"])) - Decimal(str(line["creditAmt"]))
        expected[account] = expected.get(account, Decimal(0)) + net * repeat
    want = {a: int(v * 100) for a, v in expected.items() if v}
    held = held_batches(
        VismaHook().journals(PayPeriod.parse(PERIOD).visma_period_id),
        tenant=load_settings().company.tenant,
    )
    got: dict[str, int] = {}
    for batch in held:
        for held_line in batch.lines if batch.live else ():
            got[held_line.account] = (
                got.get(held_line.account, 0) + held_line.debit_ore - held_line.credit_ore
            )
    got = {a: v for a, v in got.items() if v}
    differ = {a: (want.get(a, 0), got.get(a, 0)) for a in want.keys() | got.keys()
              if want.get(a, 0) != got.get(a, 0)}  # fmt: skip
    debit = sum(int(Decimal(str(x["debitAmt"])) * 100) for x in base) * repeat
    return {
        "ok": not differ,
        "accounts": len(want),
        "lines": len(base) * repeat,
        "ukg_debit_ore": debit,
        "differences": differ,
        "batches": [b.number for b in held],
    }


def _scenario(
    employees: int, latency_ms: int, profile: str | None, lines: int = 0
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="ukgv-bench-500k-"))
    os.environ["AIRFLOW_HOME"] = str(work / "airflow")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["UKG_VISMA_AUDIT_URL"] = f"sqlite:///{work}/audit.db"
    sys.path.append(str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "plugins"))
    from sandbox_fixture import Sandbox

    box = Sandbox(work / "sandbox")
    try:
        box.start()
        t = time.perf_counter()
        clean_months = {"months": 4, "correction": False, "drift": False}
        box.ukg_admin("POST", "reset", {"employees": employees, **clean_months})
        box.visma_admin("POST", "reset", {})
        reset_s = time.perf_counter() - t
        point_at_sandbox(box, work, latency_ms, mappings=False)
        repeated = _repeat_april(box, lines) if lines else None

        from ukg_visma.audit.store import get_engine
        from ukg_visma.hooks.ukg import UkgHook
        from ukg_visma.hooks.visma import VismaHook
        from ukg_visma.mappings import load_mappings
        from ukg_visma.periods import PayPeriod
        from ukg_visma.settings import load_settings
        from ukg_visma.tasks.payroll import extract as ex
        from ukg_visma.tasks.payroll import plan as pl
        from ukg_visma.tasks.payroll import posting as po
        from ukg_visma.tasks.payroll import reconcile as rc
        from ukg_visma.tasks.payroll import validate as va
        from ukg_visma.tasks.payroll.pay_runs import completed_pay_runs
        from ukg_visma.tasks.payroll.run import PayrollRun
        from ukg_visma.tasks.payroll.staged import staged_journals

        settings = load_settings()
        mappings = load_mappings(settings=settings)
        ctx = PayrollRun(run_key="bench-500k", period=PayPeriod.parse(PERIOD))
        engine = get_engine(os.environ["UKG_VISMA_AUDIT_URL"])
        base_mb = rss_mb()
        state: dict[str, Any] = {}

        def list_runs() -> Any:
            # UKG publishes no run listing: the bench names the month's runs (run_id), then
            # discovery reads their headers, the pay calendar and the pay register
            named = ",".join(
                r["runId"]
                for r in box.ukg_state()["glRuns"]
                if str(r["payDate"]).startswith(PERIOD)
            )
            state["runs"] = completed_pay_runs(
                UkgHook(),
                ctx.period,
                settings.payroll.pay_groups,
                named,
                company_code=settings.company.ukg_company_code,
            )
            return [r["runId"] for r in state["runs"]]

        def extract() -> Any:
            state["extracted"] = ex.extract(UkgHook(), engine, ctx, state["runs"], settings)
            return state["extracted"]["line_count"]

        def fetch_catalog() -> Any:
            state["catalog"] = va.fetch_catalog(VismaHook(), ctx)

        def validate() -> Any:
            state["validated"] = va.transform_and_validate(
                engine, ctx, state["extracted"], state["catalog"], settings, mappings
            )
            return {k: state["validated"][k] for k in ("journals", "lines")}

        def plan() -> Any:
            state["refs"] = pl.plan_posting(
                VismaHook(), engine, ctx, settings, state["validated"], state["catalog"]
            )
            return len(state["refs"])

        def post() -> Any:
            state["posted"] = [
                po.post_journal(
                    VismaHook(),
                    engine,
                    ref,
                    ctx.period,
                    owner=f"{ctx.run_key}/{ref['journal_key']}",
                    release=settings.payroll.release,
                )
                for ref in state["refs"]
            ]
            return [p["status"] for p in state["posted"]]

        def reconcile() -> Any:
            out = rc.reconcile_and_report(
                VismaHook(),
                engine,
                ctx,
                settings,
                staged_journals(ctx),
                state["posted"],
            )
            return {k: out[k] for k in ("ok",) if k in out} or sorted(out)[:6]

        stages = [
            ("list runs", list_runs),
            ("extract", extract),
            ("fetch_catalog", fetch_catalog),
            ("validate", validate),
            ("plan", plan),
            ("post_journal", post),
            ("reconcile", reconcile),
        ]
        rows = []
        for name, fn in stages:
            seq = {s: max((c["seq"] for c in box.calls(s)), default=0) for s in ("ukg", "visma")}
            _hwm_reset()
            before = rss_mb()
            profiler = cProfile.Profile() if profile == name else None
            cpu, t = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            result = fn()
            if profiler:
                profiler.disable()
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
            peak = _hwm_mb()
            calls = {s: box.calls(s, since=seq[s]) for s in ("ukg", "visma")}
            kinds: Counter[str] = Counter()
            own_ms = 0.0
            for server, log in calls.items():
                for call in log:
                    kinds[f"{server} {call['method']}"] += 1
                    own_ms += call["duration_ms"] - latency_ms
            rows.append(
                {
                    "stage": name,
                    "wall_s": wall,
                    "cpu_s": cpu,
                    "rss_before_mb": before,
                    "peak_mb": peak,
                    "calls": dict(kinds),
                    "n_calls": sum(kinds.values()),
                    "sandbox_own_s": own_ms / 1000,
                    "result": result,
                }
            )
            if profiler:
                out = work / "profile.txt"
                with out.open("w") as fh:
                    pstats.Stats(profiler, stream=fh).sort_stats("cumulative").print_stats(45)
                rows[-1]["profile"] = out.read_text()
        gl = [r for r in box.ukg_state()["glRuns"] if str(r["payDate"]).startswith(PERIOD)]
        check = _independent_check(*repeated, mappings) if repeated else None
        return {
            "check": check,
            "employees": employees,
            "latency_ms": latency_ms,
            "reset_s": reset_s,
            "base_mb": base_mb,
            "gl_runs": [{k: r[k] for k in ("runId", "lines", "totalNrOfBlocks")} for r in gl],
            "stages": rows,
        }
    finally:
        box.stop()
        shutil.rmtree(work, ignore_errors=True)


def _print(r: dict[str, Any]) -> None:
    lines = sum(g["lines"] for g in r["gl_runs"])
    print(
        f"\n{r['employees']:,} employees, {r['latency_ms']} ms latency: GL runs {r['gl_runs']} — "
        f"{lines:,} lines; sandbox reset {r['reset_s']:.1f} s; RSS after imports "
        f"{r['base_mb']:.0f} MB"
    )
    print(
        f"  {'stage':<14} | {'wall s':>7} | {'cpu s':>6} | {'RSS in':>6} | {'peak MB':>7} | "
        f"{'calls':>5} | {'sandbox s':>9} | result"
    )
    total_wall = total_cpu = 0.0
    for s in r["stages"]:
        total_wall += s["wall_s"]
        total_cpu += s["cpu_s"]
        print(
            f"  {s['stage']:<14} | {s['wall_s']:>7.2f} | {s['cpu_s']:>6.2f} | "
            f"{s['rss_before_mb']:>6.0f} | {s['peak_mb']:>7.0f} | {s['n_calls']:>5} | "
            f"{s['sandbox_own_s']:>9.2f} | {s['result']}  {s['calls']}"
        )
    print(f"  {'total':<14} | {total_wall:>7.2f} | {total_cpu:>6.2f} |")
    c = r.get("check")
    if c:
        print(
            f"  independent check (sandbox's stored lines x repeat, Decimal, vs Visma's batches "
            f"{c['batches']} per account): {'OK' if c['ok'] else 'DIFFERENT'} — {c['lines']:,} "
            f"lines, {c['accounts']} accounts, UKG debit {c['ukg_debit_ore']:,} øre"
            + (f"; differences {c['differences']}" if c["differences"] else "")
        )
    for s in r["stages"]:
        if s.get("profile"):
            print(f"\ncProfile of {s['stage']} (cumulative):\n{s['profile']}")


def main(
    employees: list[int], latency: int, profile: str | None, lines: list[int] | None = None
) -> list[dict[str, Any]]:
    print(f"GL export through the UKG sandbox — {machine()}; {load()}")
    rows = []
    sizes = [(n, 0) for n in employees] if not lines else [(employees[0], n) for n in lines]
    for n, size in sizes:
        args = ["--child", str(n), str(latency), str(size)]
        r = child("gl_export_scale", *args + (["--profile", profile] if profile else []))
        _print(r)
        rows.append(r)
    if lines:
        _growth(rows)
    print(f"(after: {load()})")
    return rows


def _growth(rows: list[dict[str, Any]]) -> None:
    """Lines, peak MB and CPU seconds per stage per size, and what each doubling cost."""
    stages = [s["stage"] for s in rows[0]["stages"]]
    print("\nper size (peak MB = the whole process's VmHWM during the stage; s = CPU seconds):")
    print(f"  {'lines':>10} | {'peak MB':>7} | " + " | ".join(f"{s[:9]:>9}" for s in stages)
          + f" | {'CPU s':>6} | growth")  # fmt: skip
    prev: tuple[int, float] | None = None
    for r in rows:
        n = sum(g["lines"] for g in r["gl_runs"])
        peak = max(s["peak_mb"] for s in r["stages"])
        cpu = sum(s["cpu_s"] for s in r["stages"])
        growth = ""
        if prev:
            growth = f"{peak / prev[1]:.2f}x MB for {n / prev[0]:.2f}x lines"
        print(f"  {n:>10,} | {peak:>7.0f} | "
              + " | ".join(f"{s['peak_mb']:>4.0f}/{s['cpu_s']:>4.1f}" for s in r["stages"])
              + f" | {cpu:>6.1f} | {growth}")  # fmt: skip
        prev = (n, peak)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, nargs="+", default=[46500])
    ap.add_argument("--latency", type=int, default=0)
    ap.add_argument("--profile", help="a stage to run under cProfile (e.g. extract)")
    ap.add_argument(
        "--lines", type=int, nargs="+", help="April's run repeated to ~these many lines each"
    )
    ap.add_argument("--child", nargs=3, type=int)
    a = ap.parse_args()
    if a.child:
        n, ms, size = a.child
        print(json.dumps(_scenario(n, ms, a.profile, size), default=str))
    else:
        main(a.employees, a.latency, a.profile, a.lines)
