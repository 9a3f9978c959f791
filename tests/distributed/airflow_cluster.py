"""A real Airflow 3 cluster on this machine: PostgreSQL, Redis, CeleryExecutor, two workers.

The executable twin of ``docker-compose.yaml``, started natively so CI can run it. The Airflow
settings are the compose file's own: its ``x-airflow-common`` environment interpolated with local
values (``compose_env``) — executor, auth manager (FAB), execution API URL, JWT/API secrets, base
URL, metadata DB, broker, result backend, secrets backend, connections — with only the service
endpoints moved to this machine. The databases and their least-privilege roles are made by the
compose file's own ``docker/postgres/init-databases.sh`` (no Airflow process is a superuser), the
FAB admin as airflow-init makes it, and the audit schema by ``ukg-visma audit init``. Celery's
broker is on Redis (a DB number plus a key prefix and a queue of this cluster's own, so concurrent
runs never see each other's messages); as separate processes the api-server, scheduler,
dag-processor, triggerer and two Celery workers.

Test-only settings (``_test_only``: never a key the compose file sets, checked at start): quick
timings (1 s scheduler loop, 20 s task heartbeat timeout, 3 s default retry delay), no scheduled
runs (only the runs a test triggers), ports of its own, and each worker names itself as the task
instances' hostname (``pypath/ukgv_dist_hostname.py``: both share one machine here).

Usage (see ``conftest.py``)::

    cluster = AirflowCluster(sandbox.connections_env(), extra_dag_files=[probe_dag_file])
    cluster.start()            # databases, migrate, processes, health, API login
    cluster.api.trigger(...)   # airflow_api.AirflowApi
    cluster.crash_worker(name); cluster.start_worker(name)
    cluster.stop()             # always: processes, databases, Redis keys, temp home
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
import sqlalchemy as sa
from airflow_api import AirflowApi
from cluster_processes import ManagedProcess
from compose_env import airflow_common_environment, load_compose, relocate, service_environment
from cryptography.fernet import Fernet
from pg_fixture import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]
INIT_DATABASES = ROOT / "docker" / "postgres" / "init-databases.sh"
HERE = Path(__file__).resolve().parent
REDIS_URL = os.environ.get("UKG_VISMA_TEST_REDIS", "redis://127.0.0.1:6379/13")
WORKERS = ("worker-a", "worker-b")
START_TIMEOUT = float(os.environ.get("UKG_VISMA_DIST_START_TIMEOUT", "240"))
API_USER = "ukgv-dist"


class ClusterError(RuntimeError):
    """The cluster could not be brought up (the message carries the process log tails)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def infrastructure_problem() -> str | None:
    """Why PostgreSQL or Redis cannot be used, or None when both answer."""
    engine = sa.create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError:
        return f"no PostgreSQL reachable at {PG_ADMIN_URL} (set UKG_VISMA_TEST_PG)"
    finally:
        engine.dispose()
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError:
        return f"no Redis reachable at {REDIS_URL} (set UKG_VISMA_TEST_REDIS)"
    return None


class AirflowCluster:
    def __init__(self, connections: dict[str, str], extra_dag_files: Sequence[Path] = ()) -> None:
        self.tag = f"ukgv_dist_{uuid.uuid4().hex[:8]}"
        self.home = Path(tempfile.mkdtemp(prefix="ukgv-dist-airflow-"))
        self.meta_db = self.meta_user = f"{self.tag}_meta"
        self.audit_db = self.audit_user = f"{self.tag}_audit"
        self._db_passwords = {name: secrets.token_hex(16) for name in ("meta", "audit")}
        admin = sa.make_url(PG_ADMIN_URL)
        self._pg_hostport = f"{admin.host or '127.0.0.1'}:{admin.port or 5432}"
        self.meta_url = f"postgresql+psycopg2://{self.meta_user}@{self._pg_hostport}/{self.meta_db}"
        self.audit_url = (
            f"postgresql+psycopg2://{self.audit_user}@{self._pg_hostport}/{self.audit_db}"
        )
        self.broker_url = REDIS_URL
        self.key_prefix = f"{self.tag}:"
        self.queue = self.tag.replace("_", "-")
        self.api_port = free_port()
        self.connections = dict(connections)
        self.extra_dags: Path | None = None
        if extra_dag_files:  # a second DAG bundle, next to the real dags folder
            self.extra_dags = self.home / "extra-dags"
            self.extra_dags.mkdir()
            for file in extra_dag_files:
                shutil.copy(file, self.extra_dags)
        self.processes: dict[str, ManagedProcess] = {}
        self.api = AirflowApi(f"http://127.0.0.1:{self.api_port}", API_USER, secrets.token_hex(16))
        self._admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self._dbs_created: list[str] = []
        self._roles_created: list[str] = []
        self.crashed: set[str] = set()  # workers killed on purpose, not (yet) restarted
        # environment a worker gets on top of (None: without) the shared one, kept on restart
        self.worker_env: dict[str, dict[str, str | None]] = {}
        self._watchdog: subprocess.Popen[bytes] | None = None
        self.env = self._environment()
        self.api.on_poll = self.assert_alive

    # ---- configuration ------------------------------------------------------------------
    def _compose_values(self) -> dict[str, str]:
        """What this cluster's ``.env`` would hold (the compose file interpolates these)."""
        return {
            **self.connections,
            "AIRFLOW_UID": str(os.getuid()),
            "AIRFLOW_BASE_URL": self.api.base_url,
            "AIRFLOW_FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW_JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW_API_SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW_DB_NAME": self.meta_db,
            "AIRFLOW_DB_USER": self.meta_user,
            "AIRFLOW_DB_PASSWORD": self._db_passwords["meta"],
            "REDIS_PASSWORD": "not-used-by-the-local-redis",
            "AIRFLOW_WORKER_CONCURRENCY": "2",
            "AIRFLOW_CONN_UKG_VISMA_AUDIT": (
                f"postgresql://{self.audit_user}:{self._db_passwords['audit']}"
                f"@postgres:5432/{self.audit_db}"
            ),
            "UKG_WEBHOOK_SECRET": secrets.token_hex(16),
        }

    def _environment(self) -> dict[str, str]:
        """The one environment every process shares (workers add only their own name)."""
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AIRFLOW") and k not in ("UKG_VISMA_AUDIT_URL", "PYTHONPATH")
        }
        bin_dir = str(Path(sys.executable).parent)
        self.compose_values = values = self._compose_values()
        compose = load_compose()
        redis_url = urlsplit(self.broker_url)
        if redis_url.password is None:  # the compose URL carries a password; this Redis has none
            redis_url = redis_url._replace(netloc=f":@{redis_url.netloc}")
        endpoints = {
            "postgres:5432": f"postgresql://{self._pg_hostport}",
            "redis:6379": urlunsplit(redis_url),
            "airflow-api-server:8080": self.api.base_url,
        }
        common = relocate(airflow_common_environment(values, compose), endpoints, ROOT)
        api_server = relocate(service_environment("airflow-api-server", values, compose), {}, ROOT)
        self.api_server_env = {k: v for k, v in api_server.items() if k not in common}
        self.init_env = {
            k: v
            for k, v in service_environment("airflow-init", values, compose).items()
            if k not in common
        }
        overlap = set(common) & set(self._test_only())
        if overlap:
            raise ClusterError(f"test-only settings override the compose file's: {overlap}")
        env = {**keep, **common, **self._test_only()}
        env["PATH"] = os.pathsep.join([bin_dir, keep.get("PATH", "")])
        env["PYTHONPATH"] = str(HERE / "pypath")
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _test_only(self) -> dict[str, str]:
        """Settings of this test cluster alone: timings, isolation, sharing one machine."""
        bundles = [
            {
                "name": "dags-folder",
                "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {},
            }
        ]
        if self.extra_dags is not None:
            bundles.append(
                {
                    "name": "distributed-probes",
                    "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                    "kwargs": {"path": str(self.extra_dags)},
                }
            )
        if not hasattr(self, "_ports"):
            self._ports = {name: str(free_port()) for name in ("health", "trigger", "worker")}
        airflow = {
            "_HOME": str(self.home),
            "__CORE__HOSTNAME_CALLABLE": "ukgv_dist_hostname.get_hostname",
            "__CORE__DEFAULT_TASK_RETRY_DELAY": "3",
            "__CELERY__OPERATION_TIMEOUT": "10",
            "__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": self.key_prefix,
            "__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "3600",
            "__OPERATORS__DEFAULT_QUEUE": self.queue,
            "__API__WORKERS": "1",
            # Only the runs a test triggers: a scheduled run for the same period would race the
            # test's own (the scheduler of 3.3.2 even dies on that unique-key race).
            "__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            "__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
            "__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
            "__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": self._ports["health"],
            "__WORKERS__MIN_HEARTBEAT_INTERVAL": "2",
            "__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(bundles),
            "__LOGGING__TRIGGER_LOG_SERVER_PORT": self._ports["trigger"],
            "__LOGGING__WORKER_LOG_SERVER_PORT": self._ports["worker"],
        }
        return {f"AIRFLOW{k}": v for k, v in airflow.items()}

    def describe(self) -> str:
        with self._admin.connect() as conn:
            version = conn.execute(sa.text("show server_version")).scalar_one()
        host = PG_ADMIN_URL.rsplit("@", 1)[-1].rsplit("/", 1)[0]
        return "\n".join(
            [
                "distributed tier:",
                "  settings      : docker-compose.yaml x-airflow-common (compose_env)",
                f"  auth manager  : {self.env['AIRFLOW__CORE__AUTH_MANAGER'].rsplit('.', 1)[-1]}",
                f"  executor      : {self.env['AIRFLOW__CORE__EXECUTOR']} "
                f"({len(WORKERS)} workers x concurrency "
                f"{self.env['AIRFLOW__CELERY__WORKER_CONCURRENCY']})",
                f"  metadata DB   : PostgreSQL {version} at {host}, database {self.meta_db}"
                f" as role {self.meta_user} (not a superuser)",
                f"  result backend: db+postgresql, database {self.meta_db}",
                f"  audit store   : PostgreSQL, database {self.audit_db} as role {self.audit_user}"
                " (conn ukg_visma_audit)",
                f"  broker        : {self.broker_url} key prefix {self.key_prefix!r}, "
                f"queue {self.queue!r}",
                f"  api-server    : {self.api.base_url}",
            ]
        )

    # ---- life cycle -----------------------------------------------------------------------
    def start(self) -> AirflowCluster:
        self._start_watchdog()
        self._create_databases()
        self._migrate()
        airflow = str(Path(sys.executable).parent / "airflow")
        api = [airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.api_port)]
        for name, argv in {
            "api-server": api,
            "scheduler": [airflow, "scheduler"],
            "dag-processor": [airflow, "dag-processor"],
            "triggerer": [airflow, "triggerer", "--skip-serve-logs"],
        }.items():
            env = {**self.env, **self.api_server_env} if name == "api-server" else self.env
            self._spawn(name, argv, env)
        for worker in WORKERS:
            self.start_worker(worker, wait=False)
        self._wait_healthy()
        self.api.login()
        return self

    def _create_databases(self) -> None:
        """The compose file's postgres-init step: both databases, each with its own plain role."""
        admin = sa.make_url(PG_ADMIN_URL)
        self._dbs_created += [self.meta_db, self.audit_db]
        self._roles_created += [self.meta_user, self.audit_user]
        self._save_state()
        env = {
            **os.environ,
            "PGHOST": admin.host or "127.0.0.1",
            "PGPORT": str(admin.port or 5432),
            "POSTGRES_USER": admin.username or "postgres",
            "POSTGRES_DB": admin.database or "postgres",
            "AIRFLOW_DB_NAME": self.meta_db,
            "AIRFLOW_DB_USER": self.meta_user,
            "AIRFLOW_DB_PASSWORD": self._db_passwords["meta"],
            "AUDIT_DB_NAME": self.audit_db,
            "AUDIT_DB_USER": self.audit_user,
            "AUDIT_DB_PASSWORD": self._db_passwords["audit"],
        }
        if admin.password:
            env["PGPASSWORD"] = admin.password
        self._run_step("init-databases", ["bash", str(INIT_DATABASES)], env)

    def _migrate(self) -> None:
        """The compose file's airflow-init steps: migrate, first admin, audit schema, check."""
        airflow = str(Path(sys.executable).parent / "airflow")
        init_env = {**self.env, **self.init_env, "UKG_VISMA_ALLOW_SANDBOX": "true"}
        self._run_step("db-migrate", [airflow, "db", "migrate"], self.env)
        admin = [
            airflow, "users", "create", "--role", "Admin", "--username", API_USER,
            "--password", self.api._password, "--email", "ukgv-dist@example.invalid",
            "--firstname", "Distributed", "--lastname", "Tests",
        ]  # fmt: skip
        self._run_step("users-create", admin, self.env)
        ukg_visma = str(Path(sys.executable).parent / "ukg-visma")
        self._run_step("audit-init", [ukg_visma, "audit", "init"], init_env)
        self._run_step("deploy-check", [ukg_visma, "deploy-check"], init_env)

    def _run_step(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = self.home / "logs" / "processes" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            done = subprocess.run(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=300, check=False
            )
        if done.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise ClusterError(f"{name} failed ({done.returncode}):\n{tail}")

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> ManagedProcess:
        log = self.home / "logs" / "processes" / f"{name}.log"
        proc = self.processes.get(name) or ManagedProcess(name, argv, env, log)
        self.processes[name] = proc
        proc.start()
        self._pgids.append(proc.pid or 0)
        self._save_state()
        return proc

    def _start_watchdog(self) -> None:
        """A separate process that cleans up if pytest dies without its teardown."""
        self._pgids: list[int] = []
        self._save_state()
        self._watchdog = subprocess.Popen(
            [sys.executable, str(HERE / "watchdog.py"), str(self._state_file), str(os.getpid())],
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    @property
    def _state_file(self) -> Path:
        return self.home / "cleanup.json"

    def _save_state(self) -> None:
        state = {
            "admin_url": PG_ADMIN_URL, "databases": self._dbs_created, "pgids": self._pgids,
            "roles": self._roles_created,
            "redis_url": self.broker_url, "key_prefix": self.key_prefix, "home": str(self.home),
        }  # fmt: skip
        self._state_file.write_text(json.dumps(state))

    def assert_alive(self) -> None:
        """Raise (with the log tails) when a process died that nobody killed on purpose."""
        dead = [n for n, p in self.processes.items() if n not in self.crashed and not p.alive()]
        if dead:
            raise ClusterError(f"{', '.join(dead)} died\n{self.tails()}")

    def start_worker(self, name: str, wait: bool = True) -> ManagedProcess:
        """Start (or restart after a crash) one Celery worker on this cluster's queue."""
        argv = [
            str(Path(sys.executable).parent / "airflow"), "celery", "worker",
            "--celery-hostname", f"ukgv-{name}@%h", "--concurrency",
            self.env["AIRFLOW__CELERY__WORKER_CONCURRENCY"], "--queues", self.queue,
            "--skip-serve-logs", "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        env = {**self.env, "UKGV_WORKER_NAME": name}
        for key, value in self.worker_env.get(name, {}).items():  # per-worker overrides
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        proc = self._spawn(name, argv, env)
        self.crashed.discard(name)
        if wait:
            self._wait(lambda: self._worker_ready(name), f"worker {name} ready")
        return proc

    def _worker_ready(self, name: str) -> bool:
        return self.processes[name].log_contains(" ready.")

    def _wait(self, check: object, what: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not check():  # type: ignore[operator]
            self.assert_alive()
            if time.monotonic() > deadline:
                raise ClusterError(f"timed out after {timeout}s waiting for {what}\n{self.tails()}")
            time.sleep(1)

    def _healthy(self) -> bool:
        health = self.api.health()
        if not health:
            return False
        parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
        return all((health.get(p) or {}).get("status") == "healthy" for p in parts)

    def _wait_healthy(self) -> None:
        self._wait(self._healthy, "api-server health: db, scheduler, triggerer, dag-processor")
        for worker in WORKERS:
            self._wait(lambda w=worker: self._worker_ready(w), f"worker {worker} ready")

    def stop(self) -> list[str]:
        """Stop every process (SIGTERM, SIGKILL after 40 s), drop the databases, clean Redis.

        Returns the names of the processes that had to be killed.
        """
        self.api.close()
        if self._watchdog is not None:
            self._watchdog.terminate()
            self._watchdog.wait(timeout=10)
        deadline = time.monotonic() + 40
        for proc in self.processes.values():
            proc.terminate()
        unclean = [name for name, proc in self.processes.items() if not proc.finish(deadline)]
        with self._admin.connect() as conn:
            for name in self._dbs_created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for name in self._roles_created:
                conn.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
        self._admin.dispose()
        client = redis.Redis.from_url(self.broker_url)
        keys = list(client.scan_iter(match=f"{self.key_prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()
        if not os.environ.get("UKGV_DIST_KEEP_HOME"):
            shutil.rmtree(self.home, ignore_errors=True)
        return unclean

    # ---- workers and observations ---------------------------------------------------------
    def crash_worker(self, name: str) -> None:
        """SIGKILL a worker's whole process tree, task processes included (a dead host)."""
        self.crashed.add(name)
        self.processes[name].crash()

    def worker_pids(self, name: str) -> set[int]:
        proc = self.processes[name]
        return {proc.pid or 0} | {p.pid for p in proc.descendants()}

    def broker_keys(self) -> list[str]:
        client = redis.Redis.from_url(self.broker_url)
        try:
            return sorted(k.decode() for k in client.scan_iter(match=f"{self.key_prefix}*"))
        finally:
            client.close()

    def attempts_by_worker(self) -> Counter[str]:
        """Every task attempt this cluster ran (earlier tries included), by worker hostname."""
        engine = sa.create_engine(self.meta_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "select hostname, count(*) from (select hostname from task_instance"
                        " union all select hostname from task_instance_history) t"
                        " where hostname is not null and hostname <> '' group by hostname"
                    )
                ).all()
        finally:
            engine.dispose()
        return Counter({host: n for host, n in rows})

    def tails(self, lines: int = 40) -> str:
        return "\n".join(
            f"----- {name} ({'alive' if proc.alive() else 'exited'}) {proc.log_path}\n"
            f"{proc.tail(lines)}"
            for name, proc in self.processes.items()
        )
