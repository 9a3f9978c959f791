"""Released means Posted *or* Unposted, and a period is not done while a batch waits unreleased.

Visma's GL preference "Automatically post on release" decides what a release leaves: ``Posted``,
or ``Unposted`` (released; someone posts it in Visma later). Either way the batch can never be
released or changed again — a run that took ``Unposted`` for "still to release" would ask Visma
to release it on every run and fail on its 400. Judged from the Visma sandbox's state and call log.
"""

from __future__ import annotations

import pytest
from ledger_truth import PERIOD, calls_after, journal_posts, last_call, ours, use_store
from payroll_helpers import run_period, task_states
from sandbox_fixture import configure

pytestmark = pytest.mark.e2e


def _releases(sandbox, since: int) -> int:
    return sum(
        1
        for c in calls_after(sandbox, since)
        if c["method"] == "POST" and c["path"].endswith("/action/release")
    )


def test_unposted_batches_count_as_released(payroll, tmp_path):
    from ukg_visma.audit import ledger
    from ukg_visma.audit.posting_states import PostingState
    from ukg_visma.audit.store import get_engine

    payroll.visma_admin("POST", "gl-preferences", {"post_on_release": False})
    first = run_period(PERIOD)
    assert str(first.state) == "success", task_states(first)
    batches = ours(payroll)
    assert batches and {b["status"] for b in batches} == {"Unposted"}
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
    assert {b["status"] for b in ours(payroll)} == {"Unposted"}


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
    from ukg_visma.tasks.payroll.validate import staged_journals

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
