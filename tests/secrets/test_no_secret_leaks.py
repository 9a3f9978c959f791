"""No secret leaves the connections: every DAG runs with known marker secrets and nothing the
project writes holds one — task log files, XCom, rendered templates, the metadata DB, reports,
staging files, the audit DB, CLI output (issue #14).

Tasks run the way a worker runs them, so that the task log files are the real ones: a real
``airflow api-server`` (the Execution API, and the webhook receiver plugin UKG posts to) and
``dag.test(use_executor=True)`` with the LocalExecutor, whose supervisor writes each try's log
file under a ``base_log_folder`` of this test's own. The markers: both OAuth client secrets, UKG's
web-service password and customer API key, the webhook secret, and every bearer token the
sandboxes issued during the test (read from their token stores afterwards).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pendulum
import pytest
from dag_loader import load_dag

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ukg_visma" / "tasks"))

from api_server import api_server, free_port
from employee_sync_helpers import change_ukg, new_hire

pytestmark = [pytest.mark.e2e, pytest.mark.journey]
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WEBHOOK_SECRET = "whsec-MARKER-5d1c7e9a40b3f2e8"
DAGS = ("ukg_visma_payroll_gl", "ukg_visma_employee_sync", "ukg_visma_cost_center_alignment")


@pytest.fixture
def cluster(sandbox, airflow_db, monkeypatch, tmp_path):
    """Environment with the markers + an api-server; yields (base url, log folder)."""
    sandbox.reset(scenario="manufacturer", seed=42, employees=120, gl_runs=True)
    logs, port = tmp_path / "task-logs", free_port()
    env = {
        **sandbox.connections_env(),
        "AIRFLOW_VAR_UKG_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "UKG_VISMA_AUDIT_URL": f"sqlite:///{tmp_path}/audit.db",
        # a private copy: the alignment run writes cost_centers.generated.csv into it
        "UKG_VISMA_MAPPINGS_DIR": str(
            shutil.copytree(ROOT / "include" / "mappings", tmp_path / "mappings")
        ),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(logs),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": "jwt-secret-for-this-test-only-" + "0123456789abcdef" * 3,
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        with api_server(os.environ.copy(), tmp_path / "api-server.out", port=port) as base:
            yield base, logs
    finally:
        sandbox.ukg_admin("DELETE", "webhooks")


def _dag(dag_id: str):
    return load_dag(dag_id)


def _run(dag_id: str, at: pendulum.DateTime, **conf):
    dagrun = _dag(dag_id).test(
        run_after=at, logical_date=at, run_conf=conf or None, use_executor=True
    )
    states = {ti.task_id: str(ti.state) for ti in dagrun.get_task_instances()}
    assert str(dagrun.state) == "success", states
    return dagrun


def _tokens(data_dir: Path) -> set[str]:
    """Every bearer token the sandboxes issued (their persisted token stores)."""
    found: set[str] = set()
    for path in data_dir.rglob("*.sqlite3"):
        with sqlite3.connect(path) as db:
            found |= {k for (k,) in db.execute("SELECT key FROM kv WHERE ns = '_tokens'")}
    return found


def _scan(label: str, data: bytes | str, markers: dict[str, str], leaks: list[str]) -> None:
    blob = data.encode("utf-8", "replace") if isinstance(data, str) else data
    for name, secret in markers.items():
        if secret.encode() in blob:
            leaks.append(f"{name} in {label}")


def test_no_secret_in_logs_xcom_templates_reports_staging_audit_or_cli(cluster, sandbox, capfd):
    base, logs = cluster
    # UKG's webhooks go to the receiver plugin the api-server serves, signed with the marker
    hook = {"url": f"{base}/ukg-visma/webhooks/ukg", "secret": WEBHOOK_SECRET}
    sandbox.ukg_admin("POST", "webhooks", {**hook, "duplicate_rate": 0.2})
    at = pendulum.now("UTC").replace(microsecond=0)
    _run("ukg_visma_cost_center_alignment", at, dry_run=False)
    _run(
        "ukg_visma_payroll_gl",
        at.add(minutes=1),
        period="2026-10",
        run_id="NMF-202610-R1,NMF-202610-C1",
    )
    _run("ukg_visma_employee_sync", at.add(minutes=2))
    sent = change_ukg(sandbox, [new_hire("990001", "110"), new_hire("990002", "230")])
    delivered = sandbox.ukg_admin("GET", "webhook-deliveries")["deliveries"]
    assert sent["events"] and any(d["outcome"] == "delivered" for d in delivered), delivered
    _run("ukg_visma_employee_sync", at.add(minutes=3))

    env = os.environ.copy()
    cli = []
    for args in (["ping"], ["ping", "--conn", "ukg_default", "--conn", "visma_default"],
                 ["audit", "ledger", "--period", "2026-10"],
                 ["audit", "trace", "--period", "2026-10", "--limit", "0"],
                 ["deploy-check"], ["settings"]):  # fmt: skip
        done = subprocess.run([str(BIN / "ukg-visma"), *args], env=env, capture_output=True,
                              text=True, timeout=300)  # fmt: skip
        cli.append((" ".join(args), done.stdout + done.stderr))
    assert "visma_default" in cli[1][1] and "nordicmfg:NMF:NMF-202610-R1" in cli[2][1], cli[:3]

    creds = sandbox.credentials
    markers = {
        "UKG client secret": creds["ukg"]["client_secret"],
        "Visma client secret": creds["visma"]["client_secret"],
        "UKG customer API key": creds["ukg"]["customer_api_key"],
        "webhook secret": WEBHOOK_SECRET,
    }
    if creds["ukg"].get("basic_password"):
        markers["UKG web-service password"] = creds["ukg"]["basic_password"]
    tokens = _tokens(sandbox.data_dir)
    assert tokens, "the sandboxes issued no token?"
    markers |= {f"bearer token {t[:6]}…": t for t in tokens}

    leaks: list[str] = []
    log_files = [p for p in logs.rglob("*") if p.is_file()]
    assert {p.parts[len(logs.parts)].removeprefix("dag_id=") for p in log_files} >= set(DAGS)
    assert any("post_journal" in str(p) for p in log_files)
    for path in log_files:
        _scan(f"task log {path.relative_to(logs)}", path.read_bytes(), markers, leaks)

    from airflow import settings
    from sqlalchemy import text

    with settings.engine.connect() as conn:
        xcoms = conn.execute(text("SELECT dag_id, task_id, value FROM xcom")).fetchall()
        rendered = conn.execute(
            text("SELECT dag_id, task_id, rendered_fields FROM rendered_task_instance_fields")
        ).fetchall()
        runs = conn.execute(text("SELECT dag_id, conf FROM dag_run")).fetchall()
    assert {x[0] for x in xcoms} >= set(DAGS) and rendered
    for dag_id, task_id, value in xcoms:
        _scan(f"XCom {dag_id}.{task_id}", str(value), markers, leaks)
    for dag_id, task_id, fields in rendered:
        _scan(f"rendered template {dag_id}.{task_id}", str(fields), markers, leaks)
    for dag_id, conf in runs:
        _scan(f"DAG run conf {dag_id}", str(conf), markers, leaks)
    home = Path(os.environ["AIRFLOW_HOME"])
    for path in home.glob("airflow.db*"):
        _scan(f"metadata DB file {path.name}", path.read_bytes(), markers, leaks)

    produced = [p for p in (home / "ukg_visma").rglob("*") if p.is_file()]
    assert any(p.suffix == ".md" for p in produced)
    assert any("staging" in p.parts for p in produced)
    for path in produced:
        _scan(f"file {path.relative_to(home)}", path.read_bytes(), markers, leaks)

    audit = Path(os.environ["UKG_VISMA_AUDIT_URL"].removeprefix("sqlite:///"))
    for path in audit.parent.glob(audit.name + "*"):
        _scan(f"audit DB file {path.name}", path.read_bytes(), markers, leaks)
    with sqlite3.connect(audit) as db:
        _scan("audit DB dump", "\n".join(db.iterdump()), markers, leaks)
        rows = db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]
    assert rows >= 1  # the webhooks did go through the api-server's receiver

    for command, output in cli:
        _scan(f"CLI `ukg-visma {command}`", output, markers, leaks)
    captured = capfd.readouterr()
    _scan("test process stdout/stderr", captured.out + captured.err, markers, leaks)
    assert leaks == [], "\n".join(sorted(set(leaks)))
