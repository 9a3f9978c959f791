"""The sync run's identity and the ``window_start`` param as a manual run types it."""

from __future__ import annotations

import datetime as dt

import pytest

from ukg_visma.tasks.employee_sync.context import SyncContext, parse_moment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", dt.datetime(2026, 11, 1, tzinfo=dt.UTC)),
        ("2026-11-01T06:30:00Z", dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)),
        ("2026-11-01T06:30", dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)),  # naive = UTC
        ("2026-11-01T07:30:00+01:00", dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)),
    ],
    ids=["date", "utc", "naive", "offset"],
)
def test_window_start_param(text, expected):
    assert parse_moment(text) == expected


@pytest.mark.parametrize("empty", [None, ""])
def test_no_window_start(empty):
    assert parse_moment(empty) is None


def test_bad_window_start_is_refused():
    with pytest.raises(ValueError, match="isoformat"):
        parse_moment("1st of November")


def test_audit_run_id_names_flow_day_and_run():
    ctx = SyncContext("scheduled__2026-11-20T06:00:00+00:00",
                      started=dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC))  # fmt: skip
    assert ctx.audit_run_id == "employee_sync:2026-11-20:scheduled__2026-11-20T06:00:00+00:00"
    assert ctx.scope == "2026-11-20" and ctx.flow == "employee_sync"
