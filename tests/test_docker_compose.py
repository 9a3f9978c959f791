"""Parser-level checks of the production ``docker-compose.yaml`` (no container engine runs in CI).

What a broken deployment file costs is found out on the customer's server; these tests pin the
topology (issue #9) so that an edit cannot silently drop a health check, leak a secret into the
file or reference a variable nobody defines — and, for each defect class of issue #17, the
deployment comes up, stays up and keeps secrets: the webhook secret is wired, the database init
script is idempotent and applies password changes, the writable mounts are handed to the
container user, the auth manager is a production one, and no Airflow component is a database
superuser. The database init script is run for real against the machine's PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import pytest
import sqlalchemy as sa
import yaml
from compose_env import (
    MissingVariableError,
    airflow_common_environment,
    read_env_file,
    service_environment,
)

from ukg_visma.webhooks.airflow_app import WEBHOOK_CONN_ID, WEBHOOK_VARIABLE

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
SANDBOX_ENV = ROOT / "sandbox.env"
DOCKERFILE = ROOT / "Dockerfile"
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"

AIRFLOW_VERSION = "3.3.2"
BASE_IMAGE = f"apache/airflow:{AIRFLOW_VERSION}-python3.11"
AIRFLOW_SERVICES = {
    "airflow-init": None,
    "airflow-api-server": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
LONG_RUNNING_AIRFLOW = [name for name, command in AIRFLOW_SERVICES.items() if command]
SECRET_VARS = {
    "AIRFLOW_ADMIN_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "POSTGRES_PASSWORD",
    "AIRFLOW_DB_PASSWORD",
    "AUDIT_DB_PASSWORD",
    "REDIS_PASSWORD",
    "UKG_WEBHOOK_SECRET",
    "AIRFLOW_CONN_UKG_DEFAULT",
    "AIRFLOW_CONN_VISMA_DEFAULT",
}
SECRET_KEY_PATTERN = re.compile(r"PASSWORD|SECRET|FERNET|_AUTH$|^AIRFLOW_CONN_")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    """``.env.example`` parsed the way compose reads it (quotes stripped, no interpolation)."""
    values = {}
    for raw in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f".env.example line is not KEY=VALUE: {raw!r}"
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def variable_references(text: str) -> set[str]:
    """Names compose interpolates: ``${NAME...}`` and ``$NAME``; ``$$`` is a literal dollar."""
    names, i = set(), 0
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text[i] == "$":
            match = re.match(r"\$(?:\{([A-Za-z_]\w*)|([A-Za-z_]\w*))", text[i:])
            if match:
                names.add(match.group(1) or match.group(2))
        i += 1
    return names


def only_references(value: str) -> bool:
    """True when a value is made of ``${...}`` references alone (no literal text)."""
    return bool(value) and re.fullmatch(r"(\$\{[^}]*\})+", value) is not None


def split_url(value: str) -> SplitResult:
    """``urlsplit`` after replacing each ``${...}`` by a marker (``:-``, ``:?`` confuse it)."""
    return urlsplit(re.sub(r"\$\{(\w+)[^}]*\}", r"REF-\1-REF", value))


def is_marker(part: str | None) -> bool:
    return part is not None and re.fullmatch(r"(REF-\w+-REF)+", part) is not None


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment must be a mapping (so that anchors merge)"
    return {key: str(value) for key, value in env.items()}


def volume_sources(service: dict) -> set[str]:
    return {str(volume).split(":", 1)[0] for volume in service.get("volumes", [])}


def test_every_required_service_is_present(services: dict) -> None:
    assert set(AIRFLOW_SERVICES) | {"postgres", "redis", "sandbox"} <= set(services)
    for name, command in AIRFLOW_SERVICES.items():
        if command:
            assert services[name]["command"] == command, name


def test_airflow_image_is_the_official_3_3_2_image_extended_by_the_dockerfile(
    compose: dict, services: dict
) -> None:
    from_lines = re.findall(r"^FROM\s+(\S+)", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    assert from_lines == [BASE_IMAGE]
    assert f"apache-airflow=={AIRFLOW_VERSION}" in (ROOT / "requirements.txt").read_text()
    for name in [*AIRFLOW_SERVICES, "sandbox"]:
        service = services[name]
        assert service["build"]["dockerfile"] == "Dockerfile", name
        assert service["image"].endswith(f":{AIRFLOW_VERSION}"), name
    referenced = re.findall(r"apache/airflow:(\S+)", COMPOSE.read_text(encoding="utf-8"))
    assert all(tag.startswith(f"{AIRFLOW_VERSION}-") for tag in referenced), referenced
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:")


def test_dockerfile_installs_the_lock_and_the_package() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"pip install [^\n]*-r \S*requirements\.lock", text)
    assert re.search(r"pip install [^\n]*-e /opt/ukg-visma", text)
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    for pin in ("apache-airflow-providers-celery==", "psycopg2-binary==", "redis==", "celery=="):
        assert pin in lock, f"the image would lack {pin} (CeleryExecutor on Redis + PostgreSQL)"


@pytest.mark.parametrize("name", list(AIRFLOW_SERVICES))
def test_airflow_service_runs_celery_on_redis_with_postgres(services: dict, name: str) -> None:
    env = environment(services[name])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    broker = split_url(env["AIRFLOW__CELERY__BROKER_URL"])
    assert (broker.scheme, broker.hostname) == ("redis", "redis")
    metadata = split_url(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert metadata.scheme.startswith("postgresql") and metadata.hostname == "postgres"
    backend = split_url(env["AIRFLOW__CELERY__RESULT_BACKEND"])
    assert backend.scheme.startswith("db+postgresql") and backend.hostname == "postgres"
    assert metadata.path == backend.path and is_marker(metadata.password)
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-api-server:")
    for conn in ("AIRFLOW_CONN_UKG_DEFAULT", "AIRFLOW_CONN_VISMA_DEFAULT"):
        assert only_references(env[conn]), conn
    assert only_references(env["AIRFLOW_CONN_UKG_VISMA_AUDIT"])


def db_init_service(services: dict) -> tuple[str, str]:
    """The service that runs the database init script, and the script's path in this checkout."""
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if source.startswith("./docker/postgres/") and source.endswith(".sh"):
                return name, source
    raise AssertionError("no service mounts a ./docker/postgres/*.sh init script")


def test_audit_store_is_its_own_database_on_postgres(services: dict, env_example: dict) -> None:
    name, _ = db_init_service(services)
    assert {"AUDIT_DB_NAME", "AUDIT_DB_USER", "AUDIT_DB_PASSWORD"} <= set(
        environment(services[name])
    )
    audit = split_url(env_example["AIRFLOW_CONN_UKG_VISMA_AUDIT"])
    assert audit.scheme == "postgresql" and audit.hostname == "postgres"
    assert audit.path == "/REF-AUDIT_DB_NAME-REF" and audit.password == "REF-AUDIT_DB_PASSWORD-REF"
    assert env_example["AUDIT_DB_NAME"] != env_example["AIRFLOW_DB_NAME"]


@pytest.mark.parametrize("name", [*LONG_RUNNING_AIRFLOW, "postgres", "redis", "sandbox"])
def test_every_long_running_service_has_a_healthcheck(services: dict, name: str) -> None:
    check = services[name]["healthcheck"]
    assert check["test"][0] in {"CMD", "CMD-SHELL"} and len(check["test"]) >= 2
    assert not check.get("disable")
    assert {"interval", "timeout", "retries"} <= set(check)


def test_init_is_one_shot_and_everything_waits_for_healthy_dependencies(services: dict) -> None:
    init = services["airflow-init"]
    assert init["restart"] == "no" and "airflow db migrate" in init["command"][-1]
    assert "AIRFLOW_ADMIN_PASSWORD" in environment(init)
    for name in LONG_RUNNING_AIRFLOW:
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
    assert services["airflow-worker"]["depends_on"]["airflow-api-server"] == {
        "condition": "service_healthy"
    }
    allowed = {"service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        for dep, spec in service.get("depends_on", {}).items():
            assert dep in services and spec["condition"] in allowed, (name, dep)
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], (name, dep)


@pytest.mark.parametrize("name", list(AIRFLOW_SERVICES))
def test_airflow_service_mounts_dags_plugins_include(services: dict, name: str) -> None:
    service = services[name]
    assert {"./dags", "./plugins", "./include"} <= volume_sources(service)
    env = environment(service)
    mounts = {str(v).split(":")[0]: str(v).split(":")[1] for v in service["volumes"]}
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == mounts["./dags"]
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == mounts["./plugins"]
    assert env["UKG_VISMA_MAPPINGS_DIR"] == mounts["./include"] + "/mappings"
    assert "ukg-visma-data" in volume_sources(service), "staging must be shared by all workers"


def test_worker_scales_without_a_fixed_name_or_port(services: dict) -> None:
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker


def test_every_variable_used_is_defined_in_env_example(env_example: dict) -> None:
    used = variable_references(COMPOSE.read_text(encoding="utf-8"))
    assert used, "the compose file takes its settings from .env"
    assert used - set(env_example) == set()
    inner = set().union(*(variable_references(v) for v in env_example.values()))
    assert inner <= set(env_example)


def test_env_comes_from_dot_env_and_dot_env_is_never_committed(services: dict) -> None:
    for name, service in services.items():
        for env_file in service.get("env_file", []):
            assert env_file in (".env", {"path": ".env"}), name
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_no_secret_literal_in_the_compose_file(services: dict) -> None:
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_KEY_PATTERN.search(key) and not key.endswith("_FILE"):
                assert only_references(value), f"{name}: {key} must come from .env"
            if "://" in value:
                password = split_url(value).password
                assert password is None or is_marker(password), f"{name}: {key}"
    text = COMPOSE.read_text(encoding="utf-8")
    requirepass = services["redis"]["command"]
    assert only_references(requirepass[requirepass.index("--requirepass") + 1])
    sandbox = read_env_file(SANDBOX_ENV)
    for conn in ("AIRFLOW_CONN_UKG_DEFAULT", "AIRFLOW_CONN_VISMA_DEFAULT"):
        assert json.loads(sandbox[conn])["password"] not in text


def test_env_example_holds_no_secret_and_nothing_that_reaches_the_sandbox(
    env_example: dict,
) -> None:
    """Sandbox hosts/credentials in .env.example would make a forgotten real value go unnoticed."""
    assert set(env_example) >= SECRET_VARS
    for var in SECRET_VARS:
        assert env_example[var] == "", f"{var} must be generated by the user, not committed"
    for key, value in env_example.items():
        assert "sandbox" not in value.lower(), f"{key} reaches the sandbox from .env.example"
    assert env_example["UKG_VISMA_ALLOW_SANDBOX"] == "false"
    assert "COMPOSE_PROFILES" not in env_example


def test_sandbox_values_live_only_in_the_sandbox_profile_file() -> None:
    sandbox = read_env_file(SANDBOX_ENV)
    assert sandbox["COMPOSE_PROFILES"] == "sandbox" and sandbox["UKG_VISMA_ALLOW_SANDBOX"] == "true"
    ukg = json.loads(sandbox["AIRFLOW_CONN_UKG_DEFAULT"])
    visma = json.loads(sandbox["AIRFLOW_CONN_VISMA_DEFAULT"])
    assert (ukg["conn_type"], visma["conn_type"]) == ("ukg", "visma_net")
    assert {"tenant_alias", "customer_api_key", "auth_mode"} <= set(ukg["extra"])
    assert {"tenant_id", "auth_url", "scopes"} <= set(visma["extra"])
    assert urlsplit(ukg["host"]).hostname == urlsplit(visma["host"]).hostname == "sandbox"
    assert sandbox["UKG_WEBHOOK_SECRET"]
    assert not set(sandbox) & (SECRET_VARS - {"AIRFLOW_CONN_UKG_DEFAULT", "UKG_WEBHOOK_SECRET",
                                              "AIRFLOW_CONN_VISMA_DEFAULT"})  # fmt: skip


def test_sandbox_is_an_optional_profile_running_python_m_sandbox(services: dict) -> None:
    sandbox = services["sandbox"]
    assert sandbox["profiles"] == ["sandbox"]
    assert sandbox["entrypoint"] == ["python", "-m", "sandbox"]
    for name, service in services.items():
        assert "profiles" in service or "sandbox" not in service.get("depends_on", {}), name
    args = sandbox["command"]
    all_interfaces = "0.0.0.0"  # noqa: S104 - inside its container, so other containers reach it
    assert args[args.index("--host") + 1] == all_interfaces


def test_sandbox_cli_accepts_every_flag_the_compose_file_passes(services: dict) -> None:
    """The compose command must match the real ``python -m sandbox`` CLI (contracts.md §3)."""
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    flags = [arg for arg in services["sandbox"]["command"] if arg.startswith("--")]
    assert flags and all(flag in result.stdout for flag in flags), (flags, result.stdout)


# ---- issue #17: secrets ----------------------------------------------------------------------


def test_webhook_secret_is_wired_to_the_receiver_and_documented(services: dict) -> None:
    """The receiver reads connection ``ukg_webhook`` / variable ``ukg_webhook_secret``: the
    api-server that serves it must get one of them, from a value .env.example asks for."""
    names = {f"AIRFLOW_CONN_{WEBHOOK_CONN_ID.upper()}", f"AIRFLOW_VAR_{WEBHOOK_VARIABLE.upper()}"}
    wired = {}
    for name in AIRFLOW_SERVICES:
        env = environment(services[name])
        wired[name] = {key: env[key] for key in names & set(env)}
    assert wired["airflow-api-server"], "the webhook receiver (api-server) gets no secret"
    assert wired["airflow-init"], "airflow-init cannot check the webhook secret"
    assert not wired["airflow-worker"], "only the receiver and the check need the webhook secret"
    env_example = read_env_file(ENV_EXAMPLE)
    for value in wired["airflow-api-server"].values():
        assert only_references(value) and variable_references(value) <= set(env_example)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert WEBHOOK_VARIABLE in readme and WEBHOOK_CONN_ID in readme
    assert "ukg-visma deploy-check" in services["airflow-init"]["command"][-1]


@pytest.fixture(scope="module")
def required_values(env_example: dict) -> dict[str, str]:
    """A filled-in .env: every empty value of .env.example given a placeholder."""
    values = {key: value or f"value-of-{key.lower()}" for key, value in env_example.items()}
    return read_env_file(ENV_EXAMPLE, values) | {
        key: value for key, value in values.items() if key not in env_example or value
    }


def test_a_secrets_backend_needs_no_connection_in_dot_env(required_values: dict) -> None:
    """With a backend configured, .env may leave every connection and the webhook secret empty:
    the compose file still interpolates (no ``:?`` on them) and passes the backend along."""
    values = {
        **required_values,
        "AIRFLOW_SECRETS_BACKEND": "airflow.providers.hashicorp.secrets.vault.VaultBackend",
        "AIRFLOW_SECRETS_BACKEND_KWARGS": '{"connections_path": "connections"}',
    }
    for key in ("AIRFLOW_CONN_UKG_DEFAULT", "AIRFLOW_CONN_VISMA_DEFAULT", "UKG_WEBHOOK_SECRET",
                "AIRFLOW_CONN_UKG_VISMA_AUDIT"):  # fmt: skip
        values[key] = ""
    for name in AIRFLOW_SERVICES:
        env = service_environment(name, values)
        assert env["AIRFLOW__SECRETS__BACKEND"] == values["AIRFLOW_SECRETS_BACKEND"], name
        assert env["AIRFLOW__SECRETS__BACKEND_KWARGS"] == values["AIRFLOW_SECRETS_BACKEND_KWARGS"]
        assert env["AIRFLOW_CONN_UKG_DEFAULT"] == "", name
    # ... while an infrastructure secret is still required by the file itself.
    with pytest.raises(MissingVariableError, match="AIRFLOW_FERNET_KEY"):
        airflow_common_environment({**values, "AIRFLOW_FERNET_KEY": ""})


def test_api_base_url_is_required_and_the_port_is_published_on_loopback_only(
    services: dict, required_values: dict
) -> None:
    env = airflow_common_environment(required_values)
    assert env["AIRFLOW__API__BASE_URL"] == required_values["AIRFLOW_BASE_URL"]
    with pytest.raises(MissingVariableError, match="AIRFLOW_BASE_URL"):
        airflow_common_environment({**required_values, "AIRFLOW_BASE_URL": ""})
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


# ---- issue #17: auth manager -------------------------------------------------------------------


@pytest.mark.parametrize("name", list(AIRFLOW_SERVICES))
def test_a_production_auth_manager_with_a_first_admin_from_init(services: dict, name: str) -> None:
    env = environment(services[name])
    assert env.get("AIRFLOW__CORE__AUTH_MANAGER") == FAB_AUTH_MANAGER, name
    assert not [key for key in env if "SIMPLE_AUTH_MANAGER" in key], name
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert re.search(r"^apache-airflow-providers-fab==", lock, re.M), "the image lacks FAB"
    init = services["airflow-init"]["command"][-1]
    assert "airflow users create --role Admin" in init
    assert "AIRFLOW_ADMIN_PASSWORD" in init


# ---- issue #17: writable mounts ----------------------------------------------------------------


def writable_targets(service: dict) -> set[str]:
    """Container paths of read-write bind mounts and volumes (``:ro`` excluded)."""
    targets = set()
    for volume in service.get("volumes", []):
        parts = str(volume).split(":")
        if len(parts) >= 2 and "ro" not in parts[2:]:
            targets.add(parts[1])
    return targets


def chowned_paths(script: str) -> set[str]:
    """Paths a shell script hands over with ``chown -R "${AIRFLOW_UID}:0"`` (variables expanded)."""
    assignments = dict(re.findall(r'^\s*(\w+)="([^"]*)"', script, re.M))
    paths = set()
    for line in script.splitlines():
        match = re.search(r'chown -R "\$\{AIRFLOW_UID[^}]*\}:0"\s+(.*)', line)
        if match:
            for word in match.group(1).split():
                name = re.fullmatch(r"\$\$\{?(\w+)\}?|\"?\$\$\{?(\w+)\}?\"?", word)
                key = name and (name.group(1) or name.group(2))
                paths.update(assignments.get(key, "").split() if key else [word.strip('"')])
    return paths


def test_every_writable_mount_is_handed_to_the_container_user(services: dict) -> None:
    """On a host where the checkout belongs to the deploying user, ./include (and fresh volumes)
    must still be writable for AIRFLOW_UID: airflow-init runs as root and chowns each of them."""
    init = services["airflow-init"]
    assert str(init.get("user")) == "0:0", "only root can hand the mounts over"
    handed = chowned_paths(init["command"][-1])
    for name in LONG_RUNNING_AIRFLOW:
        missing = writable_targets(services[name]) - handed
        assert not missing, f"{name}: {sorted(missing)} stay owned by whoever created them"
        user = str(services[name]["user"])
        assert user.startswith("${AIRFLOW_UID") and user.endswith("}:0"), name
    init_script = init["command"][-1]
    assert init_script.index("hand_over\n") < init_script.index("airflow db migrate")


# ---- issue #17: database roles -----------------------------------------------------------------


@pytest.mark.parametrize("name", list(AIRFLOW_SERVICES))
def test_no_airflow_component_connects_as_the_database_superuser(
    services: dict, required_values: dict, name: str
) -> None:
    superuser = required_values["POSTGRES_USER"]
    env = service_environment(name, required_values)
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND",
                "AIRFLOW_CONN_UKG_VISMA_AUDIT"):  # fmt: skip
        user = urlsplit(env[key].removeprefix("db+")).username
        assert user and user != superuser, f"{name}: {key} connects as {user}"
    assert "POSTGRES_PASSWORD" not in variable_references(json.dumps(services[name]))
    meta = urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).username
    assert meta != urlsplit(env["AIRFLOW_CONN_UKG_VISMA_AUDIT"]).username


def test_postgres_init_runs_on_every_up_before_airflow_init(services: dict) -> None:
    """A script in /docker-entrypoint-initdb.d runs only on an empty volume: an interrupted first
    run or a changed password would never be applied. A one-shot service runs it on every up."""
    name, _ = db_init_service(services)
    service = services[name]
    assert name != "postgres" and service.get("restart") == "no"
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["airflow-init"]["depends_on"][name] == {
        "condition": "service_completed_successfully"
    }
    assert "initdb" not in json.dumps(services["postgres"])


def _pg_admin_url() -> str:
    return os.environ.get(
        "UKG_VISMA_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
    )


@pytest.fixture
def pg_admin() -> sa.Engine:
    engine = sa.create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but PostgreSQL is not reachable")
        pytest.skip("no PostgreSQL reachable (set UKG_VISMA_TEST_PG)")
    yield engine
    engine.dispose()


class InitRun:
    """The init script as its compose service runs it, against the machine's PostgreSQL."""

    def __init__(self, admin: sa.Engine, script: Path) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.admin, self.script = admin, script
        self.meta_db = self.meta_user = f"ukgv_meta_{suffix}"
        self.audit_db = self.audit_user = f"ukgv_audit_{suffix}"
        url = admin.url
        self.env = {
            **os.environ,
            "PGHOST": url.host or "127.0.0.1",
            "PGPORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "postgres",
            "POSTGRES_DB": url.database or "postgres",
            "AIRFLOW_DB_NAME": self.meta_db,
            "AIRFLOW_DB_USER": self.meta_user,
            "AUDIT_DB_NAME": self.audit_db,
            "AUDIT_DB_USER": self.audit_user,
        }
        if url.password:
            self.env["PGPASSWORD"] = url.password

    def run(self, meta_password: str, audit_password: str) -> subprocess.CompletedProcess[str]:
        env = self.env | {"AIRFLOW_DB_PASSWORD": meta_password, "AUDIT_DB_PASSWORD": audit_password}
        return subprocess.run(
            ["bash", str(self.script)], env=env, capture_output=True, text=True, check=False
        )

    def sql(self, statement: str, **params: str) -> list[tuple]:
        with self.admin.connect() as conn:
            result = conn.execute(sa.text(statement), params)
            return [tuple(r) for r in result] if result.returns_rows else []

    def drop(self) -> None:
        with self.admin.connect() as conn:
            for db in (self.meta_db, self.audit_db):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            for user in (self.meta_user, self.audit_user):
                conn.execute(sa.text(f'DROP ROLE IF EXISTS "{user}"'))

    def password_matches(self, user: str, password: str) -> bool:
        """Check the stored SCRAM-SHA-256 verifier (trust auth here would accept any password)."""
        rows = self.sql("select rolpassword from pg_authid where rolname = :u", u=user)
        assert rows, f"role {user} does not exist"
        (stored,) = rows[0]
        match = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)", stored or "")
        assert match, f"{user} has no SCRAM password"
        iterations, salt, stored_key = int(match[1]), base64.b64decode(match[2]), match[3]
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key

    def assert_least_privilege(self) -> None:
        for db, user in ((self.meta_db, self.meta_user), (self.audit_db, self.audit_user)):
            flags = self.sql(
                "select rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls,"
                " rolcanlogin from pg_roles where rolname = :u",
                u=user,
            )
            assert flags == [(False, False, False, False, False, True)], (user, flags)
            owned = self.sql(
                "select d.datname from pg_database d join pg_roles r on r.oid = d.datdba"
                " where r.rolname = :u",
                u=user,
            )
            assert owned == [(db,)], f"{user} must own exactly its own database, owns {owned}"
        other = self.admin.url.set(username=self.audit_user, password=None, database=self.meta_db)
        engine = sa.create_engine(other)
        try:
            with pytest.raises(sa.exc.OperationalError, match="permission denied"):
                engine.connect().close()
        finally:
            engine.dispose()


@pytest.fixture
def init_run(pg_admin: sa.Engine, services: dict) -> InitRun:
    _, source = db_init_service(services)
    run = InitRun(pg_admin, ROOT / source)
    yield run
    run.drop()


def test_init_script_creates_databases_their_roles_can_use(init_run: InitRun) -> None:
    """Run the very script compose runs, then create the audit schema as the audit role."""
    done = init_run.run("meta-pw-1", "audit-pw-1")
    assert done.returncode == 0, done.stderr
    assert "audit-pw-1" not in done.stdout + done.stderr
    from ukg_visma.audit.store import create_schema

    url = init_run.admin.url.set(username=init_run.audit_user, database=init_run.audit_db)
    engine = sa.create_engine(url)
    try:
        create_schema(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("select current_user")).scalar() == init_run.audit_user
            tables = set(sa.inspect(conn).get_table_names())
        from ukg_visma.audit.schema import metadata

        assert set(metadata.tables) <= tables
    finally:
        engine.dispose()


def test_init_script_is_idempotent_and_applies_a_changed_password(init_run: InitRun) -> None:
    for meta_pw, audit_pw in (("meta-pw-1", "audit-pw-1"), ("meta-pw-1", "audit-pw-1"),
                              ("meta-pw-2", "audit-pw-2")):  # fmt: skip
        done = init_run.run(meta_pw, audit_pw)
        assert done.returncode == 0, f"run with {meta_pw}: {done.stderr}"
        assert init_run.password_matches(init_run.meta_user, meta_pw)
        assert init_run.password_matches(init_run.audit_user, audit_pw)
    init_run.assert_least_privilege()


def test_init_script_completes_a_half_done_first_run(init_run: InitRun) -> None:
    """Interrupted after the first role (no database yet), and a metadata database a superuser
    created and owns (a volume from an earlier deployment): the next run completes both."""
    init_run.sql(f"CREATE ROLE \"{init_run.audit_user}\" LOGIN PASSWORD 'stale' CREATEDB")
    with init_run.admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{init_run.meta_db}"'))
    done = init_run.run("meta-pw", "audit-pw")
    assert done.returncode == 0, done.stderr
    assert init_run.password_matches(init_run.audit_user, "audit-pw")
    init_run.assert_least_privilege()


def test_init_script_least_privilege_roles(init_run: InitRun) -> None:
    done = init_run.run("meta-pw", "audit-pw")
    assert done.returncode == 0, done.stderr
    init_run.assert_least_privilege()


def test_init_script_refuses_to_run_without_its_settings(services: dict) -> None:
    _, source = db_init_service(services)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUDIT_DB_", "AIRFLOW_DB_"))}
    result = subprocess.run(
        ["bash", str(ROOT / source)], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and "must be set" in result.stderr


def test_init_script_refuses_the_superuser_as_an_application_role(init_run: InitRun) -> None:
    env = init_run.env | {"AIRFLOW_DB_USER": init_run.env["POSTGRES_USER"]}
    env |= {"AIRFLOW_DB_PASSWORD": "x", "AUDIT_DB_PASSWORD": "y"}
    result = subprocess.run(
        ["bash", str(init_run.script)], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and "distinct" in result.stderr


def test_embedded_scripts_parse(services: dict) -> None:
    """The init script and the sandbox probe are code inside YAML: check they are valid code."""
    script = services["airflow-init"]["command"][-1].replace("$$", "$")
    result = subprocess.run(
        ["bash", "-n"], input=script, text=True, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
    compile(services["sandbox"]["healthcheck"]["test"][-1], "sandbox-healthcheck", "exec")
    _, source = db_init_service(services)
    result = subprocess.run(["bash", "-n", str(ROOT / source)], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr


def test_dockerfile_checks_the_installed_set() -> None:
    """The lock goes over the full image's own packages: ``pip check`` must fail the build."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    for install in re.findall(r"^RUN pip install[^\n]*", text, re.M):
        assert install.rstrip().endswith("&& pip check"), install


# ---- issue #17: the native Celery tier is the compose file's executable twin --------------------


def test_the_native_tier_runs_with_the_compose_files_airflow_settings(compose: dict) -> None:
    """``make test-distributed`` starts Airflow with the compose file's settings (one source):
    every x-airflow-common key reaches its processes, unchanged but for the service endpoints."""
    sys.path.insert(0, str(ROOT / "tests" / "distributed"))
    from airflow_cluster import AirflowCluster

    conns = read_env_file(SANDBOX_ENV)
    conns = {k: v for k, v in conns.items() if k.startswith("AIRFLOW_CONN_")}
    cluster = AirflowCluster(conns)
    try:
        values = cluster.compose_values
        compose_env = airflow_common_environment(values, compose)
        for key, value in compose_env.items():
            native = cluster.env[key]
            if key in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET",
                       "AIRFLOW__API__SECRET_KEY"):  # fmt: skip
                assert native, key  # generated per cluster: compare presence only
            elif value.startswith("/opt/ukg-visma"):
                assert native == str(ROOT) + value.removeprefix("/opt/ukg-visma"), key
            elif "://" in value and "@" in value:
                here, there = urlsplit(native), urlsplit(value)
                assert here.scheme == there.scheme, key
                if not there.scheme.startswith("redis"):  # the DB number is this cluster's own
                    assert (here.username, here.path) == (there.username, there.path), key
            elif "airflow-api-server" in value:
                assert native == value.replace(
                    "http://airflow-api-server:8080", cluster.api.base_url
                )
            else:
                assert native == value, key
        assert cluster.env["AIRFLOW__CORE__AUTH_MANAGER"] == FAB_AUTH_MANAGER
        for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW_CONN_UKG_VISMA_AUDIT"):
            assert urlsplit(cluster.env[key]).username not in (None, "postgres", "root"), key
        assert cluster.api_server_env == {
            f"AIRFLOW_VAR_{WEBHOOK_VARIABLE.upper()}": values["UKG_WEBHOOK_SECRET"]
        }
    finally:
        cluster.api.close()
        cluster._admin.dispose()
        import shutil

        shutil.rmtree(cluster.home, ignore_errors=True)
