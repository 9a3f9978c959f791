"""Parsing UKG employee snapshots one by one: a bad record is a finding that names it."""

from __future__ import annotations

import pytest
from employee_data import BASE

from ukg_visma.employees.quarantine import Rejection, SnapshotRejected, parse_snapshots


@pytest.mark.parametrize(
    ("overrides", "field", "value", "named"),
    [
        ({"terminationDate": "31.12.2026"}, "terminationDate", '"31.12.2026"', "employee 1001"),
        ({"lastHireDate": "2026-02-30"}, "lastHireDate", '"2026-02-30"', "employee 1001"),
        ({"originalHireDate": "   "}, "originalHireDate", '"   "', "employee 1001"),
        ({"employeeNumber": None}, "employeeNumber", "null", "UKG employee id 5f3a-0001"),
        ({"employeeNumber": ""}, "employeeNumber", '""', "UKG employee id 5f3a-0001"),
        ({"employeeNumber": "  "}, "employeeNumber", '"  "', "UKG employee id 5f3a-0001"),
        ({"employeeStatus": "X"}, "employeeStatus", '"X"', "employee 1001"),
        ({"dateTimeChanged": "2026-05-01T08:00:00"}, "dateTimeChanged", None, "employee 1001"),
        ({"employeeId": None}, "employeeId", "null", "employee 1001"),
    ],
    ids=[
        "dotted-date",
        "no-such-day",
        "blank-date",
        "null-number",
        "empty-number",
        "blank-number",
        "status",
        "naive-stamp",
        "no-id",
    ],
)
def test_a_bad_record_is_named_and_the_good_ones_go_on(overrides, field, value, named):
    good = [{**BASE, "employeeId": f"id-{i}", "employeeNumber": str(2000 + i)} for i in range(5)]
    bad = {**BASE, **overrides}
    parsed, rejected = parse_snapshots([*good[:2], bad, *good[2:]])
    assert [s.employeeNumber for s in parsed] == ["2000", "2001", "2002", "2003", "2004"]
    (rejection,) = rejected
    assert rejection.label.startswith(named)
    (finding,) = rejection.findings
    assert finding.field == field
    if value is not None:
        assert finding.value == value
    assert finding.rule and field in rejection.message and named in rejection.message
    assert rejection.raw == bad  # the raw payload is kept as received


def test_not_an_object_and_nothing_to_name_it_by():
    parsed, rejected = parse_snapshots(["oops", {"employeeStatus": "A"}])
    assert parsed == []
    assert rejected[0].findings[0].rule == "a snapshot is a JSON object"
    assert rejected[1].key.startswith("payload:") and "neither employeeId" in rejected[1].label


def test_quarantine_keys_and_the_error_type():
    _, (by_id,) = parse_snapshots([{**BASE, "terminationDate": "x"}])
    _, (by_number,) = parse_snapshots([{**BASE, "employeeId": "", "terminationDate": "x"}])
    assert by_id.key == "5f3a-0001" and by_number.key == "number:1001"
    error = SnapshotRejected(by_id)
    assert isinstance(error.rejection, Rejection) and "employee 1001" in str(error)
