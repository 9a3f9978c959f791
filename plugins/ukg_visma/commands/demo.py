"""``ukg-visma demo``: the end-to-end walk-through behind ``make demo``.

Starts the sandbox servers as a subprocess (state kept under the Airflow home, so a second demo
sees what the first one posted), then runs the DAGs with ``airflow dags test`` exactly as a user
would, and prints what a controller wants to see: the reconciliation, the Visma batch numbers,
the headcount. Nothing here imports the ``sandbox`` package: it is reached over HTTP only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

EXPECTED = ("ukg_visma_cost_center_alignment", "ukg_visma_employee_sync", "ukg_visma_payroll_gl")
READY = "SANDBOX READY "


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the end-to-end demo (used by `make demo`)")
    parser.add_argument("--period", default="2026-10", help="pay period to post (YYYY-MM)")
    parser.add_argument("--employees", type=int, default=1200)
    parser.add_argument("--skip-dags", action="store_true", help="only parse and list the DAGs")
    parser.set_defaults(func=_run)


def _airflow(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["airflow", *args], capture_output=True, text=True, check=False, env=env or os.environ
    )


def _start_sandbox(data_dir: Path, employees: int) -> tuple[subprocess.Popen, dict[str, str]]:
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "sandbox.log").open("w")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "sandbox", "--ukg-port", "0", "--visma-port", "0"),
            *("--data-dir", str(data_dir), "--employees", str(employees)),
            *("--parent-pid", str(os.getpid())),
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"sandbox exited early; see {data_dir / 'sandbox.log'}")
        if line.startswith(READY):
            return proc, json.loads(line[len(READY) :])
    raise RuntimeError("sandbox did not start within 120 s")


def _connections(urls: dict[str, str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for url in urls.values():
        env.update(requests.get(f"{url}/_sandbox/credentials", timeout=10).json()["env"])
    return env


def _journal_posts(visma_url: str) -> int:
    from ukg_visma.hooks.visma import JOURNALS

    calls = requests.get(f"{visma_url}/_sandbox/calls", timeout=10).json()
    calls = calls.get("calls", calls) if isinstance(calls, dict) else calls
    return sum(1 for c in calls if c["method"] == "POST" and c["path"].rstrip("/") == JOURNALS)


def _list_dags() -> int:
    parsed = _airflow("dags", "reserialize")
    if parsed.returncode != 0:
        print(parsed.stderr[-2000:], file=sys.stderr)
        return parsed.returncode
    listed = _airflow("dags", "list", "-o", "plain")
    errors = _airflow("dags", "list-import-errors", "-o", "plain")
    print("DAGs known to Airflow:")
    for dag_id in EXPECTED:
        if dag_id in listed.stdout:
            print(f"  {dag_id}")
    missing = [d for d in EXPECTED if d not in listed.stdout]
    if missing or "No data found" not in errors.stdout:
        print(f"missing DAGs: {missing}\n{errors.stdout}", file=sys.stderr)
        return 1
    return 0


def _latest_report(flow: str, pattern: str) -> Path | None:
    base = Path(os.environ.get("AIRFLOW_HOME", ".")) / "ukg_visma" / "reports" / flow
    reports = sorted(base.glob(pattern), key=lambda p: p.stat().st_mtime)
    return reports[-1] if reports else None


def _run_employee_sync(env: dict[str, str]) -> int:
    print("\n== ukg_visma_employee_sync (airflow dags test) ==")
    result = _airflow("dags", "test", "ukg_visma_employee_sync", env=env)
    report = _latest_report("employee_sync", "*/*/employee_sync.md")
    if result.returncode != 0 or "state=success" not in result.stdout + result.stderr:
        print(
            f"the employee sync failed:\n{(result.stdout + result.stderr)[-4000:]}", file=sys.stderr
        )
        return 1
    if report:
        print(report.read_text(encoding="utf-8"))
    return 0


def _sandbox_runs(ukg_url: str, period: str) -> list[str]:
    """The GL runs the UKG sandbox paid in ``period`` (its admin state, not a UKG API).

    UKG publishes no pay-run listing: a real deployment learns run ids from UKG's GL webhooks
    as the exports happen. The sandbox's history happened before the demo started, with no
    webhook subscription, so the demo names the month's runs the way a user would for a
    month long past: the ``run_id`` param (docs/decisions/pay-run-discovery.md).
    """
    state = requests.get(f"{ukg_url}/_sandbox/state", timeout=30).json()
    return [r["runId"] for r in state["glRuns"] if str(r.get("payDate", "")).startswith(period)]


def _run_payroll(env: dict[str, str], urls: dict[str, str], period: str) -> int:
    visma_url = urls["visma"]
    before = _journal_posts(visma_url)
    print(f"\n== ukg_visma_payroll_gl for pay period {period} (airflow dags test) ==")
    runs = _sandbox_runs(urls["ukg"], period)
    print(f"UKG GL runs of {period} (run_id param): {', '.join(runs) or '-'}")
    conf = json.dumps({"period": period, "run_id": ",".join(runs) or None})
    result = _airflow("dags", "test", "ukg_visma_payroll_gl", "-c", conf, env=env)
    posted = _journal_posts(visma_url) - before
    report = _latest_report("payroll_gl", f"{period}/*/summary.md")
    if result.returncode != 0 or "state=success" not in result.stdout + result.stderr:
        tail = (result.stdout + result.stderr)[-4000:]
        print(f"the pay-period run failed:\n{tail}", file=sys.stderr)
        return 1
    if report:
        print(report.read_text(encoding="utf-8"))
    if posted:
        print(f"Posted {posted} new journal(s) to Visma.")
    else:
        print("Nothing new was posted: every journal of this period is already in Visma.")
    return 0


def _run(args: argparse.Namespace) -> int:
    code = _list_dags()
    if code or args.skip_dags:
        return code
    home = Path(os.environ.get("AIRFLOW_HOME", ".airflow"))
    proc, urls = _start_sandbox(home / "sandbox-data", args.employees)
    try:
        env: dict[str, Any] = {**os.environ, **_connections(urls)}
        print(f"Sandbox: UKG {urls['ukg']}  Visma {urls['visma']}")
        return _run_payroll(env, urls, args.period) or _run_employee_sync(env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
