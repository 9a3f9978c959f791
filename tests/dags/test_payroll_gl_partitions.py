"""A partitioned pay-period run, in-process (``payroll_helpers.run_partition``): the run has a
partition key and no data interval — what Airflow 3.3's ``CronPartitionTimetable`` makes for
scheduled and backfilled runs — and it posts exactly its own month, judged from Visma.

This is the harness ``docs/decisions/partitioned-pay-periods.md`` named as the obstacle to the
switch: ``dag.test`` takes no partition key."""

from __future__ import annotations

import collections

import pytest
from approvals import note_of
from payroll_helpers import our_batches, run_partition, task_states

from ukg_visma.gl.journal import journal_key_from_batch

pytestmark = pytest.mark.e2e


def test_a_partitioned_backfill_run_posts_its_partition_key_month(payroll):
    dagrun = run_partition("2026-07")
    assert dagrun.partition_key == "2026-07" and dagrun.logical_date is None
    assert dagrun.data_interval_start is None and str(dagrun.run_type) in (
        "backfill",
        "DagRunType.BACKFILL",
    )
    assert str(dagrun.state) == "success", task_states(dagrun)
    batches = our_batches(payroll)
    assert batches and {str(b["financialPeriod"]) for b in batches} == {"202607"}
    keys = collections.Counter(journal_key_from_batch(b) for b in batches)
    assert set(keys.values()) == {1}, keys
    assert (note_of(dagrun) or "").startswith("Pay period 2026-07: reconciled — debit ")


def test_a_partitioned_run_refuses_a_period_param_that_disagrees(payroll):
    dagrun = run_partition("2026-07", announce=False, period="2026-08")
    assert str(dagrun.state) == "failed"
    assert our_batches(payroll) == []
    assert (note_of(dagrun) or "").startswith("Pay-period run refused: this backfill run is for "
                                              "pay period 2026-07")  # fmt: skip


def test_the_posting_deadline_of_a_partitioned_run_is_read_from_its_partition(payroll):
    """The deadline reference reads the stored run as the scheduler does (``DagRun`` row: a
    partition key, no data interval). July's run made today is past July's deadline (a backfill
    cannot be late): none. The same row keyed to next month: the end of day 5 after it, Oslo."""
    import datetime as dt

    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from ukg_visma.alerts.deadline import PayPeriodPostingDeadline, posting_deadline_time
    from ukg_visma.periods import PayPeriod

    dagrun = run_partition("2026-07", announce=False)  # fails in discovery; the row is what counts
    reference = PayPeriodPostingDeadline(day=5)
    ids = {"dag_id": dagrun.dag_id, "run_id": dagrun.run_id}
    today = dt.datetime.now(dt.UTC)
    ahead = PayPeriod(today.year + today.month // 12, today.month % 12 + 1)
    with create_session() as session:
        assert reference._evaluate_with(session=session, **ids) is None
        row = session.scalar(select(DagRun).where(DagRun.run_id == dagrun.run_id))
        assert row.data_interval_start is None and row.partition_key == "2026-07"
        row.partition_key = ahead.key
        session.flush()
        need_by = reference._evaluate_with(session=session, **ids)
        session.rollback()
    assert need_by == posting_deadline_time(ahead, 5)
