"""A Reject is recorded in the audit store: who, when, why; the audit run ends as rejected."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ukg_visma.audit import records
from ukg_visma.audit.schema import runs
from ukg_visma.audit.store import get_engine
from ukg_visma.tasks.payroll.approval import decision_of, record_decision


def test_reject_with_reason_is_kept_and_finishes_the_run(tmp_path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path}/audit.db")
    run_id = "payroll_gl:2026-10:manual__x"
    records.start_run(engine, run_id, "payroll_gl", "2026-10")
    result = {
        "chosen_options": ["Reject"],
        "params_input": {"decision_reason": "  cost centre 360 is wrong  "},
        "responded_by_user": {"id": "7", "name": "controller"},
        "responded_at": dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
    }
    decision = decision_of(result)
    assert decision == {
        "approved": False,
        "choice": "Reject",
        "reason": "cost centre 360 is wrong",
        "by": "controller",
        "at": "2026-11-02T09:30:00+00:00",
    }
    record_decision(engine, run_id, "payroll_gl", decision)
    rows = records.fetch_records(engine, run_id=run_id)
    [row] = [r for r in rows if r["source_kind"] == "approval"]
    assert row["status"] == "rejected" and row["detail"]["reason"] == "cost centre 360 is wrong"
    with engine.connect() as conn:
        status, summary = conn.execute(
            select(runs.c.status, runs.c.summary).where(runs.c.run_id == run_id)
        ).one()
    assert status == "rejected" and summary["approval"]["by"] == "controller"


def test_approve_is_recorded_and_leaves_the_run_running(tmp_path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path}/audit.db")
    run_id = "payroll_gl:2026-10:manual__y"
    records.start_run(engine, run_id, "payroll_gl", "2026-10")
    decision = decision_of(
        {"chosen_options": ["Approve"], "params_input": {}, "responded_by_user": {"id": "1"}}
    )
    assert decision["approved"] and decision["reason"] is None and decision["by"] == "1"
    record_decision(engine, run_id, "payroll_gl", decision)
    with engine.connect() as conn:
        status = conn.execute(select(runs.c.status).where(runs.c.run_id == run_id)).scalar_one()
    assert status == "running"
