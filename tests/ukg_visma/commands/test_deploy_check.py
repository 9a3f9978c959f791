"""``ukg-visma deploy-check``, run as airflow-init runs it: a process with only its environment.

Two of the three deployment modes of docs/deployment.md are exercised for real: connections in the
environment (``.env``) and connections in the metadata database (``airflow connections add``, so
Fernet-encrypted). The secrets-backend mode goes through the same Airflow lookup.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
SECRET = "webhook-shared-secret-0123456789"
UKG = {"conn_type": "ukg", "host": "https://service5.ultipro.com", "login": "id", "password": "pw1"}
VISMA = {"conn_type": "visma_net", "host": "https://api.finance.visma.net", "password": "pw2"}
AUDIT = "postgresql://ukg_visma_audit:pw3@postgres:5432/ukg_visma_audit"


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_", "UKG_VISMA_"))
    }
    return keep | {"AIRFLOW_HOME": str(tmp_path / "home")}


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], env=env, capture_output=True, text=True, check=False
    )


def full_env(base: dict[str, str], ukg_host: str = UKG["host"]) -> dict[str, str]:
    return base | {
        "AIRFLOW_CONN_UKG_DEFAULT": json.dumps(UKG | {"host": ukg_host}),
        "AIRFLOW_CONN_VISMA_DEFAULT": json.dumps(VISMA),
        "AIRFLOW_CONN_UKG_VISMA_AUDIT": AUDIT,
        "AIRFLOW_VAR_UKG_WEBHOOK_SECRET": SECRET,
        # What docker-compose passes when .env leaves a value empty: must count as missing.
        "AIRFLOW_CONN_UKG_WEBHOOK": "",
    }


def test_everything_missing_fails_and_names_each_secret(base_env: dict[str, str]) -> None:
    env = base_env | {"AIRFLOW_CONN_UKG_DEFAULT": "", "AIRFLOW_CONN_VISMA_DEFAULT": ""}
    done = run(env, "ukg-visma", "deploy-check")
    assert done.returncode == 1
    for name in ("ukg_default", "visma_default", "ukg_visma_audit", "ukg_webhook_secret"):
        assert f"{name}" in done.stdout and "missing" in done.stdout, name
    assert "OK " not in done.stdout


def test_environment_mode_passes_and_prints_no_secret(base_env: dict[str, str]) -> None:
    done = run(full_env(base_env), "ukg-visma", "deploy-check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("OK ") == 4
    for secret in (SECRET, "pw1", "pw2", "pw3"):
        assert secret not in done.stdout + done.stderr


def test_sandbox_host_fails_outside_the_sandbox_profile(base_env: dict[str, str]) -> None:
    env = full_env(base_env, ukg_host="http://sandbox:8701")
    done = run(env, "ukg-visma", "deploy-check")
    assert done.returncode == 1 and "points at the sandbox" in done.stdout
    done = run(env | {"UKG_VISMA_ALLOW_SANDBOX": "true"}, "ukg-visma", "deploy-check")
    assert done.returncode == 0, done.stdout


def test_metadata_db_mode_connections_added_with_the_cli(
    base_env: dict[str, str], airflow_home, tmp_path: Path
) -> None:
    """Connections and the variable stored (Fernet-encrypted) in the metadata DB also resolve.

    The metadata DB is a copy of the session's migrated one (``airflow_home``); the three
    connections go in with one ``airflow connections import`` (the CLI, Fernet-encrypted)."""
    from cryptography.fernet import Fernet

    airflow_home(Path(base_env["AIRFLOW_HOME"]))
    env = base_env | {"AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode()}
    connections = tmp_path / "connections.json"
    connections.write_text(
        json.dumps({"ukg_default": UKG, "visma_default": VISMA, "ukg_visma_audit": AUDIT})
    )
    added = run(env, "airflow", "connections", "import", str(connections))
    assert added.returncode == 0, added.stdout[-2000:] + added.stderr[-2000:]
    assert run(env, "ukg-visma", "deploy-check").returncode == 1  # no webhook secret yet
    added = run(env, "airflow", "variables", "set", "ukg_webhook_secret", SECRET)
    assert added.returncode == 0, added.stderr[-2000:]
    done = run(env, "ukg-visma", "deploy-check")
    assert done.returncode == 0, done.stdout + done.stderr
