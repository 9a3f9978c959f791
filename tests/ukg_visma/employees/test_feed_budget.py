"""``employees.feed_budget.decide``: UKG's change-feed budget as a pure rule (times in, verdict
out)."""

from __future__ import annotations

import datetime as dt

from ukg_visma.employees.feed_budget import decide
from ukg_visma.tasks.employee_sync.context import run_trigger

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def _decide(calls, trigger="scheduled", now=NOW, **limits):
    return decide(calls, now, trigger=trigger, min_hours_apart=limits.get("gap", 3),
                  max_per_day=limits.get("per_day", 8))  # fmt: skip


def test_first_poll_of_the_day_is_allowed():
    verdict = _decide([])
    assert verdict.poll and verdict.calls_today == 0 and verdict.last_call is None


def test_a_webhook_started_run_never_polls_even_with_budget_left():
    verdict = _decide([NOW - 10 * H], trigger="webhook")
    assert not verdict.poll and "webhook-started" in verdict.reason


def test_inside_the_three_hours_the_poll_is_deferred_until_they_pass():
    last = NOW - 2 * H - dt.timedelta(minutes=59)
    verdict = _decide([last])
    assert not verdict.poll and verdict.reason.startswith("deferred: the last feed call")
    assert verdict.next_allowed == last + 3 * H
    assert _decide([NOW - 3 * H]).poll  # exactly 3 h apart is allowed


def test_the_ninth_call_of_a_utc_day_waits_for_tomorrow():
    midnight = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    calls = [midnight + i * dt.timedelta(minutes=80) for i in range(8)]  # 8 today, gaps ok
    verdict = _decide(calls, gap=1, now=midnight + 23 * H)
    assert not verdict.poll and verdict.calls_today == 8
    assert verdict.next_allowed == midnight + 24 * H
    yesterday = [c - 24 * H for c in calls]
    assert _decide(yesterday, gap=1, now=midnight + 23 * H).poll  # yesterday's do not count


def test_the_default_schedule_fits_the_budget():
    """Every 4 h from midnight (the default cron) with starts up to 50 min late: all polled."""
    calls: list[dt.datetime] = []
    day = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    for i, late in enumerate([5, 50, 0, 30, 1, 45]):
        now = day + 4 * i * H + dt.timedelta(minutes=late)
        assert _decide(calls, now=now).poll, now
        calls.append(now)
    assert len(calls) == 6 <= 8


def test_run_type_names_the_trigger():
    assert run_trigger("asset_triggered") == "webhook"
    assert run_trigger("scheduled") == "scheduled"
    assert run_trigger("manual") == run_trigger(None) == "manual"
