"""The Visma bodies against the Visma sandbox over HTTP: field names accepted, read shape
understood, updates idempotent and safe under If-Match, terminations never delete.

Departments are seeded one per cost centre, as ``visma_payload`` documents; the employee's
``department`` then carries the cost centre and the headcount check reads it back.
"""

from __future__ import annotations

import httpx
import pytest

from ukg_visma.employees.diff import ChangeKind, classify
from ukg_visma.employees.headcount import headcount_diff, mismatches
from ukg_visma.employees.visma_payload import apply_change, create_body, department_body


class Visma:
    def __init__(self, sandbox) -> None:
        creds = sandbox.credentials["visma"]
        token = httpx.post(
            creds["token_url"],
            data={
                "grant_type": "client_credentials",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "tenant_id": creds["tenant_id"],
                "scope": " ".join(creds["scopes"]),
            },
        ).json()["access_token"]
        self.http = httpx.Client(
            base_url=creds["base_url"], headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    def read(self, number: str) -> tuple[dict, str]:
        answer = self.http.get(f"/v1/employee/{number}")
        assert answer.status_code == 200, answer.text
        return answer.json(), answer.headers["ETag"]

    def update(self, number: str, change, *, stale_etag: str | None = None) -> int:
        """What ``VismaHook.update`` does: read, mutate, PUT with If-Match, re-read on 412."""
        attempts = 0
        etag = stale_etag
        while True:
            attempts += 1
            current, fresh = self.read(number)
            body = apply_change(current, change)
            if not body:
                return attempts
            answer = self.http.put(
                f"/v1/employee/{number}", json=body, headers={"If-Match": etag or fresh}
            )
            etag = None
            if answer.status_code == 204:
                return attempts
            assert answer.status_code == 412, answer.text
            assert attempts < 3


@pytest.mark.e2e
def test_employee_lifecycle_in_the_visma_sandbox(sandbox, snap, at):
    departments = [
        department_body("110", "10", "Production Moss"),
        department_body("120", "20", "Maintenance Moss"),
    ]
    sandbox.visma_admin(
        "POST",
        "reset",
        {
            "visma": {
                "departments": [
                    {"departmentId": d["departmentId"], "description": d["description"]["value"]}
                    for d in departments
                ]
            }
        },
    )
    visma = Visma(sandbox)

    hired = snap(dateTimeChanged=at(0), emailAddress="kari@example.no")
    hire = classify(None, hired)
    created = visma.http.post(
        "/v1/employee",
        json=create_body(hired, employee_class="EMPL", branch="1", calendar="NO"),
    )
    assert created.status_code == 201, created.text
    current, _ = visma.read("1001")
    assert current["department"] == "110" and current["status"] == "Active"
    assert apply_change(current, hire) == {}  # the created record already matches

    moved = snap(orgLevel2Code="20", orgLevel3Code="120", dateTimeChanged=at(1))
    transfer = classify(hired, moved)
    assert transfer.kind is ChangeKind.TRANSFER
    assert visma.update("1001", transfer) == 1
    assert visma.read("1001")[0]["department"] == "120"
    assert visma.update("1001", transfer) == 1  # idempotent: nothing left to PUT

    # A concurrent writer changes the e-mail; our stale ETag gets 412, re-read, re-apply.
    _, old_etag = visma.read("1001")
    other = visma.http.put(
        "/v1/employee/1001",
        json={"contact": {"email": {"value": "kari@nordicmfg.no"}}},
        headers={"If-Match": old_etag},
    )
    assert other.status_code == 204
    gone = snap(
        orgLevel2Code="20",
        orgLevel3Code="120",
        employeeStatus="T",
        terminationDate="2026-06-30",
        isActive=False,
        dateTimeChanged=at(2),
    )
    termination = classify(moved, gone)
    assert visma.update("1001", termination, stale_etag=old_etag) == 2
    after, _ = visma.read("1001")  # still there: deactivated, never deleted
    assert after["status"] == "Inactive"
    assert after["contact"]["email"] == "kari@nordicmfg.no"

    back = snap(
        orgLevel2Code="20",
        orgLevel3Code="120",
        lastHireDate="2026-09-01",
        terminationDate="2026-06-30",
        dateTimeChanged=at(3),
    )
    rehire = classify(gone, back)
    assert rehire.kind is ChangeKind.REHIRE
    visma.update("1001", rehire)
    assert visma.read("1001")[0]["status"] == "Active"

    listed = visma.http.get("/v1/employee").json()
    frame = headcount_diff([back], listed)
    assert mismatches(frame).empty
    assert frame.set_index("cost_centre").loc["120", "visma_active"] == 1
