"""The plugin mechanism for real: ``airflow api-server`` serves the receiver at
``/ukg-visma/webhooks/ukg``, with the secret stored as an Airflow connection in the metastore.

Isolated AIRFLOW_HOME and SQLite metadata DB (a copy of the session's migrated one), plugins
folder = this repository's ``plugins/``, a free port, one worker.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import requests
from api_server import AIRFLOW, api_server

from ukg_visma.audit import inbox
from ukg_visma.audit.store import get_engine
from ukg_visma.webhooks.signing import signed_headers

ROOT = Path(__file__).resolve().parents[3]
SECRET = "e2e-webhook-secret-9876543210"


def _body(event_id: str) -> bytes:
    event = {
        "EventId": event_id,
        "EventTime": "2026-11-20T09:00:00Z",
        "EventType": "EmployeeHireEvent",
        "Operation": "Insert",
        "Payload": {"CoId": "C0001", "EeId": "5f3a-0001"},
        "Tenant": "nordicmfg",
    }
    return json.dumps(event).encode()


@pytest.mark.e2e
@pytest.mark.journey
def test_api_server_serves_the_receiver(tmp_path, airflow_home):
    home = airflow_home(tmp_path / "airflow")  # a copy of the session's migrated metadata DB
    dags = tmp_path / "dags"
    dags.mkdir()
    audit_url = f"sqlite:///{tmp_path}/audit.db"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "UKG_VISMA"))},
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__FERNET_KEY": "c2VjcmV0LWtleS1mb3ItdGhlLWUyZS10ZXN0LTAxMjM=",
        "UKG_VISMA_AUDIT_URL": audit_url,
    }
    subprocess.run(
        [
            AIRFLOW,
            "connections",
            "add",
            "ukg_webhook",
            "--conn-type",
            "generic",
            "--conn-password",
            SECRET,
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    url_path = "/ukg-visma/webhooks/ukg"
    probes: list[requests.Response] = []

    def receiver_mounted(base: str) -> bool:
        """Up once the plugin's route answers (a 404 is the server without the plugin yet)."""
        try:
            probes.append(requests.post(base + url_path, data=b"{}", timeout=5))
        except requests.ConnectionError:
            return False
        return probes[-1].status_code != 404

    with api_server(env, tmp_path / "api-server.log", ready=receiver_mounted) as base:
        url = base + url_path
        assert probes[-1].status_code == 401  # no signature: refused by the receiver itself

        body = _body("evt-e2e-1")
        first = requests.post(url, data=body, headers=signed_headers(SECRET, body), timeout=10)
        assert first.status_code == 202, first.text
        assert first.json() == {"status": "accepted", "eventId": "evt-e2e-1"}
        again = requests.post(url, data=body, headers=signed_headers(SECRET, body), timeout=10)
        assert again.json()["status"] == "duplicate"
        forged = requests.post(url, data=body, headers=signed_headers("guess", body), timeout=10)
        assert forged.status_code == 401

        engine = get_engine(audit_url)
        rows = inbox.fetch_events(engine)
        assert [(r["event_id"], r["status"]) for r in rows] == [("evt-e2e-1", "new")]
        # counted per source and minute: the probe and the forgery (one row, or two when a
        # minute ended between them)
        rows = inbox.fetch_rejections(engine)
        assert sum(r["count"] for r in rows) == 2 and len(rows) <= 2
        assert rows[-1]["reason"] == "missing signature"
        assert rows[0]["last_reason"] == "bad signature"
        assert SECRET not in (tmp_path / "api-server.log").read_text()
