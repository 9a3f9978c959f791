"""Several Visma.net companies on one sandbox host, told apart by tenant id (issue #25).

As on api.finance.visma.net: the token request's ``tenant_id`` picks the company, and every call
made with that token reads and writes that company only — its own chart, journals and faults.
Driven over HTTP against the sandbox subprocess.
"""

from __future__ import annotations

import httpx

from sandbox.visma.config import CLIENT_ID, CLIENT_SECRET, TENANT_ID

B = "nordicmfg-mo-i-rana"


def _token(url: str, tenant: str) -> httpx.Response:
    return httpx.post(
        f"{url}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "tenant_id": tenant,
            "scope": "vismanet_erp_service_api:read vismanet_erp_service_api:create",
        },
    )


def _get(url: str, token: str, path: str) -> httpx.Response:
    return httpx.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})


JOURNAL = {
    "transactionDate": {"value": "2026-11-25"},
    "financialPeriod": {"value": "202611"},
    "description": {"value": "tenant test"},
    "journalTransactionLines": [
        {"operation": "Insert", "accountNumber": {"value": "5000"},
         "subaccount": [{"segmentId": 1, "segmentValue": "10"},
                        {"segmentId": 2, "segmentValue": "110"}],
         "debitAmountInCurrency": {"value": 100}, "creditAmountInCurrency": {"value": 0}},
        {"operation": "Insert", "accountNumber": {"value": "2930"},
         "subaccount": [{"segmentId": 1, "segmentValue": "00"},
                        {"segmentId": 2, "segmentValue": "000"}],
         "debitAmountInCurrency": {"value": 0}, "creditAmountInCurrency": {"value": 100}},
    ],
}  # fmt: skip


def test_each_tenant_is_its_own_company(sandbox):
    sandbox.reset(seed=42, employees=50, gl_runs=False)
    sandbox.visma_tenant(B, seed=42, employees=50, chart="mo_i_rana")
    url = sandbox.visma_url
    assert set(sandbox.visma_admin("GET", "tenants")["tenants"]) >= {TENANT_ID, B}

    a, b = _token(url, TENANT_ID).json()["access_token"], _token(url, B).json()["access_token"]
    a_chart = {x["accountCD"] for x in _get(url, a, "/v1/account").json()}
    b_chart = {x["accountCD"] for x in _get(url, b, "/v1/account").json()}
    assert "5090" in a_chart and "5090" not in b_chart and "5092" in b_chart
    assert {"5000", "2930", "2600"} <= a_chart & b_chart  # charts that share account numbers

    posted = httpx.post(f"{url}/v2/journaltransaction", json=JOURNAL,
                        headers={"Authorization": f"Bearer {b}"})  # fmt: skip
    assert posted.status_code in (200, 201, 204), posted.text
    # the journal is in B's company and nowhere else
    assert len(sandbox.tenant_state(B)["journals"]) == 1
    assert sandbox.visma_state()["journals"] == []
    assert _get(url, a, "/v2/journaltransaction?periodId=202611").json() == []
    assert len(_get(url, b, "/v2/journaltransaction?periodId=202611").json()) == 1


def test_an_unknown_tenant_is_refused_and_faults_stay_in_their_tenant(sandbox):
    sandbox.reset(seed=42, employees=50, gl_runs=False)
    sandbox.visma_tenant(B, seed=42, employees=50, chart="mo_i_rana")
    url = sandbox.visma_url
    refused = _token(url, "no-such-company")
    assert refused.status_code == 400 and refused.json() == {"error": "invalid_client"}

    sandbox.tenant_admin(B, "POST", "faults", {"method": "GET", "path": "/v1/account",
                                               "status": 503, "times": 5})  # fmt: skip
    a, b = _token(url, TENANT_ID).json()["access_token"], _token(url, B).json()["access_token"]
    assert _get(url, b, "/v1/account").status_code == 503  # B is down ...
    assert _get(url, a, "/v1/account").status_code == 200  # ... A is not
    assert [c["status"] for c in sandbox.tenant_admin(B, "GET", "calls")["calls"]
            if c["path"] == "/v1/account"] == [503]  # fmt: skip


def test_a_tenant_keeps_its_state_across_a_restart(sandbox):
    sandbox.reset(seed=42, employees=50, gl_runs=False)
    sandbox.visma_tenant(B, seed=42, employees=50, chart="mo_i_rana")
    sandbox.restart("visma", hard=True)
    assert B in sandbox.visma_admin("GET", "tenants")["tenants"]
    codes = {x["accountCD"] for x in sandbox.tenant_state(B)["accounts"]}
    assert "5092" in codes and "5090" not in codes
    connection = sandbox.tenant_connection(B)
    assert f'"tenant_id": "{B}"' in connection
