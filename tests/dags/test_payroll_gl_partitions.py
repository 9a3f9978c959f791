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
