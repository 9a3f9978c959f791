"""The fault campaign: many seeded runs of the three pipelines with faults drawn at random.

Each step is one DAG run (``dag.test``, in-process, as ``tests/dags/payroll_helpers.py`` does) of
the pay-period DAG (a new period, or a period after a UKG correction: re-export changed or
unchanged, a void, an added bonus run) or of the employee-sync DAG (hires, terminations,
rehires, transfers, bad snapshots mixed in, webhooks lost/duplicated/reordered). The run is
re-run as a user would (same run: clear and run again) until it succeeds or ``MAX_RERUNS`` is
hit; then the step is judged from the sandboxes' state (``reliability.judge``).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from reliability import faults as F
from reliability import judge as J

ROOT = Path(__file__).resolve().parents[1]
MAX_RERUNS = 4
PERIODS = [f"2026-{m:02d}" for m in range(4, 11)]  # 2026-01..03 are closed in Visma
COST_CENTRES = [f"{p}{d}0" for p in "123" for d in "12345"]


@dataclass
class Figures:
    faults: collections.Counter = field(default_factory=collections.Counter)
    steps: collections.Counter = field(default_factory=collections.Counter)
    dag_runs: int = 0  # DAG runs started (first runs + re-runs)
    reruns: int = 0  # re-runs of a failed run (a user clearing it)
    task_retries: int = 0  # Airflow task retries inside the runs
    clean_reruns: int = 0  # runs that only converged after the faults were cleared
    duplicates: int = 0
    lost: int = 0
    failures: list[str] = field(default_factory=list)
    converge_s: list[float] = field(default_factory=list)
    journals: int = 0  # our live batches in Visma at the end
    visma_employees: int = 0
    employee_changes: int = 0

    @property
    def injected(self) -> int:
        return sum(self.faults.values())


class Campaign:
    def __init__(
        self,
        sandbox: Any,
        workdir: Path,
        *,
        seed: int,
        runs: int,
        read_timeout: float = 4.0,
        allow_kill: bool = True,
        say: Any = print,
    ) -> None:
        self.box = sandbox
        self.work = workdir
        self.seed = seed
        self.runs = runs
        self.rng = random.Random(seed)
        self.read_timeout = read_timeout
        self.allow_kill = allow_kill
        self.say = say
        self.fig = Figures()
        self.posted: list[str] = []
        self.bad: dict[str, dict[str, Any]] = {}  # employee number -> {"id", "field", "fix"}
        self.next_hire = 0
        self.at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        self.seq = {"ukg": 0, "visma": 0}
        self.installed: dict[str, dict[int, tuple[str | None, int]]] = {"ukg": {}, "visma": {}}
        self.step_events: collections.Counter = collections.Counter()
        self.killed = False

    # ---- set-up ------------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """Connections (short read timeout, small token skew), audit store, mappings copy."""
        env: dict[str, str] = {}
        for name, raw in self.box.connections_env().items():
            conn = json.loads(raw)
            extra = conn.get("extra") or {}
            extra.update({"timeout": [5, self.read_timeout], "token_skew_seconds": 0.5})
            conn["extra"] = extra
            env[name] = json.dumps(conn)
        env["UKG_VISMA_AUDIT_URL"] = f"sqlite:///{self.work}/audit.db"
        mappings = self.work / "mappings"
        shutil.copytree(ROOT / "include" / "mappings", mappings, dirs_exist_ok=True)
        path = mappings / "settings.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["retries"] = {"transient_retries": 5, "first_delay_seconds": 1,
                           "max_delay_seconds": 2, "unknown_error_retries": 2}  # fmt: skip
        data["employee_sync"]["batch_size"] = 25
        # the campaign runs in minutes what a deployment runs over days: every employee step may
        # poll UKG's change feed (its call budget has tests of its own)
        data["employee_sync"]["feed_min_hours_apart"] = 0
        data["employee_sync"]["feed_max_calls_per_day"] = 10_000
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        env["UKG_VISMA_MAPPINGS_DIR"] = str(mappings)
        return env

    def audit(self) -> Any:
        from ukg_visma.audit.store import get_engine

        return get_engine()

    # ---- fault bookkeeping ---------------------------------------------------------------------
    def install(self, plan: F.Plan) -> None:
        for server, rules in plan.rules.items():
            if rules:
                self.install_rules(server, rules)
        for server, seconds in plan.token_lifetime.items():
            self.box.config(server, token_lifetime=seconds)

    def install_rules(self, server: str, rules: list[dict], label: str | None = "auto") -> None:
        added = self.box.faults(server, rules)
        items = added["added"]
        for item, rule in zip(items, rules, strict=True):
            kind = F.label(rule) if label == "auto" else label
            self.installed[server][item["id"]] = (kind, rule.get("times") or 1)

    def account(self, server: str) -> None:
        """Count the hits of this server's rules (a rule no longer listed was used up)."""
        listed = {f["id"]: f["hits"] for f in self.box.visma_admin("GET", "faults")["faults"]} \
            if server == "visma" else \
            {f["id"]: f["hits"] for f in self.box.ukg_admin("GET", "faults")["faults"]}  # fmt: skip
        for rule_id, (kind, times) in self.installed[server].items():
            hits = listed.get(rule_id, times)
            if kind and hits:
                self.fig.faults[kind] += hits
        self.installed[server] = {}
        calls = self.box.calls(server, since=self.seq[server])
        conflicts, tokens = F.unfaulted(calls)
        if conflicts:
            self.fig.faults["412 from a concurrent writer"] += conflicts
        self.step_events[f"tokens:{server}"] += tokens
        if calls:
            self.seq[server] = calls[-1]["seq"]

    def settle(self, plan: F.Plan) -> None:
        """End of a step's faulty phase: count what fired, clear rules, restore settings."""
        for server in ("ukg", "visma"):
            self.account(server)
            self.box.clear_faults(server)
        for server in plan.token_lifetime:
            self.box.config(server, token_lifetime=3600)
            renewed = self.step_events[f"tokens:{server}"] - 1 - self.step_events["revoked"]
            if renewed > 0:
                self.fig.faults["token expired mid-run (short lifetime)"] += renewed

    @contextlib.contextmanager
    def mid_run(self, plan: F.Plan) -> Any:
        """A watcher that restarts a server / revokes tokens after some calls of the run."""
        stop = threading.Event()
        todo = [("restart", plan.restart)] if plan.restart else []
        if plan.revoke:
            todo.append(("revoke", self.rng.choice(["ukg", "visma"])))
        # UKG gets a handful of calls per run, Visma dozens: act early enough to happen
        afters = {s: self.rng.randint(1, 4) if s == "ukg" else self.rng.randint(2, 15)
                  for s in ("ukg", "visma")}  # fmt: skip

        def watch() -> None:
            start = {s: self.seq[s] for s in ("ukg", "visma")}
            while todo and not stop.is_set():
                action, server = todo[0]
                try:
                    made = len(self.box.calls(server, since=start[server]))
                except Exception:
                    made = 0
                if made >= afters[server]:
                    todo.pop(0)
                    if action == "restart":
                        self.account(server)
                        self.box.restart(server, hard=True)
                        self.seq[server] = 0
                        start[server] = 0
                        self.fig.faults[f"sandbox restarted mid-run ({server})"] += 1
                    else:
                        self.box._admin(server, "DELETE", "tokens")
                        self.step_events["revoked"] += 1
                        self.fig.faults["tokens revoked mid-run"] += 1
                time.sleep(0.05)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=60)

    # ---- running DAGs ------------------------------------------------------------------------
    def dag(self, dag_id: str) -> Any:
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=str(ROOT / "dags" / f"{dag_id}.py"))
        assert bag.import_errors == {}, bag.import_errors
        return bag.dags[dag_id]

    def converge(self, dag_id: str, conf: dict | None, plan: F.Plan) -> tuple[bool, float]:
        """Run (and re-run, same run id) until success; then clear faults and, if still red,
        once more with no faults (counted as a clean re-run)."""
        from ukg_visma.hooks.auth import clear_token_cache
        from ukg_visma.hooks.retry import reset_pacers

        clear_token_cache()
        reset_pacers()
        self.at += dt.timedelta(minutes=1)
        dag, started, ok = self.dag(dag_id), time.monotonic(), False
        with self.mid_run(plan):
            for attempt in range(MAX_RERUNS):
                ok = self.one_run(dag, conf, rerun=attempt > 0 or self.killed)
                self.killed = False
                if ok:
                    break
        self.settle(plan)
        if not ok:
            self.fig.clean_reruns += 1
            ok = self.one_run(dag, conf, rerun=True)
        return ok, time.monotonic() - started

    def one_run(self, dag: Any, conf: dict | None, *, rerun: bool) -> bool:
        self.fig.dag_runs += 1
        self.fig.reruns += int(rerun)
        # run_after too: the run id (and so the posting lease's owner) is the same on a re-run,
        # as when a user clears the failed run's tasks
        dagrun = dag.test(run_after=self.at, logical_date=self.at, run_conf=conf)
        tis = dagrun.get_task_instances()
        self.fig.task_retries += sum(max(0, (ti.try_number or 1) - 1) for ti in tis)
        return str(dagrun.state) == "success"

    def kill_mid_post(self, period: str) -> None:
        """Run the period in a child process; SIGKILL it while a journal POST is in flight."""
        self.install_rules("visma", [{"method": "POST", "path": r"^/v2/journaltransaction$",
                                      "latency_ms": 2500, "times": 1}], label=None)  # fmt: skip
        (rule_id,) = [i for i, (k, _) in self.installed["visma"].items() if k is None]
        self.fig.dag_runs += 1
        log = (self.work / "killed.log").open("a")
        child = subprocess.Popen(
            [sys.executable, "-m", "reliability.worker", "ukg_visma_payroll_gl",
             json.dumps({"period": period, "run_id": ",".join(self.run_ids(period)) or None}),
             self.at.isoformat()],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}"},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 240
        while child.poll() is None and time.monotonic() < deadline:
            listed = {f["id"] for f in self.box.visma_admin("GET", "faults")["faults"]}
            if rule_id not in listed:  # the POST is being held: the task is inside it
                time.sleep(0.5)
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                self.fig.faults["task process SIGKILLed mid-POST"] += 1
                self.killed = True  # the in-process run that follows is its re-run
                break
            time.sleep(0.05)
        else:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        del self.installed["visma"][rule_id]
        log.close()

    # ---- the steps ---------------------------------------------------------------------------
    def run_ids(self, period: str) -> list[str]:
        month = period.replace("-", "")
        return [r["runId"] for r in self.box.ukg_state()["glRuns"]
                if str(r.get("payDate", "")).replace("-", "")[:6] == month]  # fmt: skip

    def payroll_step(self, period: str, what: str) -> None:
        plan = F.draw(self.rng, "payroll", read_timeout=self.read_timeout,
                      allow_kill=self.allow_kill)  # fmt: skip
        self.install(plan)
        began = time.monotonic()
        if plan.kill_mid_post and what in ("new period", "changed re-export", "bonus run", "void"):
            self.at += dt.timedelta(minutes=1)
            self.kill_mid_post(period)
            self.at -= dt.timedelta(minutes=1)  # converge() re-runs the killed run itself
        conf = {"period": period, "run_id": ",".join(self.run_ids(period)) or None}
        ok, _ = self.converge("ukg_visma_payroll_gl", conf, plan)
        took = time.monotonic() - began
        verdict = J.judge_period(self.box, period, self.run_ids(period), self.mapping,
                                 self.audit())  # fmt: skip
        self.fig.duplicates += sum(n - 1 for n in verdict["duplicates"].values())
        self.fig.lost += int(verdict["lost_ore"] > 0)
        self.record(f"payroll {period} ({what})", ok, verdict, took, plan)

    def correction(self, period: str) -> str:
        runs = self.run_ids(period)
        states = {r["runId"]: r for r in self.box.ukg_state()["glRuns"]}
        live = [r for r in runs if not states[r].get("voidedDateTime")]
        choice = self.rng.choice(["changed re-export", "changed re-export", "unchanged re-export",
                                  "void", "bonus run"])  # fmt: skip
        if choice == "void":
            extra = [r for r in live if not r.endswith("-R1")]
            if not extra:
                choice = "bonus run"
            else:
                self.box.ukg_admin("POST", f"/_sandbox/gl-runs/{extra[0]}/void", {})
                return choice
        if choice == "bonus run":
            n = sum(1 for r in runs if "-B" in r) + 1
            amount = Decimal(self.rng.randint(100_00, 50_000_00)) / 100
            cc = self.rng.choice(COST_CENTRES)
            self.box.ukg_admin("POST", "/_sandbox/gl-runs", {
                "runId": f"NMF-{period.replace('-', '')}-B{n}", "runType": "Bonus",
                "periodStartDate": f"{period}-01", "periodEndDate": f"{period}-28",
                "payDate": f"{period}-27", "emit": False,
                "lines": [
                    {"baseSegment": "5000", "generalLedgerAccount": f"5000-{cc[1]}0-{cc}",
                     "accountType": "Expense", "orgLevel1": "MOS", "orgLevel2": f"{cc[1]}0",
                     "orgLevel3": cc, "description": "Bonus", "debitAmt": str(amount),
                     "creditAmt": "0.00"},
                    {"baseSegment": "2930", "generalLedgerAccount": "2930",
                     "accountType": "Liability", "description": "Net pay", "debitAmt": "0.00",
                     "creditAmt": str(amount)},
                ]})  # fmt: skip
            return choice
        run_id = self.rng.choice(live)
        body: dict[str, Any] = {"emit": False}
        if choice == "changed re-export":
            info = self.box.ukg_admin("GET", f"/_sandbox/gl-runs/{run_id}/versions?lines=true")
            lines = [dict(x) for x in info["versions"][-1]["glLines"]]
            debits = [i for i, x in enumerate(lines) if x.get("baseSegment") == "5000"]
            credits = [i for i, x in enumerate(lines) if x.get("baseSegment") == "2930"]
            if debits and credits:
                bump = Decimal(self.rng.randint(1, 2_000_00)) / 100
                d, c = self.rng.choice(debits), self.rng.choice(credits)
                lines[d]["debitAmt"] = str(Decimal(str(lines[d]["debitAmt"])) + bump)
                lines[c]["creditAmt"] = str(Decimal(str(lines[c]["creditAmt"])) + bump)
                body["lines"] = lines
        self.box.ukg_admin("POST", f"/_sandbox/gl-runs/{run_id}/regenerate", body)
        return choice

    def employee_step(self) -> None:
        from employee_sync_helpers import new_hire, termination, transfer, ukg_employees

        plan = F.draw(self.rng, "employee", read_timeout=self.read_timeout, allow_kill=False)
        people = list(ukg_employees(self.box).values())
        by_number = {e["employeeNumber"]: e for e in people}
        free = [e for e in people if e["employeeNumber"] not in self.bad]
        active = sorted((e for e in free if e["employeeStatus"] == "A"),
                        key=lambda e: e["employeeNumber"])  # fmt: skip
        gone = [e for e in free if e["employeeStatus"] == "T"]
        self.rng.shuffle(active)
        changes: list[dict[str, Any]] = []
        for _ in range(self.rng.randint(3, 8)):
            self.next_hire += 1
            changes.append(new_hire(f"97{self.next_hire:04d}", self.rng.choice(COST_CENTRES)))
        n_term, n_move = self.rng.randint(2, 5), self.rng.randint(3, 8)
        terms, moves, rest = (
            active[:n_term],
            active[n_term : n_term + n_move],
            active[n_term + n_move :],
        )
        changes += [termination(e, "2026-11-15") for e in terms]
        changes += [transfer(e, self.rng) for e in moves]
        changes += [
            {"employeeId": e["employeeId"], "employeeStatus": "A", "lastHireDate": "2026-11-25"}
            for e in self.rng.sample(gone, min(3, len(gone)))
        ]
        # fixes of earlier bad records (retried every run until fixed)
        for number in [n for n in sorted(self.bad) if self.rng.random() < 0.5]:
            fix = dict(self.bad.pop(number)["fix"])
            fix["employeeId"] = by_number[number]["employeeId"]
            changes.append(fix)
        # bad records mixed into the good ones
        for _ in range(self.rng.randint(0, 2)):
            kind = self.rng.choice(["terminationDate", "lastHireDate", "hire"])
            if kind == "hire":
                self.next_hire += 1
                number = f"97{self.next_hire:04d}"
                changes.append(new_hire(number, self.rng.choice(COST_CENTRES),
                                        lastHireDate="2026-02-30"))  # fmt: skip
                self.bad[number] = {"field": "lastHireDate", "fix": {"lastHireDate": "2026-11-02"}}
            else:
                victim = rest.pop()
                number = victim["employeeNumber"]
                if kind == "terminationDate":
                    changes.append({"employeeId": victim["employeeId"], "employeeStatus": "T",
                                    "terminationDate": "31.12.2026"})  # fmt: skip
                    self.bad[number] = {"field": kind, "fix": {"terminationDate": "2026-12-31"}}
                else:
                    changes.append({"employeeId": victim["employeeId"],
                                    "lastHireDate": "2026/11/02"})  # fmt: skip
                    self.bad[number] = {"field": kind, "fix": {"lastHireDate": "2026-11-02"}}
            self.fig.faults["bad employee record"] += 1
        self.rng.shuffle(changes)
        self.fig.employee_changes += len(changes)
        seq = len(self.deliveries())
        self.box.ukg_admin("POST", "employees", {"employees": changes, "wait": True})
        fates = self.deliveries()[seq:]
        self.fig.faults["webhook dropped"] += sum(d["outcome"] in ("dropped", "failed")
                                                  for d in fates)  # fmt: skip
        self.fig.faults["webhook duplicated"] += sum(bool(d.get("duplicate")) for d in fates)
        if len(fates) > 1:
            self.fig.faults["webhook batch reordered"] += 1
        self.install(plan)
        writers = []
        for e in moves[: plan.writers]:
            writers.append(self.concurrent_writer(e["employeeNumber"]))
        ok, took = self.converge("ukg_visma_employee_sync", None, plan)
        for w in writers:
            w.join(timeout=60)
        verdict = J.judge_employees(self.box, self.bad, self.audit())
        self.fig.duplicates += sum(n - 1 for n in verdict["duplicates"].values())
        self.fig.lost += len(verdict["lost"])
        self.record("employee sync", ok, verdict, took, plan)

    def concurrent_writer(self, number: str) -> threading.Thread:
        """A finance user editing the Visma employee while the sync's PUT to it is held."""
        from ukg_visma.hooks import VismaHook

        path = f"/v1/employee/{number}"
        self.install_rules("visma", [{"method": "PUT", "path": f"^{path}$",
                                      "latency_ms": 1500, "times": 1}], label=None)  # fmt: skip
        (rule_id,) = [i for i, (k, _) in self.installed["visma"].items() if k is None][-1:]

        def edit() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    listed = {f["id"] for f in self.box.visma_admin("GET", "faults")["faults"]}
                except Exception:
                    listed = {rule_id}
                if rule_id not in listed:
                    with contextlib.suppress(Exception):
                        VismaHook().update(
                            path,
                            lambda body: {
                                "contact": {"email": {"value": f"finance-{number}@nordicmfg.no"}}
                            },
                        )
                    return
                time.sleep(0.02)

        thread = threading.Thread(target=edit, daemon=True)
        thread.start()
        return thread

    def deliveries(self) -> list[dict[str, Any]]:
        return self.box.ukg_admin("GET", "webhook-deliveries")["deliveries"]

    def record(self, name: str, ok: bool, verdict: dict, took: float, plan: F.Plan) -> None:
        self.fig.steps[name.split(" (")[0].split(" 20")[0]] += 1
        self.fig.converge_s.append(took)
        good = ok and verdict["ok"]
        if not good:
            self.fig.failures.append(f"{name}: run {'green' if ok else 'RED'}; {verdict}")
        self.say(
            f"  {'ok ' if good else 'BAD'} {name:<40} {took:6.1f} s  "
            f"drawn: {', '.join(plan.labels)}"
        )
        self.step_events.clear()

    # ---- the whole campaign ------------------------------------------------------------------
    def run(self) -> Figures:
        from employee_sync_helpers import receiver

        self.mapping = J.Mapping(Path(os.environ["UKG_VISMA_MAPPINGS_DIR"]))
        started = time.monotonic()
        with receiver(os.environ["UKG_VISMA_AUDIT_URL"]) as url:
            from employee_sync_helpers import subscribe

            subscribe(self.box, url, drop_rate=0.25, duplicate_rate=0.15, shuffle=True,
                      max_attempts=2, retry_delay_ms=50)  # fmt: skip
            self.employee_step()  # the initial load, under faults too
            for _ in range(self.runs - 1):
                todo = [p for p in PERIODS if p not in self.posted]
                kind = self.rng.choices(["payroll", "correction", "employee"], [4, 3, 3])[0]
                if kind == "payroll" and not todo:
                    kind = "correction"
                if kind == "correction" and not self.posted:
                    kind = "payroll"
                if kind == "employee":
                    self.employee_step()
                elif kind == "payroll":
                    period = todo[0]
                    self.payroll_step(period, "new period")
                    self.posted.append(period)
                else:
                    period = self.rng.choice(self.posted)
                    self.payroll_step(period, self.correction(period))
        self.elapsed = time.monotonic() - started
        state = self.box.visma_state()
        self.fig.journals = len(J.live_batches(state))
        self.fig.visma_employees = len(state["employees"])
        return self.fig
