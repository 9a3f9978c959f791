"""/v1/employee: create (EmployeeCreateDTO), read with ETag, update with If-Match, paged list."""

from __future__ import annotations

from typing import Any

import pytest


def employee(number: str = "100123", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employeeCd": {"value": number},
        "department": {"value": "10"},
        "employeeClass": {"value": "EMPL"},
        "branch": {"value": "1"},
        "calendar": {"value": "NO"},
        "contact": {
            "firstName": {"value": "Kari"},
            "lastName": {"value": "Nordmann"},
            "email": {"value": "kari.nordmann@nordicmfg.no"},
        },
        "status": {"value": "Active"},
    }
    body.update(changes)
    return body


def test_create_then_read_with_etag(visma):
    answer = visma.post("/v1/employee", json=employee())
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"].endswith("/v1/employee/100123")
    read = visma.get("/v1/employee/100123")
    assert read.status_code == 200 and read.headers["ETag"] == answer.headers["ETag"]
    record = read.json()
    assert isinstance(record["employeeId"], int)
    assert record["employeeNumber"] == "100123" and record["employeeName"] == "Kari Nordmann"
    assert record["status"] == "Active" and record["department"] == "10"
    assert record["contact"]["firstName"] == "Kari" and record["contact"]["lastName"] == "Nordmann"
    assert {"lastModifiedDateTime", "timeStamp", "employeeClass", "branch"} <= set(record)
    assert visma.state()["employees"][0]["employeeNumber"] == "100123"


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"employeeCd": None}, 400, "employeeCd"),
        ({"employeeClass": None}, 400, "employeeClass"),
        ({"contact": None}, 400, "contact"),
        ({"department": {"value": "99"}}, 400, "Department '99'"),
        ({"status": {"value": "Sleeping"}}, 400, "Sleeping"),
        (
            {"contact": {"firstName": {"value": "Kari"}, "email": {"value": "k@x.no"}}},
            400,
            "contact.lastName",
        ),
        (
            {"contact": {"firstName": {"value": "Kari"}, "lastName": {"value": "N"}}},
            400,
            "contact.email",
        ),
        ({"contact": {"lastName": {"value": "N"}, "email": {"value": ""}}}, 400, "contact.email"),
    ],
    ids=[
        "no-cd",
        "no-class",
        "no-contact",
        "bad-department",
        "bad-status",
        "no-last-name",
        "no-email",
        "blank-email",
    ],
)
def test_create_refusals(visma, body, status, needle):
    answer = visma.post("/v1/employee", json=employee(**body))
    assert answer.status_code == status
    assert needle in answer.json()["ExceptionMessage"]
    assert visma.state()["employees"] == []


def test_duplicate_create_is_400(visma):
    assert visma.post("/v1/employee", json=employee()).status_code == 201
    assert visma.post("/v1/employee", json=employee()).status_code == 400


def test_put_with_if_match_and_412(visma):
    etag = visma.post("/v1/employee", json=employee()).headers["ETag"]
    without_contact = {"status": {"value": "Inactive"}}
    refused = visma.put("/v1/employee/100123", json=without_contact, headers={"If-Match": etag})
    assert refused.status_code == 400 and "contact" in refused.json()["ExceptionMessage"]
    contact = {"lastName": {"value": "Nordmann"}}  # EmployeeUpdateDto: contact is required
    change = {"status": {"value": "Inactive"}, "department": {"value": "20"}, "contact": contact}
    answer = visma.put("/v1/employee/100123", json=change, headers={"If-Match": etag})
    assert answer.status_code == 204 and answer.headers["ETag"] != etag
    record = visma.get("/v1/employee/100123").json()
    assert record["status"] == "Inactive" and record["department"] == "20"
    stale = visma.put(
        "/v1/employee/100123",
        json={"status": {"value": "Active"}, "contact": contact},
        headers={"If-Match": etag},
    )
    assert stale.status_code == 412 and stale.content == b""
    assert visma.get("/v1/employee/100123").json()["status"] == "Inactive"


def test_put_unknown_employee_is_404(visma):
    assert visma.put("/v1/employee/nobody", json={}).status_code == 404
    assert visma.get("/v1/employee/nobody").status_code == 404


def test_list_is_paged_with_metadata(visma):
    for n in range(5):
        assert visma.post("/v1/employee", json=employee(f"10{n}")).status_code == 201
    page = visma.get("/v1/employee", params={"pageNumber": 2, "pageSize": 2}).json()
    assert [e["employeeNumber"] for e in page] == ["102", "103"]
    assert page[0]["metadata"] == {"totalCount": 5, "maxPageSize": 1000}
    stamp = visma.get("/v1/employee/104").json()["lastModifiedDateTime"]
    recent = visma.get(
        "/v1/employee",
        params={"lastModifiedDateTime": stamp, "lastModifiedDateTimeCondition": ">="},
    ).json()
    assert "104" in [e["employeeNumber"] for e in recent]
