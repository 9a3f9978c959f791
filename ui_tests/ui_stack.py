"""Airflow 3.3 for a person (``make ui``) or a browser test (``make test-ui``), on this machine.

The sandbox servers, a private PostgreSQL database (127.0.0.1:5432, user ``postgres``), then the
four Airflow processes as separate programs on loopback — api-server, scheduler, dag-processor,
triggerer — with LocalExecutor (SQLite + ``airflow standalone`` answers 500 "database is locked"
under a browser). SimpleAuthManager with one admin whose password is written to a file; the
connections ``ukg_default`` / ``visma_default`` are stored in the metadata DB (so the UI can
edit and test them); the connection Test button is enabled; approval is required (a copy of
``include/mappings`` with ``approval_required: true``), so every run waits for a human.

``make ui`` (``python ui_tests/ui_stack.py``) runs it in the foreground and prints the URL
and the login, the sandbox servers' URLs (their ``/_sandbox/state`` shows what UKG and Visma
hold), where the run reports are, and what to set for the UI's timezone and alerts.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get(
    "UKG_VISMA_UI_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
USER = "admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class UiStack:
    def __init__(self, home: Path | None = None, *, port: int | None = None) -> None:
        self.home = home or Path(tempfile.mkdtemp(prefix="ukgv-ui-"))
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_urlsafe(12)
        self.database = f"ukgv_ui_{secrets.token_hex(4)}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, IO[bytes]] = {}
        self.env: dict[str, str] = {}
        self.ukg_url = self.visma_url = ""  # the sandbox servers, set by start()

    # -- pieces ---------------------------------------------------------------------------
    def _pg(self, statement: str) -> None:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(statement))
        finally:
            engine.dispose()

    def _start(self, name: str, argv: list[str]) -> None:
        log = (self.home / f"{name}.log").open("wb")
        self.logs[name] = log
        self.procs[name] = subprocess.Popen(
            argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.home / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def _wait(self, url: str, name: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{self.log_tail(name)}")
            try:
                if httpx.get(url, timeout=5).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer at {url}:\n{self.log_tail(name)}")
            time.sleep(0.5)

    def _mappings(self) -> Path:
        target = self.home / "mappings"
        shutil.copytree(ROOT / "include" / "mappings", target, dirs_exist_ok=True)
        settings = target / "settings.yaml"
        text = settings.read_text()
        settings.write_text(text.replace("approval_required: false", "approval_required: true"))
        return target

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> UiStack:
        self.home.mkdir(parents=True, exist_ok=True)
        airflow_home = self.home / "airflow"
        airflow_home.mkdir(exist_ok=True)
        passwords = airflow_home / "passwords.json"
        passwords.write_text(json.dumps({USER: self.password}))
        self._pg(f'CREATE DATABASE "{self.database}"')
        db_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.database}"
        ukg_port, visma_port = free_port(), free_port()
        self.ukg_url, self.visma_url = (f"http://127.0.0.1:{p}" for p in (ukg_port, visma_port))
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "UKG_VISMA"))},
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__FERNET_KEY": "c2VjcmV0LWtleS1mb3ItdGhlLXVpLXN0YWNrLTAxMjM=",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            # only the runs a person (or the browser test) triggers or backfills
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "UKG_VISMA_MAPPINGS_DIR": str(self._mappings()),
            "UKG_VISMA_AUDIT_URL": f"sqlite:///{self.home}/audit.db",
        }
        self._start(
            "sandbox",
            [str(BIN / "ukg-visma"), "sandbox", "--host", "127.0.0.1", "--ukg-port", str(ukg_port),
             "--visma-port", str(visma_port), "--data-dir", str(self.home / "sandbox")],
        )  # fmt: skip
        migrate = subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"], env=self.env, capture_output=True, text=True
        )
        if migrate.returncode != 0:
            raise RuntimeError(migrate.stdout[-2000:] + migrate.stderr[-2000:])
        for port in (ukg_port, visma_port):
            self._wait(f"http://127.0.0.1:{port}/_sandbox/credentials", "sandbox")
            creds = httpx.get(f"http://127.0.0.1:{port}/_sandbox/credentials", timeout=10).json()
            for var, value in creds["env"].items():
                conn_id = var.removeprefix("AIRFLOW_CONN_").lower()
                subprocess.run(
                    [str(BIN / "airflow"), "connections", "add", conn_id, "--conn-json", value],
                    env=self.env, check=True, capture_output=True,
                )  # fmt: skip
        airflow = str(BIN / "airflow")
        self._start("api-server", [airflow, "api-server", "--workers", "1"])
        self._start("scheduler", [airflow, "scheduler"])
        self._start("dag-processor", [airflow, "dag-processor"])
        self._start("triggerer", [airflow, "triggerer"])
        self._wait(f"{self.url}/api/v2/monitor/health", "api-server")
        return self

    def token(self) -> str:
        answer = httpx.post(
            f"{self.url}/auth/token", json={"username": USER, "password": self.password}, timeout=60
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        # 120 s: on the shared 2-core machine (load 16 from other suites) a 30 s read timed out
        return httpx.request(
            method, f"{self.url}/api/v2{path}", headers=headers, timeout=120, **kwargs
        )

    def announce_gl_runs(self) -> list[str]:
        """Put UKG's ``PayrollGLExportCompletedEvent`` of every sandbox GL run into the stack's
        webhook inbox, as the receiver would have when UKG exported them (:mod:`gl_events`)."""
        from gl_events import announce_gl_runs

        from ukg_visma.audit.store import engine_for

        return announce_gl_runs(self.ukg_url, engine_for(self.audit_url))

    @property
    def audit_url(self) -> str:
        return self.env["UKG_VISMA_AUDIT_URL"]

    def visma_state(self) -> dict[str, Any]:
        """What the Visma sandbox holds (journals with status), to judge exactly-once."""
        answer = httpx.get(f"{self.visma_url}/_sandbox/state", timeout=30)
        answer.raise_for_status()
        return dict(answer.json())

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while self.api("GET", f"/dags/{dag_id}").status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"DAG {dag_id} not parsed:\n{self.log_tail('dag-processor')}")
            time.sleep(1)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for log in self.logs.values():
            log.close()
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            self._pg(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def banner(stack: UiStack) -> str:
    """What ``make ui`` prints: where everything is, for a newcomer."""
    return "\n".join([
        "",
        f"Airflow UI:      {stack.url}   (login: {USER} / {stack.password})",
        f"UKG sandbox:     {stack.ukg_url}   (what UKG holds: {stack.ukg_url}/_sandbox/state)",
        f"Visma sandbox:   {stack.visma_url}   (journals, employees: "
        f"{stack.visma_url}/_sandbox/state)",
        f"Run reports:     a run's 'Run report' tab, or {stack.url}/ukg-visma/reports/<dag>/<run>",
        "Timezone:        the schedules are Europe/Oslo; the UI shows your browser's timezone "
        "(user menu → Timezone → Europe/Oslo to match)",
        "Alerts:          off in this stack (no e-mail/Slack connection; the dashboard says so)",
        "Approval:        required: every pay-period run waits in its 'Required Action' tab",
        f"Logs:            {stack.home}/*.log — Ctrl-C stops everything",
        "",
    ])  # fmt: skip


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # Ctrl-C and a plain `kill` both stop every process and drop the database. Installed
    # explicitly: a shell that starts this in the background (`make ui &`) leaves SIGINT
    # ignored, and Python's default SIGTERM would skip the clean-up and orphan the processes.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    stack = UiStack(Path(os.environ.get("UKG_VISMA_UI_HOME", ROOT / ".airflow-ui")))
    try:
        stack.start()
        print(banner(stack), flush=True)
        while all(p.poll() is None for p in stack.procs.values()):
            time.sleep(2)
        print("a process exited; see its log", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
