"""UKG personnel contract: the change feed (windows, snapshots, paging), lists, admin changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ukg_helpers import EMPLOYEES, SNAPSHOT_FIELDS

from sandbox.scenario import build

FEED = "/personnel/v1/employee-changes"


@pytest.fixture(scope="module")
def scenario():
    return build(42, EMPLOYEES)


def _expected(scenario, start: str, end: str) -> set[str]:
    return {
        ch["employeeId"]
        for ch in scenario.ukg["employeeChanges"]
        if start <= ch["dateTimeChanged"] <= end
    }


def test_feed_returns_everyone_changed_in_the_window(ukg, scenario):
    found = ukg.all_pages(FEED, {"startDate": "2026-04-01T00:00:00Z",
                                 "endDate": "2026-04-30", "per_page": 2})  # fmt: skip
    ids = [e["employeeId"] for e in found]
    assert len(ids) == len(set(ids))
    assert set(ids) == _expected(scenario, "2026-04-01T00:00:00Z", "2026-04-30T23:59:59Z")
    assert len(ids) > 2  # several pages were needed
    assert all(set(e) == SNAPSHOT_FIELDS for e in found)
    current = {e["employeeId"]: e for e in scenario.ukg["employees"]}
    assert all(e == current[e["employeeId"]] for e in found)  # current full snapshots


def test_alias_serves_the_same_feed(ukg):
    params = {"startDate": "2026-06-01", "endDate": "2026-06-30", "per_page": 200}
    assert ukg.get(FEED, params).json() == ukg.get("/personnel/v1/employees/changed", params).json()


def test_feed_shows_rehires_and_terminations(ukg, scenario):
    found = ukg.all_pages(FEED, {"startDate": "2026-01-01", "per_page": 200})
    statuses = {e["employeeStatus"] for e in found}
    assert {"A", "T"} <= statuses
    rehired = [e for e in found if e["terminationDate"] and e["employeeStatus"] == "A"]
    assert rehired and all(e["lastHireDate"] > e["terminationDate"] for e in rehired)
    assert all(e["isActive"] is (e["employeeStatus"] != "T") for e in found)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "startDate"),
        ({"startDate": "yesterday"}, "startDate"),
        ({"startDate": "2026-05-01", "endDate": "2026-04-01"}, "startDate"),
        ({"startDate": "2026-05-01", "per_page": 201}, "per_page"),
        ({"startDate": "2026-05-01", "per_page": 0}, "per_page"),
    ],
    ids=["no-start", "bad-start", "reversed", "per-page-201", "per-page-0"],
)
def test_feed_validation(ukg, params, field):
    response = ukg.get(FEED, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_admin_changes_are_stamped_and_fed(ukg):
    before = datetime.now(UTC) - timedelta(seconds=2)
    hire = {"employeeNumber": "900001", "firstName": "Test", "lastName": "Person",
            "originalHireDate": "2026-11-24", "lastHireDate": "2026-11-24",
            "dateOfLastHire": "2026-11-24", "orgLevel1Code": "MOS", "orgLevel2Code": "10",
            "orgLevel3Code": "110", "jobCode": "OPR", "workLocation": "MOSS"}  # fmt: skip
    saved = ukg.admin("POST", "employees", {"employees": [hire]})["employees"][0]
    assert set(saved) == SNAPSHOT_FIELDS and saved["employeeStatus"] == "A" and saved["isActive"]
    window = {"startDate": before.isoformat(), "per_page": 200}
    assert [e["employeeId"] for e in ukg.get(FEED, window).json()] == [saved["employeeId"]]
    terminated = ukg.admin("POST", "employees", {"employees": [
        {"employeeId": saved["employeeId"], "employeeStatus": "T", "terminationDate": "2026-11-30"}
    ]})["employees"][0]  # fmt: skip
    assert terminated["isActive"] is False and terminated["firstName"] == "Test"
    assert terminated["dateTimeChanged"] >= saved["dateTimeChanged"]
    fed = ukg.get(FEED, window).json()
    assert fed == [terminated]


def test_admin_can_backdate_a_change(ukg):
    one = ukg.get("/personnel/v1/employment-details", {"per_page": 1}).json()[0]
    body = {"employees": [{"employeeId": one["employeeId"], "jobCode": "SUP"}],
            "changed_at": "2026-11-01T12:00:00Z"}  # fmt: skip
    assert ukg.admin("POST", "employees", body)["employees"][0]["dateTimeChanged"] == (
        "2026-11-01T12:00:00Z"
    )
    feed = ukg.get(FEED, {"startDate": "2026-11-01T11:59:59Z", "endDate": "2026-11-01T12:00:01Z"})
    assert [e["employeeId"] for e in feed.json()] == [one["employeeId"]]


def test_admin_refuses_bad_snapshots(ukg):
    for body in (
        {"employees": [{"employeeNumber": "1"}]},  # new employee without names
        {"employees": [{"employeeId": "x", "firstName": "A", "lastName": "B",
                        "employeeNumber": "1", "salary": 5}]},  # not a snapshot field
        {"employees": [{"employeeNumber": "2", "firstName": "A", "lastName": "B",
                        "employeeStatus": "Z"}]},
        {"employees": []},
    ):  # fmt: skip
        assert ukg.http.post("/_sandbox/employees", json=body).status_code == 400


def test_employment_and_person_details(ukg, scenario):
    employment = ukg.all_pages("/personnel/v1/employment-details", {"per_page": 100})
    assert len(employment) == EMPLOYEES
    assert set(employment[0]) == SNAPSHOT_FIELDS - {"firstName", "lastName"}
    persons = ukg.all_pages("/personnel/v1/person-details", {"per_page": 200})
    assert {p["employeeId"] for p in persons} == {e["employeeId"] for e in employment}
    assert all(p["emailAddress"].endswith("@nordicmfg.no") for p in persons)
    assert {"firstName", "lastName", "dateTimeChanged"} <= set(persons[0])
    changed = ukg.get("/personnel/v1/employment-details",
                      {"dateTimeChanged": "2026-10-01", "per_page": 200}).json()  # fmt: skip
    assert 0 < len(changed) < EMPLOYEES
    assert {e["employeeId"] for e in changed} == _expected(scenario, "2026-10-01", "9999")


def test_employee_ids_lookup(ukg):
    ids = ukg.get("/personnel/v1/employee-ids", {"employeeNumber": "100007"}).json()
    assert len(ids) == 1 and set(ids[0]) == {"employeeId", "companyId", "employeeNumber"}
    detail = ukg.get("/personnel/v1/employment-details", {"employeeId": ids[0]["employeeId"]})
    assert detail.json()[0]["employeeNumber"] == "100007"


@pytest.mark.parametrize("number", [None, "", "   ", 1042], ids=["null", "empty", "blank", "int"])
def test_admin_refuses_an_employee_without_a_usable_number(ukg, number):
    """UKG requires an employee number on every employee; the sandbox cannot hold one without
    it (it made person-details answer 500), for a new employee or an update."""
    existing = ukg.get("/personnel/v1/employment-details", {"per_page": 1}).json()[0]
    for item in (
        {"employeeNumber": number, "firstName": "A", "lastName": "B"},
        {"employeeId": existing["employeeId"], "employeeNumber": number},
    ):
        answer = ukg.http.post("/_sandbox/employees", json={"employees": [item]})
        assert answer.status_code == 422, answer.text
        assert "employeeNumber" in answer.json()["errors"]
    persons = ukg.get("/personnel/v1/person-details", {"per_page": 200})
    assert persons.status_code == 200
    assert ukg.get("/personnel/v1/employment-details", {"per_page": 200}).status_code == 200


def test_lists_follow_every_write_while_a_client_pages(ukg):
    """The paged lists are built once per state (the sandbox's own cost per page stays flat at
    20,000 employees), so a write between two pages must still show: a read after a change
    sees it, on every list and in a closed change-feed window."""
    first = ukg.get("/personnel/v1/employment-details", {"per_page": 1}).json()[0]
    window = {"startDate": "2026-11-02T00:00:00Z", "endDate": "2026-11-02T23:59:59Z",
              "per_page": 200}  # fmt: skip
    before = {e["employeeId"] for e in ukg.get(FEED, window).json()}  # built and kept
    assert first["employeeId"] not in before
    ukg.admin("POST", "employees", {
        "employees": [{"employeeId": first["employeeId"], "jobCode": "MGR"}],
        "changed_at": "2026-11-02T08:00:00Z",
    })  # fmt: skip
    again = ukg.get("/personnel/v1/employment-details", {"per_page": 1}).json()[0]
    assert again["employeeId"] == first["employeeId"] and again["jobCode"] == "MGR"
    assert {e["employeeId"] for e in ukg.get(FEED, window).json()} == before | {first["employeeId"]}
    hire = {"employeeNumber": "000001", "firstName": "Ada", "lastName": "Først",
            "originalHireDate": "2026-11-24", "lastHireDate": "2026-11-24",
            "dateOfLastHire": "2026-11-24", "orgLevel1Code": "MOS", "orgLevel2Code": "10",
            "orgLevel3Code": "110", "jobCode": "OPR", "workLocation": "MOSS"}  # fmt: skip
    saved = ukg.admin("POST", "employees", {"employees": [hire]})["employees"][0]
    persons = ukg.get("/personnel/v1/person-details", {"per_page": 1}).json()
    assert persons[0]["employeeId"] == saved["employeeId"]  # sorted first by number
    ids = ukg.get("/personnel/v1/employee-ids", {"employeeNumber": "000001"}).json()
    assert [i["employeeId"] for i in ids] == [saved["employeeId"]]
