from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import ValidationError

from ukg_visma.employees.models import EmployeeSnapshot, WebhookEvent


def test_snapshot_keeps_unknown_fields_and_reads_both_hire_date_names(snap):
    s = EmployeeSnapshot.model_validate(
        {
            "employeeId": "E1",
            "employeeNumber": "7",
            "employeeStatus": "A",
            "dateTimeChanged": "2026-05-01T10:00:00+02:00",
            "dateOfLastHire": "2026-04-01T00:00:00Z",
            "terminationDate": "",
            "supervisorName": "new UKG field",
        }
    )
    assert s.lastHireDate == dt.date(2026, 4, 1)
    assert s.terminationDate is None
    assert s.model_extra == {"supervisorName": "new UKG field"}
    assert s.dateTimeChanged == dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC)
    again = EmployeeSnapshot.model_validate(s.to_json())
    assert again == s


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("employeeStatus", "X"),
        ("employeeStatus", None),
        ("dateTimeChanged", "2026-05-01T08:00:00"),  # naive: order would depend on a time zone
        ("dateTimeChanged", 1777622400),  # a number is not a UKG timestamp
        ("orgLevel3Code", 110),  # codes are strings ("050" ≠ 50)
        ("employeeNumber", True),  # the feed's number is a number, not a flag
        ("employeeNumber", "  "),
        ("lastHireDate", 20260401),
        ("terminationDate", "31.05.2026"),
        ("isActive", "yes"),
        ("employeeId", ""),
    ],
    ids=lambda v: str(v),
)
def test_snapshot_is_strict_on_fields_the_sync_uses(snap, field, value):
    data = snap().to_json() | {field: value}
    with pytest.raises(ValidationError):
        EmployeeSnapshot.model_validate(data)


def _event(**overrides) -> dict:
    base = {
        "EventId": "evt-0001",
        "EventTime": "2026-05-31T12:00:00Z",
        "EventType": "EmployeeHireEvent",
        "Operation": "Insert",
        "Payload": {"CoId": "C0001", "EeId": "5f3a-0001"},
        "Tenant": "nordicmfg",
    }
    return base | overrides


def test_webhook_event_parses_the_documented_shape():
    e = WebhookEvent.model_validate_json(json.dumps(_event()))
    assert e.Payload.EeId == "5f3a-0001"
    assert e.is_employee_event
    gl = WebhookEvent.model_validate_json(
        json.dumps(
            _event(
                EventType="PayrollGLExportCompletedEvent", Payload={"CoId": "C0001", "RunId": "R1"}
            )
        )
    )
    assert gl.Payload.RunId == "R1"
    assert not gl.is_employee_event


@pytest.mark.parametrize(
    "overrides",
    [
        {"Extra": 1},
        {"Operation": "Upsert"},
        {"EventTime": "2026-05-31T12:00:00"},
        {"EventTime": 1780000000},
        {"EventId": ""},
        {"EventId": 12345},
        {"EventId": "x" * 121},
        {"EventId": "a b"},
        {"Payload": {"CoId": "C0001", "EeId": "E1", "Salary": 1}},
        {"Payload": {"CoId": "C0001"}},  # an employee event must name the employee
        {"Payload": {"CoId": 1, "EeId": "E1"}},
        {"Tenant": None},
        {"EventType": "Employee Hire"},
    ],
    ids=lambda o: json.dumps(o)[:40],
)
def test_webhook_event_is_strict(overrides):
    with pytest.raises(ValidationError):
        WebhookEvent.model_validate_json(json.dumps(_event(**overrides)))


def test_employee_number_has_one_canonical_form(snap):
    """The feed's ``employeeNumber`` is a JSON number, employment-details' a string that may
    keep leading zeros: both name the same employee (and the same Visma ``employeeCd``)."""
    forms = (1001, "1001", "0001001", " 1001 ", 1001.0)
    assert {EmployeeSnapshot.model_validate(snap().to_json() | {"employeeNumber": f})
            .employeeNumber for f in forms} == {"1001"}  # fmt: skip
    assert snap(employeeNumber="A-07").employeeNumber == "A-07"


def test_employment_details_spelling_reads_as_the_same_snapshot(snap):
    feed = snap().to_json()
    details = {
        "employeeID": feed["employeeId"], "companyID": feed["companyId"],
        "employeeNumber": "00" + feed["employeeNumber"],
        "employeeStatusCode": feed["employeeStatus"], "originalHireDate": "2020-01-01",
        "lastHireDate": "2024-03-01", "dateOfTermination": None,
        "orgLevel1Code": feed["orgLevel1Code"], "orgLevel2Code": feed["orgLevel2Code"],
        "orgLevel3Code": feed["orgLevel3Code"], "primaryJobCode": feed["jobCode"],
        "dateTimeChanged": "2026-05-01T08:00:00Z",
    }  # fmt: skip
    got = EmployeeSnapshot.model_validate(details)
    assert (got.employeeId, got.employeeNumber, got.employeeStatus, got.jobCode) == (
        feed["employeeId"],
        feed["employeeNumber"],
        feed["employeeStatus"],
        feed["jobCode"],
    )
    assert (str(got.originalHireDate), str(got.lastHireDate), got.isActive) == (
        "2020-01-01", "2024-03-01", True)  # fmt: skip
