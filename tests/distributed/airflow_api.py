"""A small client for Airflow 3's REST API v2, as an operator's script would use it.

Authentication is the api-server's own: ``POST /auth/token`` with a SimpleAuthManager user gives
a JWT (signed with the cluster's shared ``[api_auth] jwt_secret``) sent as a bearer token. Only the
calls the distributed tests need are here: health, DAG (un)pause, trigger, run and task-instance
reads, each failing loudly with the response text when Airflow says no.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

TERMINAL_RUN_STATES = frozenset({"success", "failed"})


class AirflowApiError(AssertionError):
    """Airflow answered an unexpected status (the tests expect every call to succeed)."""


@dataclass
class RunResult:
    """A finished DAG run and its task instances (each mapped index counted separately)."""

    dag_id: str
    run_id: str
    state: str
    task_instances: list[dict[str, Any]] = field(default_factory=list)

    def per_worker(self) -> Counter[str]:
        return Counter(ti["hostname"] or "-" for ti in self.task_instances)

    def failed(self) -> list[str]:
        return [
            f"{ti['task_id']}[{ti['map_index']}]={ti['state']}"
            for ti in self.task_instances
            if ti["state"] not in ("success", "skipped")
        ]


class AirflowApi:
    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._http = httpx.Client(base_url=self.base_url, timeout=60)
        # Called on every poll of a wait loop: the cluster raises there when one of its processes
        # died, so a crashed scheduler fails the test at once instead of at the timeout.
        self.on_poll: Callable[[], None] = lambda: None

    def close(self) -> None:
        self._http.close()

    # ---- auth ---------------------------------------------------------------------
    def login(self) -> None:
        response = self._http.post(
            "/auth/token", json={"username": self._username, "password": self._password}
        )
        if response.status_code != 201:
            raise AirflowApiError(f"POST /auth/token -> {response.status_code}: {response.text}")
        self._http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def _call(self, method: str, path: str, json: Any = None, ok: tuple[int, ...] = (200,)) -> Any:
        response = self._http.request(method, f"/api/v2{path}", json=json)
        if response.status_code not in ok:
            raise AirflowApiError(
                f"{method} {path} -> {response.status_code}: {response.text[:2000]}"
            )
        return response.json() if response.content else None

    # ---- health and DAGs ------------------------------------------------------------
    def health(self) -> dict[str, Any] | None:
        """``/api/v2/monitor/health`` (no auth needed), or None while the server is not up."""
        try:
            response = self._http.get("/api/v2/monitor/health", timeout=5)
        except httpx.TransportError:
            return None
        return response.json() if response.status_code == 200 else None

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict[str, Any]:
        """Wait until the dag-processor has serialized ``dag_id`` (404 until then)."""
        deadline = time.monotonic() + timeout
        while True:
            self.on_poll()
            response = self._http.get(f"/api/v2/dags/{quote(dag_id)}")
            if response.status_code == 200:
                return response.json()
            if time.monotonic() > deadline:
                raise AirflowApiError(f"DAG {dag_id} not parsed in {timeout}s: {response.text}")
            time.sleep(1)

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/dags/{quote(dag_id)}", json={"is_paused": False})

    def import_errors(self) -> list[dict[str, Any]]:
        return self._call("GET", "/importErrors")["import_errors"]

    # ---- runs -----------------------------------------------------------------------
    def trigger(
        self, dag_id: str, *, logical_date: str | None = None, conf: dict[str, Any] | None = None
    ) -> str:
        body = {"logical_date": logical_date, "conf": conf or {}}
        run = self._call("POST", f"/dags/{quote(dag_id)}/dagRuns", json=body)
        return run["dag_run_id"]

    def backfill(self, dag_id: str, from_date: str, to_date: str) -> dict[str, Any]:
        """``POST /api/v2/backfills``: what the UI's backfill dialog sends (no extra settings)."""
        body = {
            "dag_id": dag_id,
            "from_date": from_date,
            "to_date": to_date,
            "run_backwards": False,
            "dag_run_conf": {},
            "reprocess_behavior": "none",
            "max_active_runs": 1,
        }
        return self._call("POST", "/backfills", json=body)

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/dags/{quote(dag_id)}/dagRuns?limit=100")["dag_runs"]

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self._call("GET", f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = self._call(
                "GET",
                f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}/taskInstances"
                f"?limit=100&offset={len(items)}",
            )
            items.extend(page["task_instances"])
            if not page["task_instances"] or len(items) >= page["total_entries"]:
                return items

    def tries(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[dict]:
        """Every attempt of one task instance, oldest first, each with its ``hostname``."""
        path = f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}/taskInstances/{quote(task_id)}"
        if map_index >= 0:
            path += f"/{map_index}"
        tries = self._call("GET", f"{path}/tries")["task_instances"]
        return sorted(tries, key=lambda t: t["try_number"])

    def log_tail(self, dag_id: str, run_id: str, ti: dict[str, Any], lines: int = 40) -> str:
        """The last ``lines`` of a task instance's latest try (the worker's log, served by the
        api-server), so that a failed run says why in the test output, not only that it failed."""
        path = f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}/taskInstances/{quote(ti['task_id'])}"
        path += f"/logs/{ti['try_number']}?full_content=true"
        if ti.get("map_index", -1) >= 0:
            path += f"&map_index={ti['map_index']}"
        self.on_poll()
        answer = self._http.get(f"/api/v2{path}", headers={"Accept": "application/json"})
        if answer.status_code != 200:
            return f"(log not readable: {answer.status_code} {answer.text[:200]})"
        content = answer.json().get("content", [])
        events: list[str] = []
        for entry in content:
            if not isinstance(entry, dict):
                events.append(str(entry))
                continue
            events.append(str(entry.get("event", "")))
            for detail in entry.get("error_detail") or []:  # the exception, frame by frame
                if isinstance(detail, dict):
                    events.append(f"  {detail.get('exc_type')}: {detail.get('exc_value')}")
        return "\n".join(events[-lines:])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300) -> RunResult:
        """Poll until the run is ``success`` or ``failed``; raise on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            self.on_poll()
            state = self.run(dag_id, run_id)["state"]
            if state in TERMINAL_RUN_STATES:
                return RunResult(dag_id, run_id, state, self.task_instances(dag_id, run_id))
            if time.monotonic() > deadline:
                tis = self.task_instances(dag_id, run_id)
                summary = ", ".join(f"{t['task_id']}[{t['map_index']}]={t['state']}" for t in tis)
                raise AirflowApiError(
                    f"{dag_id} {run_id} still {state} after {timeout}s: {summary}"
                )
            time.sleep(1)
