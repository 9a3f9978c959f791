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


def test_precedence_partition_key_param_interval():
    start = pendulum.datetime(2026, 7, 1, tz="Europe/Oslo")
    assert resolve_period(partition_key="2026-06", data_interval_start=start).key == "2026-06"
    assert resolve_period(param="2026-06", partition_key="2026-06").key == "2026-06"
    assert resolve_period(param="2026-05", data_interval_start=start).key == "2026-05"  # manual
    assert resolve_period(data_interval_start=start).key == "2026-07"


@pytest.mark.parametrize("run_type", ["manual", "scheduled", "backfill", None])
def test_a_period_param_that_disagrees_with_the_partition_key_is_refused(run_type):
    with pytest.raises(PeriodError, match=r"pay period 2026-06 \(its partition key\)") as caught:
        resolve_period(param="2026-05", partition_key="2026-06", run_type=run_type)
    assert "'period' param 2026-05 disagrees" in str(caught.value)


def test_a_manual_run_of_the_partitioned_dag_without_key_or_param_is_for_the_month_that_ended():
    """A partitioned timetable infers a zero-length interval at the trigger time for a manual
    run; like the schedule's run at that moment, it is for the month that ended (Oslo)."""
    at = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # 2026-12-01 00:30 in Oslo
    assert resolve_period(data_interval_start=at, data_interval_end=at).key == "2026-11"
    jan = dt.datetime(2027, 1, 6, 9, 0, tzinfo=dt.UTC)
    assert resolve_period(data_interval_start=jan, data_interval_end=jan).key == "2026-12"
    # a month-long interval of a run made before the switch is its own month
    oct_start = dt.datetime(2026, 9, 30, 22, 0, tzinfo=dt.UTC)
    oct_end = dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.UTC)
    assert resolve_period(data_interval_start=oct_start, data_interval_end=oct_end).key == "2026-10"


def test_the_timetable_keys_a_backfill_by_pay_month():
    """The DAG's timetable, through Airflow's own serialisation and backfill iteration: a
    backfill of July–September makes the keys 2026-07, 2026-08, 2026-09."""
    from airflow.serialization.decoders import decode_timetable
    from airflow.serialization.encoders import encode_timetable

    from ukg_visma.periods import pay_period_timetable

    core = decode_timetable(encode_timetable(pay_period_timetable("0 6 1 * *")))
    keys = [
        i.partition_key
        for i in core.iter_partition_dagrun_infos(
            earliest=pendulum.datetime(2026, 7, 1, tz="Europe/Oslo"),
            latest=pendulum.datetime(2026, 9, 30, tz="Europe/Oslo"),
        )
    ]
    assert keys == ["2026-07", "2026-08", "2026-09"]
    assert resolve_period(partition_key=keys[0]).key == "2026-07"


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
