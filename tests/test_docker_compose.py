"""Parser-level checks of the production ``docker-compose.yaml`` (no container engine runs in CI).

What a broken deployment file costs is found out on the customer's server; these tests pin the
topology (issue #9) so that an edit cannot silently drop a health check, leak a secret into the
file or reference a variable nobody defines. The audit-database init script is run for real
against the machine's PostgreSQL.
"""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
INIT_SCRIPT = ROOT / "docker" / "postgres" / "init-audit-db.sh"

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
    "AUDIT_DB_PASSWORD",
    "REDIS_PASSWORD",
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


def test_audit_store_is_its_own_database_on_postgres(services: dict, env_example: dict) -> None:
    postgres = services["postgres"]
    assert any(
        str(v).endswith(":/docker-entrypoint-initdb.d/10-init-audit-db.sh:ro")
        and str(v).startswith("./docker/postgres/init-audit-db.sh")
        for v in postgres["volumes"]
    )
    assert {"AUDIT_DB_NAME", "AUDIT_DB_USER", "AUDIT_DB_PASSWORD"} <= set(environment(postgres))
    audit = split_url(env_example["AIRFLOW_CONN_UKG_VISMA_AUDIT"])
    assert audit.scheme == "postgresql" and audit.hostname == "postgres"
    assert audit.path == "/REF-AUDIT_DB_NAME-REF" and audit.password == "REF-AUDIT_DB_PASSWORD-REF"
    assert env_example["AUDIT_DB_NAME"] != env_example["POSTGRES_DB"]


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


def test_worker_scales_and_only_the_api_server_sees_the_admin_password(services: dict) -> None:
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker
    for name in AIRFLOW_SERVICES:
        has_secrets = "airflow-secrets" in volume_sources(services[name])
        assert has_secrets == (name in {"airflow-init", "airflow-api-server"}), name


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


def test_no_secret_literal_in_the_compose_file(services: dict, env_example: dict) -> None:
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
    for conn in ("AIRFLOW_CONN_UKG_DEFAULT", "AIRFLOW_CONN_VISMA_DEFAULT"):
        password = json.loads(env_example[conn])["password"]
        assert password not in text


def test_env_example_holds_no_secret_and_contract_shaped_connections(env_example: dict) -> None:
    assert set(env_example) >= SECRET_VARS
    for var in SECRET_VARS:
        assert env_example[var] == "", f"{var} must be generated by the user, not committed"
    ukg = json.loads(env_example["AIRFLOW_CONN_UKG_DEFAULT"])
    visma = json.loads(env_example["AIRFLOW_CONN_VISMA_DEFAULT"])
    assert (ukg["conn_type"], visma["conn_type"]) == ("ukg", "visma_net")
    assert {"tenant_alias", "customer_api_key", "auth_mode"} <= set(ukg["extra"])
    assert {"tenant_id", "token_url", "scopes"} <= set(visma["extra"])
    assert urlsplit(ukg["host"]).hostname == urlsplit(visma["host"]).hostname == "sandbox"


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


def test_init_script_creates_an_audit_database_its_role_can_use(pg_admin: sa.Engine) -> None:
    """Run the very script the postgres image runs, then create the audit schema as that role."""
    suffix = uuid.uuid4().hex[:8]
    db, user, password = f"ukgv_audit_{suffix}", f"ukgv_audit_{suffix}", uuid.uuid4().hex
    admin = pg_admin.url
    env = {
        **os.environ,
        "PGHOST": admin.host or "127.0.0.1",
        "PGPORT": str(admin.port or 5432),
        "POSTGRES_USER": admin.username or "postgres",
        "POSTGRES_DB": admin.database or "postgres",
        "AUDIT_DB_NAME": db,
        "AUDIT_DB_USER": user,
        "AUDIT_DB_PASSWORD": password,
    }
    if admin.password:
        env["PGPASSWORD"] = admin.password
    try:
        result = subprocess.run(
            ["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        assert password not in result.stdout + result.stderr
        url = admin.set(username=user, password=password, database=db)
        from ukg_visma.audit.schema import metadata

        engine = sa.create_engine(url)
        try:
            metadata.create_all(engine)
            with engine.connect() as conn:
                assert conn.execute(sa.text("select current_user")).scalar() == user
                tables = set(sa.inspect(conn).get_table_names())
            assert set(metadata.tables) <= tables
        finally:
            engine.dispose()
    finally:
        with pg_admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{user}"'))


def test_init_script_refuses_to_run_without_its_settings() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_DB_")}
    result = subprocess.run(
        ["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and "AUDIT_DB_NAME" in result.stderr


def test_embedded_scripts_parse(services: dict) -> None:
    """The init script and the sandbox probe are code inside YAML: check they are valid code."""
    script = services["airflow-init"]["command"][-1].replace("$$", "$")
    result = subprocess.run(
        ["bash", "-n"], input=script, text=True, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
    python = script.split("<<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    compile(python, "airflow-init", "exec")
    compile(services["sandbox"]["healthcheck"]["test"][-1], "sandbox-healthcheck", "exec")
    result = subprocess.run(["bash", "-n", str(INIT_SCRIPT)], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr
