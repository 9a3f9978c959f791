"""Released means any released status of the published enum, and a period is not done while a
batch waits unreleased.

What a release leaves is tenant-dependent: ``Posted``, or ``Unposted`` when the GL preference
"Automatically post on release" is off (someone posts it in Visma later), or ``Released``,
``Completed``, ``PartiallyReleased`` (the other released statuses of
``JournalTransactionDto.status``). Whichever, the batch can never be released or changed again —
a run that took one of them for "still to release" would ask Visma to release it on every run and
fail on its 400, and its reconcile would report the period unreleased. Judged from the Visma
sandbox's state and call log.
"""

from __future__ import annotations

import pytest
from ledger_truth import (
    OFF_CYCLE,
    PERIOD,
    REGULAR,
    calls_after,
    journal_posts,
    last_call,
    ours,
    per_account,
    ukg_latest_per_account,
    use_store,
    visma_net,
)
from payroll_helpers import run_period, task_states
from sandbox_fixture import configure

pytestmark = pytest.mark.e2e


def _releases(sandbox, since: int) -> int:
    return sum(
        1
        for c in calls_after(sandbox, since)
        if c["method"] == "POST" and c["path"].endswith("/action/release")
    )


@pytest.mark.parametrize(
    ("preferences", "status"),
    [
        ({"post_on_release": False}, "Unposted"),
        ({"release_status": "Released"}, "Released"),
        ({"release_status": "Completed"}, "Completed"),
        ({"release_status": "PartiallyReleased"}, "PartiallyReleased"),
    ],
    ids=["Unposted", "Released", "Completed", "PartiallyReleased"],
)
def test_every_released_status_counts_as_released(payroll, tmp_path, preferences, status):
    from ukg_visma.audit import ledger
    from ukg_visma.audit.posting_states import PostingState
    from ukg_visma.audit.store import get_engine

    answer = payroll.visma_admin("POST", "gl-preferences", preferences)
    assert answer["release_status"] == status
    since = last_call(payroll)
    first = run_period(PERIOD)
    assert str(first.state) == "success", task_states(first)  # the reconcile passed
    batches = ours(payroll)
    assert batches and {b["status"] for b in batches} == {status}
    assert _releases(payroll, since) == len(batches)  # each released exactly once
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])
    entries = ledger.list_period(get_engine(f"sqlite:///{tmp_path}/audit.db"), PERIOD)
    assert entries and {e.status for e in entries} == {PostingState.RELEASED}

    since = last_call(payroll)
    again = run_period(PERIOD)
    assert str(again.state) == "success", task_states(again)
    assert journal_posts(payroll, since) == 0
    assert _releases(payroll, since) == 0  # never asked to release what Visma released
    # … nor planned to: no posting task had anything to do
    assert not [t for t, state in task_states(again).items()
                if t.startswith("post_journal[") and state == "success"]  # fmt: skip
    assert {b["status"] for b in ours(payroll)} == {status}
    assert [b["batchNumber"] for b in ours(payroll)] == [b["batchNumber"] for b in batches]


def test_a_period_left_unreleased_is_not_reported_done(payroll, monkeypatch, tmp_path):
    """Posted with ``release: false`` (held for review), then reconciled with release on: the
    amounts match UKG, yet the batches are not in the ledger's balances — the reconcile fails
    and names them. The next run of the period releases them."""
    from ukg_visma.audit.store import get_engine
    from ukg_visma.hooks.visma import VismaHook
    from ukg_visma.periods import PayPeriod
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks.payroll.reconcile import ReconciliationError, reconcile_and_report
    from ukg_visma.tasks.payroll.run import PayrollRun
    from ukg_visma.tasks.payroll.staged import staged_journals

    for name in ("release-off", "release-on"):
        (tmp_path / name).mkdir()
    configure(monkeypatch, payroll, tmp_path / "release-off", payroll={"release": False})
    use_store(monkeypatch, tmp_path / "audit.db")
    held = run_period(PERIOD)
    assert str(held.state) == "success", task_states(held)
    numbers = sorted(b["batchNumber"] for b in ours(payroll))
    assert numbers and {b["status"] for b in ours(payroll)} == {"Balanced"}

    configure(monkeypatch, payroll, tmp_path / "release-on")  # release back on (the default) …
    use_store(monkeypatch, tmp_path / "audit.db")  # … with the same audit store
    ctx = PayrollRun(run_key=held.run_id, period=PayPeriod.parse(PERIOD))
    with pytest.raises(ReconciliationError) as err:
        reconcile_and_report(
            VismaHook(),
            get_engine(f"sqlite:///{tmp_path}/audit.db"),
            ctx,
            load_settings(),
            staged_journals(ctx),
            [],
        )
    assert f"Visma holds batch(es) {', '.join(numbers)} of this period unreleased" in str(err.value)

    since = last_call(payroll)
    released = run_period(PERIOD)
    assert str(released.state) == "success", task_states(released)
    assert journal_posts(payroll, since) == 0
    assert _releases(payroll, since) == len(numbers)
    assert {b["status"] for b in ours(payroll)} == {"Posted"}
