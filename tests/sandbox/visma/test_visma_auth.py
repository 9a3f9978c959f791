"""POST /connect/token and the bearer check, over real HTTP."""

from __future__ import annotations

import base64
import time

import pytest
import requests
from visma_helpers import READ, VismaClient, start

from sandbox.visma import CLIENT_ID, CLIENT_SECRET, TENANT_ID

GOOD = {
    "grant_type": "client_credentials",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "tenant_id": TENANT_ID,
}


def test_token_has_the_real_fields_and_never_a_refresh_token(visma):
    answer = requests.post(f"{visma.url}/connect/token", data={**GOOD, "scope": READ}, timeout=5)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == READ
    assert "refresh_token" not in body


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": "someone-else"}, "invalid_client"),
        ({"tenant_id": "other-tenant"}, "invalid_client"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"scope": "vismanet_erp_service_api:everything"}, "invalid_scope"),
    ],
    ids=["secret", "client", "tenant", "grant", "scope"],
)
def test_bad_token_requests_are_400_with_oauth_error(visma, change, error):
    answer = requests.post(f"{visma.url}/connect/token", data={**GOOD, **change}, timeout=5)
    assert answer.status_code == 400
    assert answer.json() == {"error": error}


def test_client_secret_basic_is_accepted(visma):
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    answer = requests.post(
        f"{visma.url}/connect/token",
        data={"grant_type": "client_credentials", "tenant_id": TENANT_ID},
        headers={"Authorization": f"Basic {basic}"},
        timeout=5,
    )
    assert answer.status_code == 200 and answer.json()["access_token"]


@pytest.mark.parametrize(
    "header", [None, "Bearer not-a-token", "Basic abc"], ids=["none", "unknown", "basic"]
)
def test_api_without_a_valid_bearer_is_401(visma, header):
    headers = {"Authorization": header} if header else {}
    answer = requests.get(f"{visma.url}/v1/account", headers=headers, timeout=5)
    assert answer.status_code == 401
    assert answer.json()["message"].startswith("VismaId: ")
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_token_expires_after_its_lifetime(tmp_path):
    server, app = start(tmp_path, token_lifetime=1)
    try:
        client = VismaClient(server)
        token = requests.post(f"{server.url}/connect/token", data=GOOD, timeout=5).json()
        assert token["expires_in"] == 1
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        assert requests.get(f"{server.url}/v1/account", headers=auth, timeout=5).status_code == 200
        time.sleep(1.2)
        assert requests.get(f"{server.url}/v1/account", headers=auth, timeout=5).status_code == 401
        assert client.get("/v1/account").status_code == 200  # a brand-new token works again
    finally:
        server.stop()
        app.sandbox.store.close()


def test_read_only_token_cannot_write(visma):
    token = visma.token(scope=READ)
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{visma.url}/v1/account", headers=auth, timeout=5).status_code == 200
    answer = requests.post(f"{visma.url}/v2/journaltransaction", json={}, headers=auth, timeout=5)
    assert answer.status_code == 403


def test_revoked_tokens_get_401(visma):
    assert visma.get("/v1/account").status_code == 200
    visma.admin("DELETE", "/tokens")
    assert visma.get("/v1/account").status_code == 401


def test_token_lifetime_is_configurable_at_runtime(visma):
    visma.admin("POST", "/config", {"token_lifetime": 2})
    answer = requests.post(f"{visma.url}/connect/token", data=GOOD, timeout=5)
    assert answer.json()["expires_in"] == 2
