"""The edge of the Visma sandbox: quota and X-RateLimit headers, injected faults, a response
dropped after commit, restart persistence, reset (own data and the real scenario), credentials."""

from __future__ import annotations

import json

import pytest
import requests
from visma_helpers import VismaClient, created_number, journal, small_visma, start


def test_every_answer_has_rate_limit_headers_and_quota_gives_429(visma):
    visma.token()  # the token endpoint is outside the quota
    visma.admin("POST", "/config", {"rate_limit_per_minute": 3})
    answers = [visma.get("/v1/account") for _ in range(3)]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert all(a.headers["X-RateLimit-Limit"] == "3" for a in answers)
    assert all(0 <= int(a.headers["X-RateLimit-Reset"]) <= 60 for a in answers)
    refused = visma.get("/v1/account")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["message"].startswith("VismaId: ")
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    visma.admin("POST", "/config", {"rate_limit_per_minute": None})
    assert visma.get("/v1/account").status_code == 200


def test_rate_limit_headers_on_errors_too(visma):
    unauthorised = requests.get(f"{visma.url}/v1/account", timeout=5)
    assert unauthorised.status_code == 401 and "X-RateLimit-Limit" in unauthorised.headers
    bad = visma.post("/v2/journaltransaction", json=journal(period="202603"))
    assert bad.status_code == 400 and "X-RateLimit-Remaining" in bad.headers


@pytest.mark.parametrize(
    ("rule", "check"),
    [
        ({"status": 503}, lambda a: a.json()["message"].startswith("VismaId: ")),
        ({"status": 429, "retry_after": 2}, lambda a: a.headers["Retry-After"] == "2"),
        ({"status": 412}, lambda a: a.content == b""),
        ({"status": 401}, lambda a: a.headers["WWW-Authenticate"] == "Bearer"),
        ({"status": 500, "no_body": True}, lambda a: a.content == b""),
    ],
    ids=["503", "429", "412", "401", "500-no-body"],
)
def test_injected_faults_then_normal_service(visma, rule, check):
    visma.admin("POST", "/faults", {"method": "POST", "path": "^/v2/journaltransaction$", **rule})
    failed = visma.post("/v2/journaltransaction", json=journal())
    assert failed.status_code == rule["status"] and check(failed)
    assert visma.state()["journals"] == []
    assert visma.post("/v2/journaltransaction", json=journal()).status_code == 201


def test_dropped_response_after_commit_really_commits(visma):
    assert visma.get("/v1/account").status_code == 200  # fetches and caches the token
    visma.admin(
        "POST",
        "/faults",
        {"method": "POST", "path": "^/v2/journaltransaction$", "drop_response_after_commit": True},
    )
    with pytest.raises(requests.ConnectionError):
        visma.post("/v2/journaltransaction", json=journal(description="KEY-42"))
    journals = visma.state()["journals"]
    assert [j["description"] for j in journals] == ["KEY-42"]
    calls = visma.admin("GET", "/calls").json()["calls"]
    dropped = [c for c in calls if c["dropped"]]
    assert len(dropped) == 1
    assert dropped[0]["committed_status"] == 201 and dropped[0]["status"] is None
    # the read-back a client does before any re-POST finds it
    listed = visma.get("/v2/journaltransaction", params={"periodId": "202605"}).json()
    assert [b["description"] for b in listed] == ["KEY-42"]  # a bare array (published)


def test_restart_keeps_state_and_tokens(tmp_path):
    server, app = start(tmp_path)
    client = VismaClient(server)
    created = client.post("/v2/journaltransaction", json=journal(description="before restart"))
    number = created_number(client, created)
    etag = created.headers["ETag"]
    seg_etag = client.get("/v1/dimension/SUBACCOUNT/2").headers["ETag"]
    client.put(
        "/v1/dimension/SUBACCOUNT/2",
        json={"segmentValues": [{"operation": "Insert", "value": "360"}]},
        headers={"If-Match": seg_etag},
    )
    port = server.port
    server.stop()
    app.sandbox.store.close()

    server, app = start(tmp_path, port=port)  # same data dir: the initial reset must not wipe it
    try:
        client.server = server  # same URL and the same cached token
        read = client.get(f"/v2/journaltransaction/{number}")
        assert read.status_code == 200 and read.headers["ETag"] == etag
        assert read.json()["description"] == "before restart"
        values = client.get("/v1/dimension/SUBACCOUNT/2").json()["segmentValues"]
        assert "360" in {v["valueId"] for v in values}
        again = client.post("/v2/journaltransaction", json=journal())
        assert created_number(client, again) == f"{int(number) + 1:06d}"
    finally:
        server.stop()
        app.sandbox.store.close()


def test_reset_clears_state_faults_and_calls(visma):
    visma.post("/v2/journaltransaction", json=journal())
    visma.admin("POST", "/faults", {"path": "/v1/account", "status": 503, "times": None})
    answer = visma.admin("POST", "/reset", {"visma": small_visma()})
    assert answer.status_code == 200 and answer.json()["counts"]["journals"] == 0
    assert visma.admin("GET", "/faults").json() == {"faults": []}
    assert visma.admin("GET", "/calls").json()["count"] == 0
    assert visma.get("/v1/account").status_code == 200  # the token survived the reset
    assert created_number(visma, visma.post("/v2/journaltransaction", json=journal())) == "000001"


def test_reset_with_the_real_scenario(visma):
    answer = visma.admin("POST", "/reset", {"scenario": "manufacturer", "seed": 42})
    assert answer.status_code == 200, answer.text
    counts = answer.json()["counts"]
    assert counts["accounts"] >= 18 and counts["periods"] == 24 and counts["employees"] == 0
    accounts = {a["accountCD"]: a for a in visma.get("/v1/account").json()}
    assert accounts["2400"]["controlAccountModule"] == "AP"
    assert accounts["5010"]["active"] is False
    centres = visma.get("/v1/dimension/SUBACCOUNT/2").json()["segmentValues"]
    codes = {v["valueId"]: v for v in centres}
    assert "360" not in codes and codes["199"]["active"] is False and "000" in codes
    assert visma.get("/v1/financialPeriod/202603").json()["closedInGeneralLedger"] is True
    body = journal(period="202606")
    assert visma.post("/v2/journaltransaction", json=body).status_code == 201


def test_reset_with_empty_segments(visma):
    answer = visma.admin(
        "POST",
        "/reset",
        {"scenario": "manufacturer", "seed": 42, "employees": 1200, "visma_segments": "empty"},
    )
    assert answer.status_code == 200
    segments = visma.state()["segments"]["SUBACCOUNT"]
    assert segments["1"]["segmentValues"] == [] and segments["2"]["segmentValues"] == []
    refused = visma.post("/v2/journaltransaction", json=journal(period="202606"))
    assert refused.status_code == 400


@pytest.mark.parametrize(
    "body", [{"scenario": "bakery"}, {"scenario": "manufacturer", "colour": "blue"}]
)
def test_bad_reset_bodies_are_400(visma, body):
    assert visma.admin("POST", "/reset", body).status_code == 400


def test_credentials_describe_this_server(visma):
    creds = visma.admin("GET", "/credentials").json()
    assert creds["client_id"] == "visma-sandbox-client"
    assert creds["tenant_id"] == "nordicmfg-erp"
    assert creds["token_url"] == f"{visma.url}/connect/token"
    connection = json.loads(creds["env"]["AIRFLOW_CONN_VISMA_DEFAULT"])
    assert connection["host"] == visma.url and connection["extra"]["tenant_id"] == "nordicmfg-erp"


def test_admin_paths_are_never_faulted_or_logged(visma):
    assert visma.get("/v1/account").status_code == 200  # fetches and caches the token
    visma.admin("DELETE", "/calls")
    visma.admin("POST", "/faults", {"path": ".*", "status": 503, "times": None})
    assert visma.admin("GET", "/state").status_code == 200
    assert visma.admin("GET", "/calls").json()["count"] == 0
    assert visma.get("/v1/account").status_code == 503
