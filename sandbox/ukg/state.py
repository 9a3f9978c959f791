"""What the UKG sandbox knows: employees, their change log, org levels, GL runs, pay calendar.

Why the split between regenerated and stored data: a scenario's GL runs are ~140,000 lines and
fully determined by (scenario, seed, employees, options), so only those parameters are stored and
the runs are regenerated at start-up (< 1 s); what can change through the API (employees, org
levels, GL runs brought by a test, switches) is written to the store and survives a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any

from sandbox.common import StateStore
from sandbox.scenario import Scenario, build
from sandbox.ukg.config import UkgConfig
from sandbox.ukg.errors import bad_request

# What a run's header is (stored once per run, copied onto every served line). ``payDate`` and
# ``runType`` are the sandbox's own: the published GL line has neither; the pay date is served
# by ``paygroup-payperiods`` and the pay register, both derived from it (sandbox/ukg/register.py).
RUN_HEADER = (
    "runId",
    "glRunDateTime",
    "userWhoRanThisGl",
    "coId",
    "companyCode",
    "payGroup",
    "periodStartDate",
    "periodEndDate",
    "payPeriodEndDate",
    "payDate",
)
_META, _EMP, _CHG, _ORG, _RUNS, _SET = (
    "meta",
    "employees",
    "changes",
    "org_levels",
    "gl_runs",
    "settings",
)
_VERSIONS, _VOIDS, _PERIODS = "gl_run_versions", "gl_run_voids", "pay_periods"
SCENARIO_LINES = "scenario"  # ``linesFrom`` marker: the lines are the scenario run's (not copied)
_RESET_KEYS = {"scenario", "seed", "employees", "block_size", "org_level_writes"}
_SCENARIO_OPTIONS = {
    "visma_segments",
    "cost_centers",
    "drift",
    "months",
    "correction",
    "gl_runs",
    "group",
    "chart",
}


def utc_stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_moment(value: str, field: str, *, end_of_day: bool = False) -> float:
    """An ISO date or date-time (zone optional, UTC assumed) as epoch seconds.

    A bare date as an upper bound means the whole day (``endDate=2026-04-30`` includes that day).
    """
    text = value.strip().replace("Z", "+00:00")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        raise bad_request(field, f"'{value}' is not an ISO 8601 date or date-time") from None
    return moment.timestamp()


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise bad_request(field, f"'{value}' is not an ISO 8601 date") from None


class UkgState:
    """The UKG tenant as the sandbox serves it (thread-safe; endpoints run in a thread pool)."""

    def __init__(self, store: StateStore, config: UkgConfig) -> None:
        self.store = store
        self.config = config
        self._lock = threading.RLock()
        self.scenario: Scenario | None = None
        self._scenario_runs: dict[str, dict[str, Any]] = {}
        meta = store.get(_META, "scenario")
        if meta is None:
            self.reset({})
        else:
            self._load(meta)

    # ---- scenario ----------------------------------------------------------------------
    def _params(self, body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        cfg = self.config
        meta = {
            "scenario": body.get("scenario", cfg.scenario),
            "seed": int(body.get("seed", cfg.seed)),
            "employees": int(body.get("employees", cfg.employees)),
            "block_size": int(body.get("block_size", cfg.block_size)),
            "options": {**cfg.options},
        }
        ignored = []
        for key, value in body.items():
            if key in _SCENARIO_OPTIONS:
                meta["options"][key] = value
            elif key not in _RESET_KEYS:
                ignored.append(key)
        if meta["block_size"] < 1:
            raise bad_request("block_size", "must be at least 1")
        return meta, ignored

    def _generate(self, meta: dict[str, Any]) -> Scenario:
        try:
            return build(
                meta["seed"], meta["employees"], scenario=meta["scenario"], **meta["options"]
            )
        except (TypeError, ValueError) as exc:
            raise bad_request("scenario", str(exc)) from None

    def reset(self, body: dict[str, Any]) -> dict[str, Any]:
        """Regenerate the customer and drop every change made since (tokens survive)."""
        meta, ignored = self._params(body)
        scenario = self._generate(meta)
        ukg = scenario.ukg
        switches = {
            "org_level_writes": bool(body.get("org_level_writes", self.config.org_level_writes))
        }
        changes: dict[str, list[list[Any]]] = {}
        for change in ukg["employeeChanges"]:
            changes.setdefault(change["employeeId"], []).append(
                [
                    parse_moment(change["dateTimeChanged"], "x"),
                    change["dateTimeChanged"],
                    change["eventType"],
                ]
            )
        with self._lock, self.store.atomic():
            cleared = (
                *(_META, _EMP, _CHG, _ORG, _RUNS, _VERSIONS, _VOIDS, _PERIODS),
                *(_SET, "org_level_writes"),
            )
            for ns in (*cleared, "_seq"):
                self.store.clear(ns)
            self.store.put_many(_EMP, ((e["employeeId"], e) for e in ukg["employees"]))
            self.store.put_many(_CHG, changes.items())
            self.store.put_many(_ORG, ((f"{o['level']}:{o['code']}", o) for o in ukg["orgLevels"]))
            self.store.put(_SET, "switches", switches)
            self.store.put(_META, "scenario", meta)
        self._install(scenario, meta)
        return {
            "scenario": meta["scenario"],
            "seed": meta["seed"],
            "employees": len(ukg["employees"]),
            "glRuns": [run["runId"] for run in ukg["glRuns"]],
            "blockSize": meta["block_size"],
            "options": scenario.options,
            "broken": scenario.broken,
            "ignored": ignored,
        }

    def _load(self, meta: dict[str, Any]) -> None:
        self._install(self._generate(meta), meta)

    def _install(self, scenario: Scenario, meta: dict[str, Any]) -> None:
        with self._lock:
            self.scenario = scenario
            self.meta = meta
            self._scenario_runs = {run["runId"]: run for run in scenario.ukg["glRuns"]}

    @property
    def seed(self) -> int:
        return int(self.meta["seed"])

    # ---- switches ----------------------------------------------------------------------
    def switches(self) -> dict[str, Any]:
        return self.store.get(_SET, "switches", {"org_level_writes": self.config.org_level_writes})

    def set_switches(self, update: dict[str, Any]) -> dict[str, Any]:
        unknown = set(update) - {"org_level_writes"}
        if unknown:
            raise bad_request("switches", f"unknown switches {sorted(unknown)}")
        current = {**self.switches(), **{k: bool(v) for k, v in update.items()}}
        self.store.put(_SET, "switches", current)
        return current

    # ---- GL runs -----------------------------------------------------------------------
    # A run is stored whole, except that a version whose lines are the scenario run's carries
    # ``"linesFrom": "scenario"`` instead of a copy (a scenario run is ~14,000 lines and is
    # regenerated at start-up anyway). Earlier versions of a run (before a regenerate) are kept
    # under ``gl_run_versions``, oldest first; a voided run has its void time under
    # ``gl_run_voids``.
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Read-check-write on GL runs as one step (the lock, then one store transaction)."""
        with self._lock, self.store.atomic():
            yield

    def _resolve(self, record: dict[str, Any]) -> dict[str, Any]:
        if record.get("linesFrom") != SCENARIO_LINES:
            return record
        with self._lock:
            base = self._scenario_runs.get(record["runId"])
        run = {k: v for k, v in record.items() if k != "linesFrom"}
        run["lines"] = base["lines"] if base else []
        return run

    def runs(self) -> list[dict[str, Any]]:
        """Every run (scenario + added), oldest first; added runs replace same-id scenario runs."""
        with self._lock:
            runs = dict(self._scenario_runs)
        for run_id, record in self.store.items(_RUNS):
            runs[run_id] = self._resolve(record)
        return sorted(runs.values(), key=lambda r: (r["glRunDateTime"], r["runId"]))

    def run(self, run_id: str) -> dict[str, Any] | None:
        added = self.store.get(_RUNS, run_id)
        if added is not None:
            return self._resolve(added)
        with self._lock:
            return self._scenario_runs.get(run_id)

    def record(self, run_id: str) -> dict[str, Any] | None:
        """The current version as stored (a scenario run as a ``linesFrom`` record), or None."""
        added = self.store.get(_RUNS, run_id)
        if added is not None:
            return added
        with self._lock:
            base = self._scenario_runs.get(run_id)
        if base is None:
            return None
        return {**{k: v for k, v in base.items() if k != "lines"}, "linesFrom": SCENARIO_LINES}

    def block_size(self, run: dict[str, Any]) -> int:
        return int(run.get("blockSize") or self.meta["block_size"])

    def add_run(self, run: dict[str, Any]) -> None:
        """A new run, or a replacement that starts afresh (no earlier versions, not voided)."""
        with self.transaction():
            self.store.put(_RUNS, run["runId"], run)
            self.store.delete(_VERSIONS, run["runId"])
            self.store.delete(_VOIDS, run["runId"])

    def add_version(self, record: dict[str, Any]) -> None:
        """Make ``record`` the current version of its run; the current one becomes history."""
        run_id = record["runId"]
        with self.transaction():
            previous = self.record(run_id)
            if previous is None:
                raise KeyError(run_id)
            history = self.store.get(_VERSIONS, run_id, [])
            history.append(previous)
            self.store.put(_VERSIONS, run_id, history)
            self.store.put(_RUNS, run_id, record)

    def versions(self, run_id: str) -> list[dict[str, Any]]:
        """Every version of a run, oldest first, the current one last (empty: unknown run)."""
        current = self.record(run_id)
        if current is None:
            return []
        history = self.store.get(_VERSIONS, run_id, [])
        return [self._resolve(v) for v in (*history, current)]

    def version_count(self, run_id: str) -> int:
        return len(self.store.get(_VERSIONS, run_id, [])) + 1

    def voided(self, run_id: str) -> str | None:
        """When the run was voided (``voidedDateTime``), or None."""
        return self.store.get(_VOIDS, run_id)

    def void(self, run_id: str, stamp: str) -> tuple[str, bool]:
        """Void a run once: ``(voidedDateTime, already_voided)``; a second void changes nothing."""
        with self.transaction():
            earlier = self.store.get(_VOIDS, run_id)
            if earlier is not None:
                return earlier, True
            self.store.put(_VOIDS, run_id, stamp)
            return stamp, False

    def pay_periods(self) -> list[dict[str, Any]]:
        """Every pay group's pay periods as ``paygroup-payperiods`` serves them."""
        from sandbox.ukg.register import pay_periods

        assert self.scenario is not None
        regular = self.scenario.ukg["payDates"] if self.scenario.ukg["glRuns"] else {}
        return pay_periods(self.runs(), regular, dict(self.store.items(_PERIODS)))

    def set_pay_period(self, pay_group: str, pay_date: str, fields: dict[str, Any]) -> None:
        """Override (or add) the pay period of ``pay_group`` paid on ``pay_date``."""
        key = f"{pay_group}:{pay_date[:10]}"
        current = self.store.get(_PERIODS, key, {})
        self.store.put(_PERIODS, key, {**current, **fields})

    # ---- employees ---------------------------------------------------------------------
    def employees(self) -> list[dict[str, Any]]:
        return self.store.values(_EMP)

    def employees_generation(self) -> tuple[int, int]:
        """Changes with any write to the employees or their change log (list caches key on it)."""
        return (self.store.generation(_EMP), self.store.generation(_CHG))

    def employee(self, employee_id: str) -> dict[str, Any] | None:
        return self.store.get(_EMP, employee_id)

    def changes(self) -> dict[str, list[list[Any]]]:
        return dict(self.store.items(_CHG))

    def changed_between(self, start: float, end: float) -> list[dict[str, Any]]:
        """Current snapshots of employees with at least one change in [start, end]."""
        hits = {
            employee_id
            for employee_id, log in self.store.items(_CHG)
            if any(start <= moment <= end for moment, _, _ in log)
        }
        found = [e for e in self.employees() if e["employeeId"] in hits]
        found.sort(key=lambda e: (e["dateTimeChanged"], e["employeeId"]))
        return found

    def save_employee(self, snapshot: dict[str, Any], moment: float, event_type: str) -> None:
        employee_id = snapshot["employeeId"]
        with self.store.atomic():
            log = self.store.get(_CHG, employee_id, [])
            log.append([moment, snapshot["dateTimeChanged"], event_type])
            self.store.put(_CHG, employee_id, log)
            self.store.put(_EMP, employee_id, snapshot)

    # ---- org levels --------------------------------------------------------------------
    def org_levels(self) -> list[dict[str, Any]]:
        levels = self.store.values(_ORG)
        levels.sort(key=lambda o: (o["level"], o["code"]))
        return levels

    def org_level(self, level: int, code: str) -> dict[str, Any] | None:
        return self.store.get(_ORG, f"{level}:{code}")

    def put_org_level(self, item: dict[str, Any]) -> None:
        self.store.put(_ORG, f"{item['level']}:{item['code']}", item)

    def log_org_write(self, entry: dict[str, Any]) -> None:
        key = f"{self.store.next_id('org_level_write'):08d}"
        self.store.put("org_level_writes", key, entry)

    def org_writes(self) -> list[dict[str, Any]]:
        return self.store.values("org_level_writes")
