"""The pay-period DAG refuses bad periods before posting, and never posts a journal twice."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
from payroll_helpers import our_batches, run_period, task_states

from ukg_visma.audit import ledger, records
from ukg_visma.audit.store import get_engine
from ukg_visma.gl.journal import journal_key_from_batch

pytestmark = pytest.mark.e2e


def _journal_posts(sandbox) -> int:
    return sum(
        1
        for c in sandbox.calls("visma")
        if c["method"] == "POST" and c["path"].rstrip("/") == "/v2/journaltransaction"
    )


def _reports(run_key_glob: str) -> list[Path]:
    import os

    base = Path(os.environ["AIRFLOW_HOME"]) / "ukg_visma" / "reports"
    return sorted(base.glob(run_key_glob))


def test_broken_month_fails_validation_naming_rows_and_posts_nothing(payroll, tmp_path):
    dagrun = run_period("2026-04")
    states = task_states(dagrun)
    assert str(dagrun.state) == "failed"
    assert states["validate"] == "failed"
    assert "post_journal" not in states or states["post_journal"] in ("upstream_failed", "None")
    assert _journal_posts(payroll) == 0 and our_batches(payroll) == []
    report = _reports(f"payroll_gl/2026-04/{dagrun.run_id.replace(':', '_').replace('+', '_')}*")
    csv = next(p for p in report[0].iterdir() if p.name == "validation.csv").read_text()
    md = (report[0] / "validation.md").read_text()
    assert "360" in (report[0] / "mapping_drift.md").read_text()
    assert "cost centre 360" in md and "run the alignment DAG" in md
    bad_rows = [line for line in csv.splitlines() if ",360," in line]
    assert bad_rows and all("NMF-202604-R1/" in line for line in bad_rows)
    # the audit keeps every bad row with the reason
    engine = get_engine(f"sqlite:///{tmp_path}/audit.db")
    invalid = [r for r in records.fetch_records(engine) if r["status"] == "invalid"]
    assert len(invalid) == len(bad_rows)
    assert all("360" in r["error"] for r in invalid)


def test_closed_period_is_refused_before_posting(payroll):
    dagrun = run_period("2026-02")
    assert str(dagrun.state) == "failed"
    assert task_states(dagrun)["validate"] == "failed"
    assert _journal_posts(payroll) == 0


def test_lost_response_after_commit_gives_exactly_one_journal(payroll, tmp_path):
    payroll.faults(
        "visma",
        {
            "method": "POST",
            "path": r"^/v2/journaltransaction$",
            "drop_response_after_commit": True,
            "times": 1,
        },
    )
    dagrun = run_period("2026-10")
    assert str(dagrun.state) == "success", task_states(dagrun)
    keys = collections.Counter(journal_key_from_batch(b) for b in our_batches(payroll))
    assert len(keys) == 2 and set(keys.values()) == {1}, keys
    engine = get_engine(f"sqlite:///{tmp_path}/audit.db")
    entries = ledger.list_period(engine, "2026-10")
    assert {e.status for e in entries} == {"released"}
    # the fault really dropped one committed answer, and it was resolved by reading back,
    # not by a second POST of that journal
    dropped = [c for c in payroll.calls("visma") if c.get("dropped")]
    assert len(dropped) == 1 and dropped[0]["committed_status"] == 201
    assert _journal_posts(payroll) == 2


def test_rerunning_a_completed_period_posts_nothing(payroll):
    first = run_period("2026-10")
    assert str(first.state) == "success"
    posts = _journal_posts(payroll)
    second = run_period("2026-10")
    assert str(second.state) == "success", task_states(second)
    assert _journal_posts(payroll) == posts
    keys = collections.Counter(journal_key_from_batch(b) for b in our_batches(payroll))
    assert set(keys.values()) == {1}


def test_ledger_and_visma_disagree_fails_loudly_instead_of_reposting(payroll):
    """The ledger says a journal is released but Visma no longer holds it (deleted by hand,
    restored backup): the run must not post it again silently — reconciliation fails and says
    what differs, and a controller decides."""
    assert str(run_period("2026-10").state) == "success"
    payroll.reset(scenario="manufacturer", seed=42, employees=300)  # Visma forgets the batches
    posts = _journal_posts(payroll)
    dagrun = run_period("2026-10")
    states = task_states(dagrun)
    assert str(dagrun.state) == "failed" and states["reconcile"] == "failed", states
    assert _journal_posts(payroll) == posts == 0
    folder = _reports(f"payroll_gl/2026-10/{dagrun.run_id.replace(':', '_').replace('+', '_')}*")
    summary = (folder[0] / "summary.md").read_text()
    assert "NMF-202610-R1" in summary and "no batch in Visma" in summary
