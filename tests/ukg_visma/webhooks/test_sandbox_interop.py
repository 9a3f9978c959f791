"""The UKG sandbox's webhook emitter delivers into this receiver: same signing, same event shape.

Every employee change made through the sandbox's admin API is signed by the sandbox and must be
accepted (202) and enqueued exactly once, including the duplicates the sandbox sends on purpose.
Also checks that every snapshot the sandbox's change feed returns validates as an
``EmployeeSnapshot``.
"""

from __future__ import annotations

import httpx
import pytest

from ukg_visma.audit import inbox
from ukg_visma.employees.models import EmployeeSnapshot

SECRET = "test-webhook-secret-0123456789"


@pytest.mark.e2e
def test_sandbox_webhooks_are_accepted_and_deduplicated(sandbox, receiver):
    sandbox.reset(scenario="manufacturer", seed=7, employees=60)
    sandbox.ukg_admin(
        "POST",
        "webhooks",
        {"url": receiver.url, "secret": SECRET, "duplicate_rate": 0.5, "shuffle": True},
    )
    new_hires = [
        {
            "employeeNumber": f"9{i:03d}",
            "firstName": "Test",
            "lastName": f"Hire{i}",
            "companyId": "C0001",
            "employeeStatus": "A",
            "orgLevel1Code": "MOS",
            "orgLevel2Code": "10",
            "orgLevel3Code": "110",
            "jobCode": "OPR1",
            "lastHireDate": "2026-11-01",
            "originalHireDate": "2026-11-01",
        }
        for i in range(12)
    ]
    result = sandbox.ukg_admin("POST", "employees", {"employees": new_hires, "wait": True})
    sent = {e["EventId"] for e in result["events"]}
    deliveries = sandbox.ukg_admin("GET", "webhook-deliveries")
    entries = deliveries if isinstance(deliveries, list) else deliveries.get("deliveries", [])
    assert entries, "the sandbox reported no deliveries"
    assert {d["outcome"] for d in entries} == {"delivered"}
    assert {d["httpStatus"] for d in entries} == {202}
    assert any(d["duplicate"] for d in entries)
    rows = inbox.fetch_events(receiver.engine)
    assert {r["event_id"] for r in rows} == sent  # each once, duplicates absorbed
    assert receiver.rejections() == []
    hired = {e["employeeId"] for e in result["employees"]}
    assert {r["employee_id"] for r in rows} == hired


@pytest.mark.e2e
def test_sandbox_change_feed_snapshots_validate(sandbox):
    sandbox.reset(scenario="manufacturer", seed=7, employees=60)
    creds = sandbox.credentials
    ukg = creds["ukg"]
    token_url = f"{sandbox.ukg_url}/signin/oauth2/t/{ukg['tenant_alias']}/access_token"
    token = httpx.post(
        token_url,
        json={
            "client_id": ukg["client_id"],
            "client_secret": ukg["client_secret"],
            "grant_type": "client_credentials",
        },
    ).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "US-Customer-Api-Key": ukg["customer_api_key"],
    }
    answer = httpx.get(
        f"{sandbox.ukg_url}/personnel/v1/employee-changes",
        params={"startDate": "2026-01-01", "endDate": "2026-12-31", "per_page": 200},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    snapshots = [EmployeeSnapshot.model_validate(item) for item in answer.json()]
    assert snapshots
    assert {s.employeeStatus for s in snapshots} <= {"A", "L", "T"}
