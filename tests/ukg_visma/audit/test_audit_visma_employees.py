"""The Visma employee mirror: full replace, delta upsert, and a cursor in Visma's own clock."""

from __future__ import annotations

import datetime as dt

import pytest

from ukg_visma.audit import visma_employees as mirror


def _emp(number: str, status: str = "Active", dept: str = "110", at: str | None = None) -> dict:
    return {
        "employeeNumber": number,
        "status": status,
        "department": dept,
        "lastModifiedDateTime": at or "2026-11-20T10:00:00.123",
        "metadata": {"totalCount": 1},  # v1 list items carry paging metadata; ignored
    }


def test_replace_then_delta(engine):
    assert mirror.replace_all(engine, [_emp("1"), _emp("2"), _emp("3")]) == 3
    mirror.upsert(engine, [_emp("2", "Inactive"), _emp("4", dept="220")])
    rows = {r["employeeNumber"]: r for r in mirror.employees(engine)}
    assert set(rows) == {"1", "2", "3", "4"}
    assert rows["2"]["status"] == "Inactive" and rows["4"]["department"] == "220"
    mirror.replace_all(engine, [_emp("9")])  # a full read is the whole truth
    assert mirror.numbers(engine) == {"9"}


def test_a_record_without_number_is_refused(engine):
    with pytest.raises(ValueError, match="employeeNumber"):
        mirror.upsert(engine, [{"status": "Active"}])


def test_cursor_keeps_visma_format_and_only_moves_forward(engine):
    assert mirror.get_cursor(engine) is None
    newest = mirror.newest(
        [_emp("1", at="2026-11-20T10:00:00.123"), _emp("2", at="2026-11-20T10:00:05.5")]
    )
    assert newest == "2026-11-20T10:00:05.500"
    mirror.set_cursor(engine, newest)
    mirror.set_cursor(engine, "2026-11-20T09:00:00.000")  # older: ignored
    assert mirror.get_cursor(engine) == "2026-11-20T10:00:05.500"
    assert mirror.filter_value(newest, dt.timedelta(seconds=5)) == "2026-11-20T10:00:00.500"
    assert mirror.newest([{"employeeNumber": "1"}]) is None
