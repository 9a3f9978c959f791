"""UKG auth contract: the token endpoint (form and JSON), bearer + API key, Basic, expiry → 401."""

from __future__ import annotations

import time

import pytest
from ukg_helpers import API_KEY, BASIC, CLIENT, TOKEN_PATH

PROBE = "/configuration/v1/org-levels"


def test_token_from_form_and_json(ukg):
    form = ukg.token(scope="openid")
    assert form.status_code == 200
    body = form.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "openid"
    assert "refresh_token" not in body
    as_json = ukg.http.post(TOKEN_PATH, json={"grant_type": "client_credentials", **CLIENT})
    assert as_json.status_code == 200
    assert as_json.json()["access_token"] != body["access_token"]


@pytest.mark.parametrize(
    ("path", "form", "status", "error"),
    [
        (TOKEN_PATH, {"client_secret": "wrong"}, 401, "invalid_client"),
        (TOKEN_PATH, {"client_id": "someone-else"}, 401, "invalid_client"),
        (TOKEN_PATH, {"grant_type": "password"}, 400, "unsupported_grant_type"),
        ("/signin/oauth2/t/othertenant/access_token", {}, 400, "invalid_request"),
    ],
    ids=["wrong-secret", "wrong-client", "wrong-grant", "wrong-tenant"],
)
def test_token_refusals(ukg, path, form, status, error):
    body = {"grant_type": "client_credentials", **CLIENT, **form}
    response = ukg.http.post(path, data=body)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_bearer_with_api_key_is_accepted(ukg):
    assert ukg.get(PROBE).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"US-Customer-Api-Key": API_KEY},
        {"US-Customer-Api-Key": API_KEY, "Authorization": "Bearer not-a-token"},
        {"US-Customer-Api-Key": "XXXXX", "Authorization": BASIC},
        {"Authorization": BASIC},
        {"US-Customer-Api-Key": API_KEY, "Authorization": "Basic c3ZjX3BheXJvbGw6d3Jvbmc="},
    ],
    ids=["nothing", "key-only", "bad-token", "bad-key", "basic-no-key", "basic-bad-password"],
)
def test_unauthorized_answers_code_and_message(ukg, headers):
    response = ukg.http.get(PROBE, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == 401
    assert body["message"]


def test_bearer_needs_the_api_key(ukg):
    headers = {"Authorization": ukg.bearer()["Authorization"]}
    assert ukg.http.get(PROBE, headers=headers).status_code == 401


def test_basic_with_api_key_is_accepted(ukg):
    response = ukg.http.get(PROBE, headers={"Authorization": BASIC, "US-Customer-Api-Key": API_KEY})
    assert response.status_code == 200
    assert response.json()


def test_token_expires_after_its_lifetime(ukg):
    ukg.admin("POST", "config", {"token_lifetime": 2})
    issued = ukg.token().json()
    assert issued["expires_in"] == 2
    headers = {"Authorization": f"Bearer {issued['access_token']}", "US-Customer-Api-Key": API_KEY}
    assert ukg.http.get(PROBE, headers=headers).status_code == 200
    time.sleep(2.3)
    expired = ukg.http.get(PROBE, headers=headers)
    assert expired.status_code == 401
    assert "expired" in expired.json()["message"]
    fresh = ukg.token().json()["access_token"]
    headers["Authorization"] = f"Bearer {fresh}"
    assert ukg.http.get(PROBE, headers=headers).status_code == 200


def test_revoked_tokens_are_refused(ukg):
    headers = ukg.bearer()
    assert ukg.http.get(PROBE, headers=headers).status_code == 200
    assert ukg.http.delete("/_sandbox/tokens").json()["revoked"] >= 1
    assert ukg.http.get(PROBE, headers=headers).status_code == 401


def test_token_endpoint_is_outside_the_quota(ukg):
    ukg.admin("POST", "config", {"rate_limit_per_minute": 1})
    for _ in range(3):
        assert ukg.token().status_code == 200
