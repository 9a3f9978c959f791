"""UKG admin contract: reset, state, credentials, and state that survives a restart."""

from __future__ import annotations

import json

from ukg_helpers import API_KEY, UkgClient, start


def test_reset_reports_the_scenario(ukg):
    answer = ukg.admin("POST", "reset", {"seed": 42, "employees": 250, "unknown_key": 1,
                                         "visma_segments": "empty"})  # fmt: skip
    assert answer["employees"] == 250
    assert answer["glRuns"][:2] == ["NMF-202601-R1", "NMF-202602-R1"]
    assert answer["glRuns"][-1] == "NMF-202610-C1" and len(answer["glRuns"]) == 11
    assert answer["broken"] == {"2026-04": {"unmapped_cost_centres": ["360"]},
                                "2026-05": {"unknown_projects": ["PRJ1099"]}}  # fmt: skip
    assert answer["ignored"] == ["unknown_key"]
    bad = ukg.http.post("/_sandbox/reset", json={"cost_centers": 3})
    assert bad.status_code == 400
    assert ukg.http.post("/_sandbox/reset", json={"scenario": "bakery"}).status_code == 400


def test_state_and_credentials(ukg):
    state = ukg.admin("GET", "state")
    assert state["employees"] == 250 and len(state["glRuns"]) == 11
    assert state["switches"] == {"org_level_writes": False}
    creds = ukg.admin("GET", "credentials")
    conn = json.loads(creds["env"]["AIRFLOW_CONN_UKG_DEFAULT"])
    assert conn["conn_type"] == "ukg" and conn["host"] == ukg.url
    assert conn["extra"] == {"tenant_alias": "nordicmfg", "customer_api_key": API_KEY,
                             "auth_mode": "oauth"}  # fmt: skip
    form = {"grant_type": "client_credentials", "client_id": conn["login"],
            "client_secret": conn["password"]}  # fmt: skip
    token = ukg.http.post(creds["token_url"], data=form)
    assert token.status_code == 200


def test_state_survives_a_restart(tmp_path):
    first = UkgClient(start(tmp_path, employees=120))
    try:
        headers = first.bearer()
        hire = {"employeeNumber": "900003", "firstName": "Var", "lastName": "Her"}
        eid = first.admin("POST", "employees", {"employees": [hire]})["employees"][0]["employeeId"]
        first.admin("POST", "gl-runs", {"runId": "KEEP-1", "periodStartDate": "2026-11-01",
                                        "periodEndDate": "2026-11-30", "payDate": "2026-11-25",
                                        "lines": [{"baseSegment": "1920", "debitAmt": "0",
                                                   "creditAmt": "0"}]})  # fmt: skip
        first.admin("POST", "switches", {"org_level_writes": True})
        block = first.get("/payroll/v2/general-ledger", {"runId": "NMF-202603-R1"}).json()
    finally:
        first.server.stop()
        first.app.sandbox.store.close()
    second = UkgClient(start(tmp_path, employees=999, seed=1))  # start-up args do not re-seed
    try:
        params = {"employeeId": eid}
        kept = second.get("/personnel/v1/employment-details", params, headers=headers)
        assert kept.status_code == 200  # the old token is still valid
        assert kept.json()[0]["employeeNumber"] == "900003"
        again = second.get("/payroll/v2/general-ledger", {"runId": "NMF-202603-R1"})
        assert again.json() == block
        assert second.get("/payroll/v2/general-ledger/KEEP-1").status_code == 200
        assert second.admin("GET", "switches") == {"org_level_writes": True}
        assert second.admin("GET", "state")["employees"] == 121
    finally:
        second.server.stop()
        second.app.sandbox.store.close()
