"""The session-scoped ``sandbox`` fixture: both sandbox servers as real subprocesses (contracts §3).

Why subprocesses and not threads: a crash test must be able to kill a server (SIGKILL) and start
it again on the same port and data dir, and connector code must see exactly what it would see
over the network. Each server runs as ``python -m sandbox --only <name>`` on a free port with a
temporary data dir; tests call ``sandbox.reset(...)`` first to get a known state.

API (``sandbox`` is a :class:`Sandbox`)::

    sandbox.ukg_url, sandbox.visma_url, sandbox.data_dir, sandbox.credentials
    sandbox.reset(**body)                       # both servers; UKG-only keys go to UKG only
    sandbox.ukg_admin(method, path, json=None)  # -> parsed JSON; raises SandboxAdminError >= 400
    sandbox.visma_admin(method, path, json=None)
    sandbox.faults(server, rules)               # rules: one dict or a list
    sandbox.clear_faults(server=None)           # None = both
    sandbox.calls(server, since=0)              # -> list of call dicts
    sandbox.config(server, **settings)          # token_lifetime, rate_limit_per_minute, latency_ms
    sandbox.visma_state(), sandbox.ukg_state()
    sandbox.restart(server, hard=True)          # SIGKILL (hard) or SIGTERM, same port + data dir
    sandbox.connections_env()                   # {"AIRFLOW_CONN_UKG_DEFAULT": ..., ...VISMA...}

:func:`configure` points this process at the sandbox for one test: its connections, a private
audit DB, a private copy of the mappings (settings sections overridden) and no cached tokens or
pacer state left by an earlier test. Every in-process end-to-end test starts with it.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
READY = "SANDBOX READY "
SERVERS = ("ukg", "visma")
UKG_ONLY_KEYS = frozenset({"block_size", "org_level_writes"})
VISMA_ONLY_KEYS = frozenset({"visma"})
START_TIMEOUT = float(os.environ.get("UKG_VISMA_SANDBOX_START_TIMEOUT", "90"))


class SandboxAdminError(AssertionError):
    """An admin call answered >= 400 (admin calls are expected to succeed)."""


class ServerProcess:
    """One ``python -m sandbox --only NAME`` subprocess; keeps its port across restarts."""

    def __init__(self, name: str, data_dir: Path, args: list[str]) -> None:
        self.name = name
        self.data_dir = data_dir
        self.args = args
        self.port = 0
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        self.output: collections.deque[str] = collections.deque(maxlen=200)

    def start(self) -> str:
        self.launch()
        return self.wait_ready()

    def launch(self) -> None:
        """Start the process; :meth:`wait_ready` then waits for its READY line."""
        cmd = [
            sys.executable, "-m", "sandbox", "--only", self.name,
            f"--{self.name}-port", str(self.port), "--data-dir", str(self.data_dir),
            "--parent-pid", str(os.getpid()), *self.args,
        ]  # fmt: skip
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONPATH": path}
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._pump_thread = threading.Thread(
            target=self._pump, args=(self.proc, self._lines), daemon=True
        )
        self._pump_thread.start()

    def wait_ready(self) -> str:
        while True:
            try:
                line = self._lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                self.stop(hard=True)
                raise RuntimeError(f"{self.name} sandbox not ready in {START_TIMEOUT}s") from None
            if line is None:
                raise RuntimeError(f"{self.name} sandbox exited:\n" + "\n".join(self.output))
            if line.startswith(READY):
                self.url = json.loads(line[len(READY) :])[self.name]
                self.port = int(self.url.rsplit(":", 1)[1])
                return self.url

    def _pump(self, proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        """Drain the child's output for its whole life (a full pipe would block it)."""
        assert proc.stdout is not None
        for line in proc.stdout:
            self.output.append(line.rstrip())
            lines.put(line.rstrip())
        lines.put(None)

    def stop(self, hard: bool = False) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            if hard:
                proc.kill()
            else:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._pump_thread.join(timeout=10)  # EOF once the process is gone; then close the pipe
        if proc.stdout is not None and not self._pump_thread.is_alive():
            proc.stdout.close()


class Sandbox:
    """Handle on the two running servers; see the module docstring for the API."""

    def __init__(self, data_dir: Path, args: list[str] | None = None) -> None:
        self.data_dir = data_dir
        self._procs = {name: ServerProcess(name, data_dir, list(args or [])) for name in SERVERS}
        self._http = httpx.Client(timeout=120)
        self.credentials: dict[str, dict[str, Any]] = {}

    # ---- life cycle ------------------------------------------------------------------
    def start(self) -> Sandbox:
        """Launch both servers at once (each builds its scenario), then wait for both."""
        for proc in self._procs.values():
            proc.launch()
        for proc in self._procs.values():
            proc.wait_ready()
        self._load_credentials()
        return self

    def stop(self) -> None:
        """Stop both servers (idempotent: the finalizer and atexit may both call it)."""
        for proc in self._procs.values():
            proc.stop()
        if not self._http.is_closed:
            self._http.close()

    def restart(self, server: str, hard: bool = True) -> None:
        """Kill (``hard``: SIGKILL, like a crash) or stop a server, start it again, same port.

        In-memory things are lost as in a real restart: faults, the call log, rate-limit
        counters; stored state (journals, employees, tokens, GL runs) survives.
        """
        proc = self._proc(server)
        proc.stop(hard=hard)
        proc.start()

    def _proc(self, server: str) -> ServerProcess:
        if server not in self._procs:
            raise ValueError(f"server must be one of {SERVERS}, not {server!r}")
        return self._procs[server]

    def _load_credentials(self) -> None:
        self.credentials = {name: self._admin(name, "GET", "credentials") for name in SERVERS}

    @property
    def ukg_url(self) -> str:
        return self._procs["ukg"].url

    @property
    def visma_url(self) -> str:
        return self._procs["visma"].url

    def url(self, server: str) -> str:
        return self._proc(server).url

    def ukg_client_auth(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        """Headers and basic auth for a plain HTTP client of UKG's API (not the package's hook):
        the customer API key, and basic auth or a bearer token, as the sandbox is configured."""
        creds = self.credentials["ukg"]
        headers = {"US-Customer-Api-Key": creds["customer_api_key"]}
        if "basic_user" in creds:
            return headers, (creds["basic_user"], creds["basic_password"])
        token = httpx.post(
            f"{self.ukg_url}/signin/oauth2/t/{creds['tenant_alias']}/access_token",
            json={
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "grant_type": "client_credentials",
            },
        ).json()["access_token"]
        return {**headers, "Authorization": f"Bearer {token}"}, None

    # ---- admin calls -----------------------------------------------------------------
    def _admin(self, server: str, method: str, path: str, json: Any = None) -> Any:
        path = path.lstrip("/")
        if not path.startswith("_sandbox/"):
            path = f"_sandbox/{path}"
        response = self._http.request(method, f"{self.url(server)}/{path}", json=json)
        if response.status_code >= 400:
            raise SandboxAdminError(
                f"{server} {method} /{path} -> {response.status_code}: {response.text[:2000]}"
            )
        return response.json() if response.content else None

    def ukg_admin(self, method: str, path: str, json: Any = None) -> Any:
        return self._admin("ukg", method, path, json)

    def visma_admin(self, method: str, path: str, json: Any = None) -> Any:
        return self._admin("visma", method, path, json)

    def reset(self, **body: Any) -> dict[str, Any]:
        """Regenerate the scenario on both servers (faults and call logs are cleared too)."""
        ukg = {k: v for k, v in body.items() if k not in VISMA_ONLY_KEYS}
        visma = {k: v for k, v in body.items() if k not in UKG_ONLY_KEYS}
        return {
            "ukg": self.ukg_admin("POST", "reset", ukg),
            "visma": self.visma_admin("POST", "reset", visma),
        }

    def faults(self, server: str, rules: dict[str, Any] | list[dict[str, Any]]) -> Any:
        return self._admin(server, "POST", "faults", rules)

    def clear_faults(self, server: str | None = None) -> None:
        for name in [server] if server else SERVERS:
            self._admin(name, "DELETE", "faults")

    def calls(self, server: str, since: int = 0) -> list[dict[str, Any]]:
        return self._admin(server, "GET", f"calls?since={since}")["calls"]

    def config(self, server: str, **settings: Any) -> dict[str, Any]:
        return self._admin(server, "POST", "config", settings)

    def visma_state(self) -> dict[str, Any]:
        return self.visma_admin("GET", "state")

    def ukg_state(self) -> dict[str, Any]:
        return self.ukg_admin("GET", "state")

    # ---- a group: several Visma companies (tenant ids) on the one Visma sandbox ------------
    def visma_tenant(self, tenant_id: str, **reset: Any) -> dict[str, Any]:
        """Add the Visma company ``tenant_id`` (if new) and reset it with ``reset`` (a scenario's
        options, e.g. ``chart="mo_i_rana"``, or ``visma={...}``) — ``sandbox.visma.tenants``."""
        return self.visma_admin("POST", "tenants", {"tenant_id": tenant_id, **reset})

    def tenant_admin(self, tenant_id: str, method: str, path: str, json: Any = None) -> Any:
        """An admin call on one Visma company (``/_sandbox/t/{tenant_id}/...``)."""
        return self._admin("visma", method, f"_sandbox/t/{tenant_id}/{path.lstrip('/')}", json)

    def tenant_state(self, tenant_id: str) -> dict[str, Any]:
        return self.tenant_admin(tenant_id, "GET", "state")

    def tenant_connection(self, tenant_id: str) -> str:
        """The Airflow connection (JSON) of the Visma company ``tenant_id``: same host and
        client, its own ``tenant_id`` extra — what a group's ``visma_conn_id`` names."""
        creds = self.tenant_admin(tenant_id, "GET", "credentials")
        return json.dumps(creds["connection"])

    def connections_env(self) -> dict[str, str]:
        """The ``AIRFLOW_CONN_*`` values for ``ukg_default`` and ``visma_default``."""
        env: dict[str, str] = {}
        for name in SERVERS:
            env.update(self.credentials[name]["env"])
        return env


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    data_dir = Path(tempfile.mkdtemp(prefix="ukgv-sandbox-"))
    box = Sandbox(data_dir)
    atexit.register(box.stop)  # also when the session dies before its finalizers run
    try:
        box.start()
        yield box
    finally:
        box.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


# Retry delays of 1–2 s instead of 30 s–5 min: a test of retries is about the tries, not the wait.
QUICK_RETRIES = {"transient_retries": 6, "first_delay_seconds": 1, "max_delay_seconds": 2}


def override_settings(mappings: Path, **sections: Mapping[str, Any]) -> None:
    """Override keys of sections in the mappings folder's ``settings.yaml`` (as ``configure``
    does), also after ``configure`` ran: the DAGs read the file when they are loaded."""
    if not sections:
        return
    path = mappings / "settings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section, overrides in sections.items():
        data[section] = {**(data.get(section) or {}), **overrides}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def configure(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: Sandbox,
    tmp_path: Path,
    **sections: Mapping[str, Any],
) -> Path:
    """Connections to the sandbox, a private audit DB, a private copy of the mappings, and a
    fresh token cache and pacers; returns the mappings folder.

    Each keyword names a section of the copy's ``settings.yaml`` and the keys to override in it,
    the way finance would switch them: ``configure(..., employee_sync={"batch_size": 20})``.
    """
    from ukg_visma.hooks.auth import clear_token_cache
    from ukg_visma.hooks.retry import reset_pacers

    for name, value in sandbox.connections_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("UKG_VISMA_AUDIT_URL", f"sqlite:///{tmp_path}/audit.db")
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "include" / "mappings", mappings)
    override_settings(mappings, **sections)
    monkeypatch.setenv("UKG_VISMA_MAPPINGS_DIR", str(mappings))
    clear_token_cache()
    reset_pacers()
    return mappings
