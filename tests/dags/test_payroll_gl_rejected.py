"""A rejected pay period looks rejected: the run is red, its note and audit say who and why,
nothing is in Visma — and approving the same period afterwards posts it."""

from __future__ import annotations

import pytest
from approvals import answer_approval, note_of
from payroll_helpers import announce_gl_runs, load_dag, our_batches, run_period, task_states
from sandbox_fixture import configure

pytestmark = pytest.mark.e2e

PERIOD = "2026-10"
REASON = "cost centre 360 is wrong"


@pytest.fixture
def approval_required(sandbox, airflow_db, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300)
    configure(monkeypatch, sandbox, tmp_path, payroll={"approval_required": True})
    return sandbox


def run_answered(choice: str, reason: str | None = None):
    dag = load_dag()
    assert "period_posted" in dag.task_ids
    responder = answer_approval(choice, reason)
    announce_gl_runs(PERIOD)  # the GL events a subscribed deployment has in its inbox
    dagrun = dag.test(run_conf={"period": PERIOD})
    responder.join(timeout=5)
    return dagrun


def test_a_rejected_period_ends_failed_and_approving_it_afterwards_posts_it(approval_required):
    """One test for both runs: two HITL runs in separate tests of one process stalled the
    second ``dag.test`` (not understood yet; see the report)."""
    from ukg_visma.audit import records

    dagrun = run_answered("Reject", REASON)
    states = task_states(dagrun)
    assert str(dagrun.state) == "failed", states
    assert states["approve_posting"] == "success", states  # the decision itself did not fail
    assert states["plan"] == "skipped" and states["reconcile"] == "skipped", states
    assert states["period_posted"] == "failed", states
    assert our_batches(approval_required) == [], "a rejected period must post nothing"
    from ukg_visma.audit.airflow import audit_engine

    [approval] = records.fetch_records(audit_engine(), source_kind="approval")
    assert approval["status"] == "rejected" and approval["detail"]["reason"] == REASON

    assert note_of(dagrun) == (
        f"Pay period {PERIOD}: REJECTED by controller — {REASON}. Nothing was posted."
    )

    # after the fix: trigger the period again (or clear the run) and approve
    again = run_answered("Approve")
    states = task_states(again)
    assert str(again.state) == "success", states
    assert states["period_posted"] == "success", states
    batches = our_batches(approval_required)
    assert batches and {b["status"] for b in batches} == {"Posted"}
    assert (note_of(again) or "").startswith(f"Pay period {PERIOD}: reconciled — debit ")


def test_a_failed_period_gets_its_note_without_a_detached_run_error(payroll, caplog):
    """#27: a period that fails (2026-04 has GL lines the checks refuse) used to log
    ``DetachedInstanceError ... 'dag_run_note'`` from the note listener beside the real error,
    and its note stayed at "running"."""
    import logging

    with caplog.at_level(logging.ERROR, logger="ukg_visma.ui.notes"):
        dagrun = run_period("2026-04")
    assert str(dagrun.state) == "failed"
    assert task_states(dagrun)["validate"] == "failed"
    # the note names the period and the cause (ukg_visma.ui.failures), not just "failed"
    note = note_of(dagrun) or ""
    assert note.startswith("Pay period 2026-04: FAILED in validate — validation FAILED with "), note
    assert "360" in note and note.endswith("See the Run report tab."), note
    assert not [r for r in caplog.records if "could not write the note" in r.getMessage()]
