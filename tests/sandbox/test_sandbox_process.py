"""``python -m sandbox`` as a process, and the session ``sandbox`` fixture built on it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sandbox_fixture import READY, ROOT, SandboxAdminError


def _wait_ready(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[list[str], dict]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if line.startswith(READY):
            return lines, json.loads(line[len(READY) :])
    pytest.fail("no READY line:\n" + "\n".join(lines))


def test_python_m_sandbox_serves_both_and_stops_on_sigterm(tmp_path: Path):
    ports = ["--ukg-port", "0", "--visma-port", "0", "--token-lifetime", "120"]
    cmd = [
        sys.executable,
        "-m",
        "sandbox",
        *ports,
        "--data-dir",
        str(tmp_path),
        "--employees",
        "150",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        lines, urls = _wait_ready(proc)
        assert set(urls) == {"ukg", "visma"}
        for name, url in urls.items():
            assert httpx.get(f"{url}/_sandbox/health").json() == {"status": "ok", "server": name}
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        ukg = json.loads(exports["AIRFLOW_CONN_UKG_DEFAULT"].strip("'"))
        visma = json.loads(exports["AIRFLOW_CONN_VISMA_DEFAULT"].strip("'"))
        assert ukg["host"] == urls["ukg"] and visma["host"] == urls["visma"]
        assert ukg["login"] == "ukg-sandbox-client" and ukg["password"] == "ukg-sandbox-secret"
        token = httpx.post(
            f"{urls['ukg']}/signin/oauth2/t/nordicmfg/access_token",
            data={"grant_type": "client_credentials", "client_id": ukg["login"],
                  "client_secret": ukg["password"]},
        ).json()  # fmt: skip
        assert token["expires_in"] == 120
        state = httpx.get(f"{urls['ukg']}/_sandbox/state").json()
        assert state["employees"] == 150
        assert (tmp_path / "ukg.sqlite3").exists() and (tmp_path / "visma.sqlite3").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "sandbox stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_busy_port_fails_cleanly(tmp_path: Path, sandbox):
    port = sandbox.ukg_url.rsplit(":", 1)[1]
    cmd = [sys.executable, "-m", "sandbox", "--only", "ukg", "--ukg-port", port,
           "--data-dir", str(tmp_path), "--employees", "50"]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 1
    assert "failed to start" in done.stderr


def test_server_stops_when_its_parent_is_gone(tmp_path: Path):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    cmd = [sys.executable, "-m", "sandbox", "--only", "ukg", "--ukg-port", "0", "--employees",
           "50", "--data-dir", str(tmp_path), "--parent-pid", str(parent.pid)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip
    try:
        _wait_ready(proc)
        parent.kill()
        parent.wait()
        assert proc.wait(timeout=20) == 0
    finally:
        for child in (parent, proc):
            if child.poll() is None:
                child.kill()
                child.wait()


def test_fixture_api(sandbox):
    answer = sandbox.reset(seed=42, employees=200, block_size=500)
    assert answer["ukg"]["employees"] == 200 and answer["ukg"]["blockSize"] == 500
    assert answer["visma"]
    env = sandbox.connections_env()
    assert set(env) == {"AIRFLOW_CONN_UKG_DEFAULT", "AIRFLOW_CONN_VISMA_DEFAULT"}
    assert json.loads(env["AIRFLOW_CONN_UKG_DEFAULT"])["host"] == sandbox.ukg_url
    assert json.loads(env["AIRFLOW_CONN_VISMA_DEFAULT"])["host"] == sandbox.visma_url
    assert sandbox.credentials["ukg"]["tenant_alias"] == "nordicmfg"
    assert sandbox.credentials["visma"]["tenant_id"] == "nordicmfg-erp"
    assert sandbox.visma_state()["employees"] == []

    sandbox.faults("ukg", {"path": "paygroup", "status": 503, "times": 1})
    probe = httpx.get(f"{sandbox.ukg_url}/payroll/v1/paygroup-payperiods")
    assert probe.status_code == 503
    assert [(c["path"], c["status"]) for c in sandbox.calls("ukg")] == [
        ("/payroll/v1/paygroup-payperiods", 503)
    ]
    sandbox.faults("visma", {"path": ".*", "status": 500, "times": None})
    sandbox.clear_faults()
    assert httpx.get(f"{sandbox.visma_url}/v1/account").status_code == 401  # reached the app
    with pytest.raises(SandboxAdminError):
        sandbox.ukg_admin("POST", "gl-runs", {"runId": "x"})


def test_restart_keeps_state_and_port(sandbox):
    sandbox.reset(employees=200)
    hire = {"employeeNumber": "990001", "firstName": "Etter", "lastName": "Krasj"}
    saved = sandbox.ukg_admin("POST", "/_sandbox/employees", {"employees": [hire]})
    url = sandbox.ukg_url
    sandbox.restart("ukg")  # SIGKILL, like a crash
    assert sandbox.ukg_url == url
    assert sandbox.ukg_state()["employees"] == 201
    creds = sandbox.credentials["ukg"]
    form = {"client_id": creds["client_id"], "client_secret": creds["client_secret"]}
    token = httpx.post(creds["token_url"], data={"grant_type": "client_credentials", **form})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}",
               "US-Customer-Api-Key": creds["customer_api_key"]}  # fmt: skip
    found = httpx.get(f"{url}/personnel/v1/employment-details",
                      params={"employeeNumber": "990001"}, headers=headers).json()  # fmt: skip
    assert found[0]["employeeID"] == saved["employees"][0]["employeeId"]
    sandbox.restart("visma", hard=False)
    assert httpx.get(f"{sandbox.visma_url}/_sandbox/health").status_code == 200
