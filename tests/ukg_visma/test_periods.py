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
