"""UKG personnel contract: the change feed (windows, snapshots, paging), lists, admin changes —
each operation in its published shape (docs/contracts.md, "Published UKG personnel operations")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ukg_helpers import (
    EMP_EMPLOYMENT_DETAILS_USED,
    EMP_PERSON_DETAILS_USED,
    EMPLOYEE_CHANGES_RESPONSE,
    EMPLOYEES,
    SNAPSHOT_FIELDS,
)

from sandbox.scenario import build

FEED = "/personnel/v1/employee-changes"
DETAILS = "/personnel/v1/employment-details"
PERSONS = "/personnel/v1/person-details"


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
    assert all(set(e) <= EMPLOYEE_CHANGES_RESPONSE for e in found)  # only published fields
    for gone in ("dateTimeChanged", "payGroup", "originalHireDate", "lastHireDate"):
        assert all(gone not in e for e in found), gone
    current = {e["employeeId"]: e for e in scenario.ukg["employees"]}
    for e in found:  # current full snapshots, employeeNumber a JSON number
        mine = current[e["employeeId"]]
        assert e["employeeNumber"] == int(mine["employeeNumber"])
        assert (e["hireDate"], e["dateOfLastHire"], e["orgLevel3Code"]) == (
            mine["originalHireDate"], mine["lastHireDate"], mine["orgLevel3Code"])  # fmt: skip


def test_the_marketing_alias_is_not_served(ukg):
    params = {"startDate": "2026-06-01", "endDate": "2026-06-30", "per_page": 200}
    assert ukg.get("/personnel/v1/employees/changed", params).status_code == 404
    assert ukg.get("/personnel/v1/employee-ids", {"employeeNumber": "100007"}).status_code in (
        404,
        405,
    )  # fmt: skip  (published as a POST lookup, not a GET list)


def test_feed_of_one_employee(ukg, scenario):
    one = scenario.ukg["employees"][3]
    found = ukg.get(f"{FEED}/{one['employeeId']}").json()
    assert len(found) == 1 and found[0]["employeeId"] == one["employeeId"]
    assert set(found[0]) <= EMPLOYEE_CHANGES_RESPONSE
    assert ukg.get(f"{FEED}/no-such-employee").status_code == 404


def test_feed_shows_rehires_and_terminations(ukg, scenario):
    found = ukg.all_pages(FEED, {"startDate": "2026-01-01", "per_page": 200})
    statuses = {e["employeeStatus"] for e in found}
    assert {"A", "T"} <= statuses
    rehired = [e for e in found if e["terminationDate"] and e["employeeStatus"] == "A"]
    assert rehired and all(e["dateOfLastHire"] > e["terminationDate"] for e in rehired)
    assert all(e["isActive"] is (e["employeeStatus"] != "T") for e in found)


def test_some_employees_have_no_email(ukg):
    found = ukg.all_pages(FEED, {"startDate": "2025-01-01", "per_page": 200})
    without = [e for e in found if not e["emailAddress"]]
    assert without and len(without) < len(found)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"startDate": "yesterday"}, "startDate"),
        ({"startDate": "2026-05-01", "endDate": "2026-04-01"}, "startDate"),
        ({"startDate": "2026-05-01", "per_page": 201}, "per_page"),
        ({"startDate": "2026-05-01", "per_page": 0}, "per_page"),
    ],
    ids=["bad-start", "reversed", "per-page-201", "per-page-0"],
)
def test_feed_validation(ukg, params, field):
    response = ukg.get(FEED, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_each_operation_reads_only_its_own_page_size_spelling(ukg):
    """``per_page`` on the feed, ``per_Page`` on the lists: the other spelling is an unknown
    parameter, ignored (the default page size applies), as on a real tenant."""
    assert len(ukg.get(DETAILS, {"per_Page": 3}).json()) == 3
    assert len(ukg.get(DETAILS, {"per_page": 3}).json()) == 100
    assert len(ukg.get(PERSONS, {"per_Page": 2}).json()) == 2
    feed = {"startDate": "2025-01-01"}
    assert len(ukg.get(FEED, {**feed, "per_page": 2}).json()) == 2
    assert len(ukg.get(FEED, {**feed, "per_Page": 2}).json()) > 2


def test_admin_changes_are_stamped_and_fed(ukg):
    before = datetime.now(UTC) - timedelta(seconds=2)
    hire = {"employeeNumber": "900001", "firstName": "Test", "lastName": "Person",
            "originalHireDate": "2026-11-24", "lastHireDate": "2026-11-24",
            "dateOfLastHire": "2026-11-24", "orgLevel1Code": "MOS", "orgLevel2Code": "10",
            "orgLevel3Code": "110", "jobCode": "OPR", "workLocation": "MOSS"}  # fmt: skip
    saved = ukg.admin("POST", "employees", {"employees": [hire]})["employees"][0]
    assert set(saved) == SNAPSHOT_FIELDS and saved["employeeStatus"] == "A" and saved["isActive"]
    window = {"startDate": before.isoformat(), "per_page": 200}
    fed = ukg.get(FEED, window).json()
    assert [(e["employeeId"], e["employeeNumber"]) for e in fed] == [(saved["employeeId"], 900001)]
    terminated = ukg.admin("POST", "employees", {"employees": [
        {"employeeId": saved["employeeId"], "employeeStatus": "T", "terminationDate": "2026-11-30"}
    ]})["employees"][0]  # fmt: skip
    assert terminated["isActive"] is False and terminated["firstName"] == "Test"
    assert terminated["dateTimeChanged"] >= saved["dateTimeChanged"]
    (fed,) = ukg.get(FEED, window).json()
    assert (fed["employeeStatus"], fed["terminationDate"], fed["isActive"]) == (
        "T", "2026-11-30", False)  # fmt: skip


def test_admin_can_backdate_a_change(ukg):
    one = ukg.get(DETAILS, {"per_Page": 1}).json()[0]
    body = {"employees": [{"employeeId": one["employeeID"], "jobCode": "SUP"}],
            "changed_at": "2026-11-01T12:00:00Z"}  # fmt: skip
    assert ukg.admin("POST", "employees", body)["employees"][0]["dateTimeChanged"] == (
        "2026-11-01T12:00:00Z"
    )
    feed = ukg.get(FEED, {"startDate": "2026-11-01T11:59:59Z", "endDate": "2026-11-01T12:00:01Z"})
    assert [e["employeeId"] for e in feed.json()] == [one["employeeID"]]


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
    employment = ukg.all_pages(DETAILS, {"per_Page": 100})
    assert len(employment) == EMPLOYEES
    assert set(employment[0]) == EMP_EMPLOYMENT_DETAILS_USED
    assert all(isinstance(e["employeeNumber"], str) for e in employment)
    persons = ukg.all_pages(PERSONS, {"per_Page": 200})
    assert {p["employeeId"] for p in persons} == {e["employeeID"] for e in employment}
    assert all(p["emailAddress"] is None or p["emailAddress"].endswith("@nordicmfg.no")
               for p in persons)  # fmt: skip
    assert set(persons[0]) == EMP_PERSON_DETAILS_USED
    # the contract's date operators: ``=>v`` greater than; a bare value means equal
    after = ukg.get(DETAILS, {"dateTimeChanged": ">2026-10-01", "per_Page": 200}).json()
    assert 0 < len(after) < EMPLOYEES
    assert {e["employeeID"] for e in after} == _expected(scenario, "2026-10-02", "9999")
    stamp = after[0]["dateTimeChanged"]
    equal = ukg.get(DETAILS, {"dateTimeChanged": stamp, "per_Page": 200}).json()
    assert equal and all(e["dateTimeChanged"] == stamp for e in equal)
    one = ukg.get(DETAILS, {"employeeId": employment[5]["employeeID"]}).json()
    assert [e["employeeNumber"] for e in one] == [employment[5]["employeeNumber"]]
    by_company = ukg.all_pages("/personnel/v1/companies/C0001/employment-details",
                               {"per_Page": 200})  # fmt: skip
    assert len(by_company) == EMPLOYEES


@pytest.mark.parametrize("number", [None, "", "   ", 1042], ids=["null", "empty", "blank", "int"])
def test_admin_refuses_an_employee_without_a_usable_number(ukg, number):
    """UKG requires an employee number on every employee; the sandbox cannot hold one without
    it (it made person-details answer 500), for a new employee or an update."""
    existing = ukg.get(DETAILS, {"per_Page": 1}).json()[0]
    for item in (
        {"employeeNumber": number, "firstName": "A", "lastName": "B"},
        {"employeeId": existing["employeeID"], "employeeNumber": number},
    ):
        answer = ukg.http.post("/_sandbox/employees", json={"employees": [item]})
        assert answer.status_code == 422, answer.text
        assert "employeeNumber" in answer.json()["errors"]
    assert ukg.get(PERSONS, {"per_Page": 200}).status_code == 200
    assert ukg.get(DETAILS, {"per_Page": 200}).status_code == 200


def test_lists_follow_every_write_while_a_client_pages(ukg):
    """The paged lists are built once per state (the sandbox's own cost per page stays flat at
    20,000 employees), so a write between two pages must still show: a read after a change
    sees it, on every list and in a closed change-feed window."""
    first = ukg.get(DETAILS, {"per_Page": 1}).json()[0]
    window = {"startDate": "2026-11-02T00:00:00Z", "endDate": "2026-11-02T23:59:59Z",
              "per_page": 200}  # fmt: skip
    before = {e["employeeId"] for e in ukg.get(FEED, window).json()}  # built and kept
    assert first["employeeID"] not in before
    ukg.admin("POST", "employees", {
        "employees": [{"employeeId": first["employeeID"], "jobCode": "MGR"}],
        "changed_at": "2026-11-02T08:00:00Z",
    })  # fmt: skip
    again = ukg.get(DETAILS, {"per_Page": 1}).json()[0]
    assert again["employeeID"] == first["employeeID"] and again["primaryJobCode"] == "MGR"
    assert {e["employeeId"] for e in ukg.get(FEED, window).json()} == before | {first["employeeID"]}
    hire = {"employeeNumber": "000001", "firstName": "Ada", "lastName": "Først",
            "originalHireDate": "2026-11-24", "lastHireDate": "2026-11-24",
            "dateOfLastHire": "2026-11-24", "orgLevel1Code": "MOS", "orgLevel2Code": "10",
            "orgLevel3Code": "110", "jobCode": "OPR", "workLocation": "MOSS"}  # fmt: skip
    saved = ukg.admin("POST", "employees", {"employees": [hire]})["employees"][0]
    persons = ukg.get(PERSONS, {"per_Page": 1}).json()
    assert persons[0]["employeeId"] == saved["employeeId"]  # sorted first by number
    found = ukg.get(DETAILS, {"employeeNumber": "000001"}).json()
    assert [e["employeeID"] for e in found] == [saved["employeeId"]]
    assert found[0]["employeeNumber"] == "000001"  # the string keeps its zeros
    (fed,) = ukg.get(f"{FEED}/{saved['employeeId']}").json()
    assert fed["employeeNumber"] == 1  # a JSON number cannot
