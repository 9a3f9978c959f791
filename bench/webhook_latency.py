"""Webhook → Visma latency for one hire, through the real api-server, triggerer and scheduler.

    .venv/bin/python -m bench.webhook_latency            # 3 hires, one after another
    .venv/bin/python -m bench.webhook_latency --hires 5

The processes of ``ui_tests/ui_stack.UiStack`` (api-server with the webhook receiver, scheduler,
dag-processor, triggerer; LocalExecutor; private PostgreSQL), with the scheduler's
``use_job_schedule`` on (asset-triggered runs need it) and the receiver's secret in
``AIRFLOW_VAR_UKG_WEBHOOK_SECRET``. Only ``ukg_visma_employee_sync`` is unpaused; its initial load
runs first (it sets the watermark), then UKG's sandbox is subscribed to the receiver.

Per hire: the UKG sandbox's admin ``POST /_sandbox/employees`` with ``wait: true`` (the signed
``EmployeeHireEvent`` is delivered to the receiver before it answers) → the employee number is
in the Visma sandbox (polled every 0.5 s). The clock starts just before that POST. Between hires
the bench waits until no employee-sync run is queued or running, so each hire starts from idle.
Where the time goes is read from the run the hire started (its tasks' queued/start/end).
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, load, machine

DAG_ID = "ukg_visma_employee_sync"
RECEIVER_PATH = "/ukg-visma/webhooks/ukg"


def _stack_class(secret: str) -> type:
    sys.path.insert(0, str(ROOT / "ui_tests"))
    from ui_stack import UiStack

    class WebhookStack(UiStack):
        """The UI stack with asset-triggered runs on and the receiver's secret set."""

        def _start(self, name: str, argv: list[str]) -> None:
            self.env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] = "True"
            self.env["AIRFLOW_VAR_UKG_WEBHOOK_SECRET"] = secret
            super()._start(name, argv)

    return WebhookStack


def _hire(number: str) -> dict[str, Any]:
    return {
        "employeeNumber": number, "firstName": "Bench", "lastName": f"Hire {number}",
        "companyId": "C0001", "employeeStatus": "A", "orgLevel1Code": "MOR",
        "orgLevel2Code": "10", "orgLevel3Code": "110", "jobCode": "OPR1",
        "lastHireDate": "2026-11-30", "originalHireDate": "2026-11-30",
    }  # fmt: skip


def _ts(value: str | None) -> float | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


def run(hires: int) -> dict[str, Any]:
    secret = secrets.token_urlsafe(24)
    stack = _stack_class(secret)(Path(tempfile.mkdtemp(prefix="ukgv-bench-hook-")))
    out: dict[str, Any] = {"load_start": load(), "hires": []}

    def admin(base: str, method: str, path: str, body: Any = None) -> Any:
        answer = httpx.request(method, f"{base}/_sandbox/{path}", json=body, timeout=300)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def runs() -> list[dict[str, Any]]:
        return list(stack.api("GET", f"/dags/{DAG_ID}/dagRuns?limit=100").json()["dag_runs"])

    def idle(timeout: float = 900) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            dead = [n for n, p in stack.procs.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{dead} exited:\n{stack.log_tail(dead[0])}")
            found = runs()
            if found and all(r["state"] in ("success", "failed") for r in found):
                return found
            if time.monotonic() > deadline:
                raise RuntimeError(f"runs not idle: {[(r['run_type'], r['state']) for r in found]}")
            time.sleep(2)

    try:
        stack.start()
        stack.wait_for_dag(DAG_ID)
        ukg, visma = (
            stack.api("GET", f"/connections/{n}_default").json()["host"] for n in ("ukg", "visma")
        )
        admin(ukg, "POST", "reset", {"gl_runs": False})
        admin(visma, "POST", "reset", {})
        stack.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
        t = time.perf_counter()
        body: dict[str, Any] = {"logical_date": None, "conf": {}}
        stack.api("POST", f"/dags/{DAG_ID}/dagRuns", json=body).raise_for_status()
        initial = idle()
        out["initial_s"] = time.perf_counter() - t
        out["initial_runs"] = [(r["run_type"], r["state"]) for r in initial]
        hook = {"url": stack.url + RECEIVER_PATH, "secret": secret}
        admin(ukg, "POST", "webhooks", hook)
        for n in range(hires):
            number = f"BH{n:04d}"
            before = {r["dag_run_id"] for r in runs()}
            sent, sent_wall = time.perf_counter(), time.time()
            admin(ukg, "POST", "employees", {"employees": [_hire(number)], "wait": True})
            delivered = time.perf_counter() - sent
            while True:
                numbers = {e["employeeNumber"] for e in admin(visma, "GET", "state")["employees"]}
                if number in numbers:
                    break
                if time.perf_counter() - sent > 600:
                    raise RuntimeError(f"{number} not in Visma after 600 s: {runs()}")
                time.sleep(0.5)
            latency = time.perf_counter() - sent
            after = [r for r in idle() if r["dag_run_id"] not in before]
            steps = []
            for r in after:
                tis = stack.api(
                    "GET", f"/dags/{DAG_ID}/dagRuns/{r['dag_run_id']}/taskInstances"
                ).json()["task_instances"]
                for ti in sorted(tis, key=lambda t: t["start_date"] or ""):
                    q, s, e = (_ts(ti[k]) for k in ("queued_when", "start_date", "end_date"))
                    steps.append(
                        f"{ti['task_id']} queued→start {(s or 0) - (q or 0):.1f}s "
                        f"run {(e or 0) - (s or 0):.1f}s"
                    )
            out["hires"].append(
                {
                    "number": number,
                    "latency_s": latency,
                    "delivered_s": delivered,
                    "runs": [(r["run_type"], r["state"]) for r in after],
                    "run_queued_after_s": min(
                        ((_ts(r["queued_at"]) or 0) - sent_wall for r in after), default=None
                    ),
                    "steps": steps,
                }
            )
        out["load_end"] = load()
    finally:
        stack.stop()
        shutil.rmtree(stack.home, ignore_errors=True)  # logs, sandbox data, audit DB
    return out


def report(r: dict[str, Any]) -> None:
    print(
        f"initial load (1,200 employees, scheduler): {r['initial_s']:.1f} s, runs "
        f"{r['initial_runs']}"
    )
    for h in r["hires"]:
        print(
            f"  {h['number']}: webhook → in Visma {h['latency_s']:.1f} s (delivered in "
            f"{h['delivered_s']:.2f} s; run queued after {h['run_queued_after_s'] or 0:.1f} s); "
            f"runs {h['runs']}"
        )
        print(f"      {'; '.join(h['steps'])}")
    values = [h["latency_s"] for h in r["hires"]]
    if values:
        print(
            f"  median {statistics.median(values):.1f} s of {len(values)} "
            f"(min {min(values):.1f}, max {max(values):.1f})"
        )
    print(f"  ({r['load_start']} → {r['load_end']})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--hires", type=int, default=3)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(f"webhook → Visma latency for one hire — {machine()}; {load()}")
    report(run(a.hires))
