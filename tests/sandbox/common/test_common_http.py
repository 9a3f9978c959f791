"""The sandbox edge over real HTTP: faults, drops, quota, call log, config, restart."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import requests
from fastapi import Request
from fastapi.responses import JSONResponse

from sandbox.common import (
    RateDecision,
    ServerHooks,
    ServerThread,
    StateStore,
    create_sandbox_app,
)


def _rate_headers(decision: RateDecision) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
    }


def build(store: StateStore, **kwargs):
    hooks = ServerHooks(
        fault_response=lambda status, rule: JSONResponse({"injected": status}, status),
        rate_limit_headers=_rate_headers,
        credentials=lambda base_url: {"base_url": base_url, "client_id": "c"},
        rate_limit_exempt=lambda path: path == "/token",
    )
    app = create_sandbox_app(name="demo", store=store, hooks=hooks, **kwargs)

    @app.post("/things")
    def create_thing() -> dict:
        number = store.next_id("things")
        store.put("things", str(number), {"number": number})
        return {"number": number}

    @app.get("/things")
    def list_things() -> dict:
        return {"things": store.values("things")}

    @app.post("/token")
    def token() -> dict:
        return {"access_token": app.sandbox.tokens.issue("c", app.sandbox.settings.token_lifetime)}

    @app.get("/whoami")
    def whoami(request: Request) -> JSONResponse:
        record = app.sandbox.tokens.validate(
            app.sandbox.tokens.bearer(request.headers.get("authorization"))
        )
        return JSONResponse({"ok": record is not None}, 200 if record else 401)

    return app


@pytest.fixture
def server(tmp_path):
    store = StateStore(tmp_path / "demo.sqlite3")
    with ServerThread(build(store)) as running:
        yield running
    store.close()


def test_status_fault_with_retry_after_then_normal(server):
    added = requests.post(
        f"{server.url}/_sandbox/faults",
        json={"method": "GET", "path": "^/things$", "status": 429, "retry_after": 7, "times": 2},
        timeout=5,
    )
    assert added.status_code == 200 and added.json()["added"][0]["remaining"] == 2
    for _ in range(2):
        answer = requests.get(f"{server.url}/things", timeout=5)
        assert answer.status_code == 429
        assert answer.headers["Retry-After"] == "7"
        assert answer.json() == {"injected": 429}
        assert "X-RateLimit-Limit" in answer.headers  # server headers also on injected answers
    assert requests.get(f"{server.url}/things", timeout=5).status_code == 200
    assert requests.get(f"{server.url}/_sandbox/faults", timeout=5).json() == {"faults": []}


def test_no_body_fault_and_list_form(server):
    requests.post(
        f"{server.url}/_sandbox/faults",
        json={"rules": [{"path": "/things", "status": 503, "no_body": True}]},
        timeout=5,
    )
    answer = requests.get(f"{server.url}/things", timeout=5)
    assert answer.status_code == 503 and answer.content == b""


def test_bad_fault_rule_is_422(server):
    answer = requests.post(
        f"{server.url}/_sandbox/faults", json={"path": "/x", "status": 418}, timeout=5
    )
    assert answer.status_code == 422


@pytest.mark.parametrize("client", ["requests", "httpx"])
def test_drop_response_after_commit_really_commits(server, client):
    requests.post(
        f"{server.url}/_sandbox/faults",
        json={"method": "POST", "path": "^/things$", "drop_response_after_commit": True},
        timeout=5,
    )
    if client == "requests":
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{server.url}/things", timeout=5)
    else:
        with httpx.Client(timeout=5) as http, pytest.raises(httpx.RemoteProtocolError):
            http.post(f"{server.url}/things")
    assert requests.get(f"{server.url}/things", timeout=5).json() == {"things": [{"number": 1}]}
    calls = requests.get(f"{server.url}/_sandbox/calls", timeout=5).json()["calls"]
    dropped = [call for call in calls if call["dropped"]]
    assert len(dropped) == 1
    assert dropped[0]["status"] is None and dropped[0]["committed_status"] == 200
    # the server keeps serving on new connections
    assert requests.post(f"{server.url}/things", timeout=5).json() == {"number": 2}


def test_latency_fault_and_global_latency(server):
    requests.post(
        f"{server.url}/_sandbox/faults", json={"path": "/things", "latency_ms": 300}, timeout=5
    )
    started = time.monotonic()
    assert requests.get(f"{server.url}/things", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3
    requests.post(f"{server.url}/_sandbox/config", json={"latency_ms": 200}, timeout=5)
    started = time.monotonic()
    requests.get(f"{server.url}/things", timeout=5)
    assert time.monotonic() - started >= 0.2
    # admin is never slowed down: bench/test_time_bounds.py (an upper bound is a measurement)


def test_call_log_records_and_clears(server):
    requests.get(f"{server.url}/things?x=1", timeout=5)
    requests.get(f"{server.url}/_sandbox/health", timeout=5)
    body = requests.get(f"{server.url}/_sandbox/calls", timeout=5).json()
    assert body["count"] == 1
    call = body["calls"][0]
    assert {k: call[k] for k in ("method", "path", "query", "status")} == {
        "method": "GET",
        "path": "/things",
        "query": "x=1",
        "status": 200,
    }
    assert call["time"].endswith("Z")
    since = call["seq"]
    requests.get(f"{server.url}/things", timeout=5)
    later = requests.get(f"{server.url}/_sandbox/calls", params={"since": since}, timeout=5)
    assert later.json()["count"] == 1
    requests.delete(f"{server.url}/_sandbox/calls", timeout=5)
    assert requests.get(f"{server.url}/_sandbox/calls", timeout=5).json()["count"] == 0


def test_quota_answers_429_and_counts_down(server):
    config = requests.post(
        f"{server.url}/_sandbox/config", json={"rate_limit_per_minute": 3}, timeout=5
    ).json()
    assert config["rate_limit_per_minute"] == 3
    remaining = [
        requests.get(f"{server.url}/things", timeout=5).headers["X-RateLimit-Remaining"]
        for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    refused = requests.get(f"{server.url}/things", timeout=5)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert requests.post(f"{server.url}/token", timeout=5).status_code == 200  # exempt path
    requests.post(f"{server.url}/_sandbox/config", json={"rate_limit_per_minute": None}, timeout=5)
    assert requests.get(f"{server.url}/things", timeout=5).status_code == 200


def test_credentials_and_token_revocation(server):
    creds = requests.get(f"{server.url}/_sandbox/credentials", timeout=5).json()
    assert creds == {"base_url": server.url, "client_id": "c"}
    token = requests.post(f"{server.url}/token", timeout=5).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{server.url}/whoami", headers=auth, timeout=5).status_code == 200
    assert requests.delete(f"{server.url}/_sandbox/tokens", timeout=5).json()["revoked"] == 1
    assert requests.get(f"{server.url}/whoami", headers=auth, timeout=5).status_code == 401


def test_state_and_tokens_survive_restart(tmp_path: Path):
    path = tmp_path / "demo.sqlite3"
    store = StateStore(path)
    first = ServerThread(build(store)).start()
    requests.post(f"{first.url}/things", timeout=5)
    token = requests.post(f"{first.url}/token", timeout=5).json()["access_token"]
    port = first.port
    first.stop()
    store.close()

    store = StateStore(path)
    with ServerThread(build(store), port=port) as second:
        assert requests.get(f"{second.url}/things", timeout=5).json() == {"things": [{"number": 1}]}
        auth = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{second.url}/whoami", headers=auth, timeout=5).status_code == 200
        assert requests.post(f"{second.url}/things", timeout=5).json() == {"number": 2}
    store.close()
