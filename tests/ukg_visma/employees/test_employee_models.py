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
        ("employeeNumber", 1001),
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
