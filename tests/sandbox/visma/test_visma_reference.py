"""Accounts, dimensions/segments (ETag, If-Match, batched value operations), subaccounts,
departments, projects and financial periods: field names as in the OpenAPI document."""

from __future__ import annotations

import pytest
from visma_helpers import journal


def test_accounts_have_account_dto_fields(visma):
    answer = visma.get("/v1/account")
    assert answer.status_code == 200
    accounts = {a["accountCD"]: a for a in answer.json()}
    assert set(accounts) == {"5000", "5010", "2930", "1500", "1920"}
    wages = accounts["5000"]
    for field in (
        "accountID",
        "accountCD",
        "accountClass",
        "type",
        "active",
        "description",
        "postOption",
        "controlAccountModule",
        "lastModifiedDateTime",
        "timeStamp",
        "metadata",
    ):
        assert field in wages, field
    assert isinstance(wages["accountID"], int) and wages["type"] == "Expense"
    assert accounts["1500"]["controlAccountModule"] == "AR"
    assert accounts["5010"]["active"] is False
    assert wages["metadata"]["totalCount"] == 5


def test_account_filters(visma):
    active = visma.get("/v1/account", params={"active": "true"}).json()
    assert "5010" not in {a["accountCD"] for a in active}
    recent = visma.get(
        "/v1/account",
        params={
            "lastModifiedDateTime": "2026-02-01",
            "lastModifiedDateTimeCondition": ">",
        },
    ).json()
    assert [a["accountCD"] for a in recent] == ["1920"]
    bad = visma.get("/v1/account", params={"lastModifiedDateTime": "yesterday"})
    assert bad.status_code == 400 and "ExceptionMessage" in bad.json()


def test_dimension_list_and_dimension(visma):
    assert visma.get("/v1/dimension").json() == ["SUBACCOUNT"]
    dim = visma.get("/v1/dimension/SUBACCOUNT").json()
    assert {k: dim[k] for k in ("id", "description", "length")} == {
        "id": "SUBACCOUNT",
        "description": "Subaccount",
        "length": 5,
    }
    assert [s["segmentId"] for s in dim["segments"]] == [1, 2]
    assert {v["valueId"] for v in dim["segments"][0]["segmentValues"]} == {"00", "10", "20"}
    bare = visma.get("/v1/dimension/SUBACCOUNT", params={"expandSegmentsValues": "false"})
    assert "segmentValues" not in bare.json()["segments"][0]
    assert visma.get("/v1/dimension/NOPE").status_code == 404


def test_segment_get_has_etag_and_dto_fields(visma):
    answer = visma.get("/v1/dimension/SUBACCOUNT/2")
    assert answer.status_code == 200
    seg = answer.json()
    assert answer.headers["ETag"] == f'"{seg["timeStamp"]}"'
    assert {k: seg[k] for k in ("segmentId", "description", "length", "validate")} == {
        "segmentId": 2,
        "description": "Cost centre",
        "length": 3,
        "validate": True,
    }
    value = next(v for v in seg["segmentValues"] if v["valueId"] == "199")
    assert value["active"] is False and value["description"] == "Closed line Moss"
    assert {"segmentId", "valueId", "description", "active", "timeStamp", "lastModified"} <= set(
        value
    )
    one = visma.get("/v1/dimension/SUBACCOUNT/2/110")
    assert one.status_code == 200 and one.json()["valueId"] == "110"


def _put_values(visma, etag, *values, segment=2):
    headers = {"If-Match": etag} if etag else {}
    return visma.put(
        f"/v1/dimension/SUBACCOUNT/{segment}",
        json={"segmentValues": list(values)},
        headers=headers,
    )


def test_segment_put_batches_operations_and_rotates_etag(visma):
    etag = visma.get("/v1/dimension/SUBACCOUNT/2").headers["ETag"]
    answer = _put_values(
        visma,
        etag,
        {
            "operation": "Insert",
            "value": "360",
            "description": {"value": "Commissioning"},
            "active": {"value": True},
        },
        {"operation": "Update", "value": "199", "active": {"value": True}},
        {"operation": "Update", "value": "120", "description": {"value": "Maint. Moss"}},
        {"operation": "Delete", "value": "000"},
    )
    assert answer.status_code == 204 and answer.content == b""
    new_etag = answer.headers["ETag"]
    assert new_etag != etag
    seg = visma.get("/v1/dimension/SUBACCOUNT/2")
    assert seg.headers["ETag"] == new_etag
    values = {v["valueId"]: v for v in seg.json()["segmentValues"]}
    assert values["360"]["description"] == "Commissioning" and values["360"]["active"]
    assert values["199"]["active"] is True
    assert values["120"]["description"] == "Maint. Moss"
    assert "000" not in values
    state = visma.state()["segments"]["SUBACCOUNT"]["2"]["segmentValues"]
    assert "360" in {v["valueId"] for v in state}


def test_segment_put_with_stale_etag_is_412_with_empty_body(visma):
    etag = visma.get("/v1/dimension/SUBACCOUNT/2").headers["ETag"]
    first = _put_values(visma, etag, {"operation": "Insert", "value": "130"})
    assert first.status_code == 204
    stale = _put_values(visma, etag, {"operation": "Insert", "value": "140"})
    assert stale.status_code == 412 and stale.content == b""
    values = {v["valueId"] for v in visma.get("/v1/dimension/SUBACCOUNT/2").json()["segmentValues"]}
    assert "130" in values and "140" not in values


def test_segment_put_without_if_match_overwrites(visma):
    visma.get("/v1/dimension/SUBACCOUNT/2")
    assert _put_values(visma, None, {"operation": "Insert", "value": "130"}).status_code == 204


@pytest.mark.parametrize(
    "item",
    [
        {"operation": "Insert", "value": "110"},
        {"operation": "Update", "value": "999"},
        {"operation": "Delete", "value": "999"},
        {"operation": "Insert", "value": "1234"},
        {"operation": "Upsert", "value": "130"},
    ],
    ids=["duplicate", "update-missing", "delete-missing", "too-long", "bad-operation"],
)
def test_segment_put_refuses_bad_batches_whole(visma, item):
    etag = visma.get("/v1/dimension/SUBACCOUNT/2").headers["ETag"]
    answer = _put_values(visma, etag, {"operation": "Insert", "value": "130"}, item)
    assert answer.status_code == 400
    assert set(answer.json()) >= {"ExceptionType", "ExceptionMessage", "ExceptionFaultCode"}
    seg = visma.get("/v1/dimension/SUBACCOUNT/2")
    assert seg.headers["ETag"] == etag  # nothing of the batch was applied
    assert "130" not in {v["valueId"] for v in seg.json()["segmentValues"]}


def test_segment_value_used_in_a_journal_cannot_be_deleted(visma):
    assert visma.post("/v2/journaltransaction", json=journal()).status_code == 201
    etag = visma.get("/v1/dimension/SUBACCOUNT/2").headers["ETag"]
    answer = _put_values(visma, etag, {"operation": "Delete", "value": "110"})
    assert answer.status_code == 400 and "used" in answer.json()["ExceptionMessage"]


def test_subaccounts_appear_when_used(visma):
    assert visma.get("/v1/subaccount").json() == []
    visma.post("/v2/journaltransaction", json=journal())
    subs = {s["subaccountNumber"]: s for s in visma.get("/v1/subaccount").json()}
    assert set(subs) == {"10-110", "00-000"}
    sub = subs["10-110"]
    assert {"subaccountId", "description", "active", "segments", "timeStamp"} <= set(sub)
    assert sub["segments"][1] == {
        "segmentId": 2,
        "segmentDescription": "Cost centre",
        "segmentValue": "110",
        "segmentValueDescription": "Production Moss",
    }
    assert visma.get("/v1/subaccount/10-110").status_code == 200


def test_departments_projects_periods(visma):
    departments = visma.get("/v1/department").json()
    assert [d["departmentId"] for d in departments] == ["10", "20"]
    assert visma.get("/v1/department/10").json()["description"] == "Production"
    projects = {p["projectID"]: p for p in visma.get("/v1/project").json()}
    assert projects["P1001"]["tasks"][0]["taskId"] == "01"
    assert {"internalID", "status", "description", "timeStamp"} <= set(projects["P1001"])
    assert visma.get("/v1/project/P1002").json()["status"] == "Completed"
    periods = visma.get("/v1/financialPeriod").json()
    assert [p["period"] for p in periods][:2] == ["202603", "202604"]
    closed = visma.get("/v1/financialPeriod/202603").json()
    assert closed["closedInGeneralLedger"] is True
    assert closed["startDate"] == "2026-03-01T00:00:00"
    assert {"year", "period", "startDate", "endDate", "description", "active"} <= set(closed)
    missing = visma.get("/v1/financialPeriod/209912")
    assert missing.status_code == 404 and "ExceptionMessage" in missing.json()


def test_department_create_and_update_with_if_match(visma):
    body = {
        "departmentId": "110",
        "description": {"value": "Production Moss"},
        "expenseSubaccount": [
            {"segmentId": 1, "segmentValue": "10"},
            {"segmentId": 2, "segmentValue": "110"},
        ],
    }
    created = visma.post("/v1/department", json=body)
    assert created.status_code == 201
    assert "Location" not in created.headers and created.headers["ETag"]  # published: no Location
    assert visma.post("/v1/department", json=body).status_code == 400
    got = visma.get("/v1/department/110")
    assert got.json()["expenseSubaccount"][1]["segmentValue"] == "110"
    etag = got.headers["ETag"]
    renamed = {"description": {"value": "Production line Moss"}}
    assert visma.put(
        "/v1/department/110", json=renamed, headers={"If-Match": etag}
    ).status_code == (204)
    stale = visma.put("/v1/department/110", json=renamed, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.content == b""
    assert visma.get("/v1/department/110").json()["description"] == "Production line Moss"
