from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from ukg_visma.periods import PayPeriod, PeriodError, resolve_period


def test_formats():
    p = PayPeriod.parse("2026-10")
    assert (p.key, p.visma_period_id, p.visma_post_period) == ("2026-10", "202610", "102026")
    assert (p.start, p.end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert PayPeriod.parse("2026-12").end == dt.date(2026, 12, 31)
    assert PayPeriod.parse("2028-02").end == dt.date(2028, 2, 29)


def test_precedence_param_partition_interval():
    start = pendulum.datetime(2026, 7, 1, tz="Europe/Oslo")
    assert resolve_period(
        param="2026-05", partition_key="2026-06", data_interval_start=start
    ).key == ("2026-05")
    assert resolve_period(partition_key="2026-06", data_interval_start=start).key == "2026-06"
    assert resolve_period(data_interval_start=start).key == "2026-07"


@pytest.mark.parametrize("bad", ["2026-13", "26-01", "2026/01", ""])
def test_bad_period(bad):
    with pytest.raises(PeriodError):
        resolve_period(param=bad) if bad else resolve_period()


def test_the_pay_month_is_read_in_the_schedules_timezone():
    october_in_oslo = dt.datetime(2026, 9, 30, 22, 0, tzinfo=dt.UTC)  # 2026-10-01 00:00 CEST
    assert resolve_period(data_interval_start=october_in_oslo).key == "2026-10"
    january = dt.datetime(2025, 12, 31, 23, 0, tzinfo=dt.UTC)  # 2026-01-01 00:00 CET
    assert resolve_period(data_interval_start=january).key == "2026-01"


def test_scheduled_and_backfilled_runs_refuse_a_disagreeing_period_param():
    start = dt.datetime(2026, 9, 30, 22, 0, tzinfo=dt.UTC)
    for run_type in ("scheduled", "backfill"):
        with pytest.raises(PeriodError, match=r"backfill|scheduled") as caught:
            resolve_period(param="2026-06", data_interval_start=start, run_type=run_type)
        assert "pay period 2026-10" in str(caught.value) and "2026-06 disagrees" in str(
            caught.value
        )
        # the same period is fine
        agreeing = resolve_period(param="2026-10", data_interval_start=start, run_type=run_type)
        assert agreeing.key == "2026-10"
    # a manual run names its period freely
    manual = resolve_period(param="2026-06", data_interval_start=start, run_type="manual")
    assert manual.key == "2026-06"
