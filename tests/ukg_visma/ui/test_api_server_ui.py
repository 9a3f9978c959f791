"""The plugin's UI parts for real, in ``airflow api-server``: the run report page under
``/ukg-visma/reports`` behind Airflow's own authentication (SimpleAuthManager, a JWT from
``POST /auth/token``), its tab and extra link, and the connection Test button's message naming
the connection being tested (not Airflow's transient id).

Isolated AIRFLOW_HOME and SQLite metadata DB, a copy of the session's migrated one, plugins folder =
this repository's ``plugins/``, a free port, one worker. The report files are the ones a run
writes under ``{AIRFLOW_HOME}/ukg_visma/reports/payroll_gl/{period}/{run}/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from api_server import AIRFLOW
from api_server import api_server as running_api_server

from ukg_visma.run_folders import path_part

pytestmark = pytest.mark.journey
ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "report-page-pw-1"
RUN_ID = "manual__2026-11-30T11:56:20.123456+00:00"
DAG_ID = "ukg_visma_payroll_gl"

SUMMARY = """# UKG payroll → Visma: pay period 2026-10 (Visma period 202610)

**posted, reconciled** — 1 journal(s), debit 1,234,567.50, credit 1,234,567.50.

## Journals

| journal key | UKG run | batch | status |
|---|---|---|---|
| C0001/NMF-202610/2026-10-25/1 | NMF-202610 | 000123 | released |

## Totals per account

| account | description | debit | credit |
|---|---|---:|---:|
| 5000 | Salaries <script>alert(1)</script> | 1,000,000.00 | 0.00 |

## Warnings and findings

- shared store warning example
"""
VALIDATION = "# Validation report\n\n**OK** — 0 errors, 1 warning.\n"
SYNC = "# Employee sync\n\n### Who changed\n\n- **Hires** (2): 10231, 10232\n"


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("report-page")
    home = tmp / "airflow"
    home.mkdir()
    shutil.copyfile(migrated_template, home / "airflow.db")  # the session's migrated DB
    dags = tmp / "dags"
    dags.mkdir()
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": PASSWORD}))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "UKG_VISMA"))},
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API_AUTH__JWT_SECRET": "report-page-test-jwt-secret-0123456789abcdef",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "UKG_VISMA_AUDIT_URL": f"sqlite:///{tmp}/audit.db",
    }
    # stored without its tenant alias: the Test button must say so, naming this connection
    subprocess.run(
        [AIRFLOW, "connections", "add", "ukg_payroll", "--conn-type", "ukg",
         "--conn-host", "http://127.0.0.1:9", "--conn-login", "client",
         "--conn-password", "s3cret-of-the-test"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    folder = home / "ukg_visma" / "reports" / "payroll_gl" / "2026-10" / path_part(RUN_ID)
    folder.mkdir(parents=True)
    (folder / "summary.md").write_text(SUMMARY, encoding="utf-8")
    (folder / "validation.md").write_text(VALIDATION, encoding="utf-8")
    sync = home / "ukg_visma" / "reports" / "employee_sync" / "2026-11-30" / path_part(RUN_ID)
    sync.mkdir(parents=True)
    (sync / "employee_sync.md").write_text(SYNC, encoding="utf-8")
    with running_api_server(env, tmp / "api-server.log") as base:
        yield base


def _token(base: str) -> str:
    answer = requests.post(
        f"{base}/auth/token", json={"username": "admin", "password": PASSWORD}, timeout=10
    )
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["access_token"])


def _url(base: str, run_id: str = RUN_ID) -> str:
    return f"{base}/ukg-visma/reports/{DAG_ID}/{quote(run_id, safe='')}"


@pytest.mark.e2e
def test_the_report_page_needs_an_airflow_login(api_server: str) -> None:
    anonymous = requests.get(_url(api_server), timeout=10)
    assert anonymous.status_code == 401
    assert "1,234,567.50" not in anonymous.text
    forged = requests.get(
        _url(api_server), headers={"Authorization": "Bearer not.a.jwt"}, timeout=10
    )
    assert forged.status_code in (401, 403)
    cookie = requests.get(_url(api_server), cookies={"_token": "forged"}, timeout=10)
    assert cookie.status_code in (401, 403)


@pytest.mark.e2e
def test_the_report_page_shows_the_runs_report(api_server: str) -> None:
    token = _token(api_server)
    page = requests.get(_url(api_server), headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "pay period <strong>2026-10</strong>" in text
    assert "<td>000123</td>" in text and "<td>released</td>" in text
    assert "1,234,567.50" in text and "shared store warning example" in text
    assert "Validation report" in text and "0 errors, 1 warning" in text
    # markup from a description is shown as text, never executed
    assert "<script>" not in text and "&lt;script&gt;" in text
    # the UI's session cookie counts as a login too (the page opens in the run's tab)
    by_cookie = requests.get(_url(api_server), cookies={"_token": token}, timeout=10)
    assert by_cookie.status_code == 200 and "000123" in by_cookie.text


@pytest.mark.e2e
def test_a_run_without_a_report_says_so(api_server: str) -> None:
    token = _token(api_server)
    page = requests.get(
        _url(api_server, "manual__2026-12-01T00:00:00+00:00"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert page.status_code == 200 and "id='no-report'" in page.text
    traversal = requests.get(
        _url(api_server, ".."), headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert traversal.status_code in (200, 404) and "1,234,567.50" not in traversal.text


@pytest.mark.e2e
def test_the_employee_sync_tab_shows_the_sync_report(api_server: str) -> None:
    token = _token(api_server)
    url = f"{api_server}/ukg-visma/reports/ukg_visma_employee_sync/{quote(RUN_ID, safe='')}"
    page = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert page.status_code == 200, page.text
    assert "Employee sync run report" in page.text and "10231, 10232" in page.text
    assert "1,234,567.50" not in page.text  # never the pay period's report of the same run id


@pytest.mark.e2e
def test_the_dashboard_says_alerts_are_off(api_server: str) -> None:
    token = _token(api_server)
    config = requests.get(
        f"{api_server}/ui/config", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert config.status_code == 200, config.text
    texts = [a["text"] for a in config.json()["dashboard_alert"]]
    assert any(t.startswith("UKG → Visma alerts are OFF") for t in texts), texts


@pytest.mark.e2e
def test_the_plugin_registers_the_tab_and_the_extra_link(api_server: str) -> None:
    token = _token(api_server)
    plugins = requests.get(
        f"{api_server}/api/v2/plugins", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert plugins.status_code == 200, plugins.text
    ours = next(p for p in plugins.json()["plugins"] if p["name"] == "ukg_visma")
    views = {v["name"]: v for v in ours["external_views"]}
    assert views["Run report"]["href"] == "/ukg-visma/reports/{DAG_ID}/{RUN_ID}"
    assert views["Run report"]["destination"] == "dag_run"
    assert any("RunReportLink" in link for link in ours["global_operator_extra_links"])
    assert ours["listeners"] == ["ukg_visma.ui.notes"]


@pytest.mark.e2e
def test_the_test_button_names_the_connection_being_tested(api_server: str) -> None:
    token = _token(api_server)
    # what the UI's form sends for a stored connection: no password (it stays stored), port
    # visible and empty
    answer = requests.post(
        f"{api_server}/api/v2/connections/test",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "connection_id": "ukg_payroll",
            "conn_type": "ukg",
            "host": "http://127.0.0.1:9",
            "login": "client",
            "port": None,
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] is False
    assert result["message"].startswith("connection 'ukg_payroll': ")
    assert "Connection 'ukg_payroll'" in result["message"]
    assert "extra 'tenant_alias' is required" in result["message"]
    assert "s3cret-of-the-test" not in answer.text
