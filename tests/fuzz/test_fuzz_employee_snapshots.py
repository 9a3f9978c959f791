"""Fuzzing the employee snapshot parser (``employees.quarantine``): any snapshot UKG could send
becomes a model or a ``Rejection`` — never an exception — and a rejection names the record (its
employee number, else its UKG id) and every broken field with its value and rule."""

from __future__ import annotations

import fuzz_profiles  # noqa: F401 - registers and loads the profile
from hypothesis import given
from hypothesis import strategies as st
from strategies import hostile

from ukg_visma.employees.models import EmployeeSnapshot
from ukg_visma.employees.quarantine import Rejection, parse_snapshot, parse_snapshots

GOOD = {
    "employeeId": "EE0001", "employeeNumber": "100001", "companyId": "C0001",
    "firstName": "Kari", "lastName": "Nordmann", "employeeStatus": "A",
    "originalHireDate": "2020-01-06", "lastHireDate": "2020-01-06", "terminationDate": None,
    "orgLevel1Code": "MOS", "orgLevel2Code": "10", "orgLevel3Code": "110", "jobCode": "OPR1",
    "payGroup": "NO-M", "dateTimeChanged": "2026-11-02T08:00:00Z",
}  # fmt: skip
FIELDS = [*sorted(GOOD), "dateOfLastHire", "isActive", "projectCode", "unknownField"]


@st.composite
def snapshots(draw: st.DrawFn) -> dict:
    raw = dict(GOOD)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        field = draw(st.sampled_from(FIELDS))
        if draw(st.booleans()):
            raw[field] = draw(hostile)
        else:
            raw.pop(field, None)
    return raw


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


@given(snapshots())
def test_a_snapshot_parses_or_is_rejected_naming_the_employee_and_the_field(raw):
    parsed = parse_snapshot(raw)
    if isinstance(parsed, EmployeeSnapshot):
        return
    assert isinstance(parsed, Rejection)
    assert parsed.findings, raw
    for finding in parsed.findings:
        assert finding.field and finding.rule
    number, ident = _text(raw.get("employeeNumber")), _text(raw.get("employeeId"))
    if number:
        assert parsed.label == f"employee {number}"
        assert f"employee {number}" in parsed.message
    elif ident:
        assert ident in parsed.label
    assert parsed.key  # a quarantine identity always exists
    fields = {f.field.split(".")[0] for f in parsed.findings}
    assert all(f in parsed.message for f in fields)


@given(st.lists(st.one_of(snapshots(), hostile), max_size=6))
def test_one_bad_record_never_stops_the_others(raws):
    good, bad = parse_snapshots(raws)
    assert len(good) + len(bad) == len(raws)
    assert all(isinstance(r, Rejection) and r.findings for r in bad)
