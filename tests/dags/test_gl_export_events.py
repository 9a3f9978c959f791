"""A ``PayrollGLExportCompletedEvent`` for a month already posted starts that month's run, which
posts the correction — through the real receiver, the real inbox, the GL events DAG
(``dag.test``) and its ``TriggerDagRunOperator`` creating the run in Airflow's metadata DB.
Judged from the inbox, the metadata DB and the Visma sandbox's ledger."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest
from dag_loader import load_dag as load_one_dag
from ledger_truth import (
    OFF_CYCLE,
    PERIOD,
    REGULAR,
    assert_one_live_batch_per_key,
    journal_posts,
    key_of,
    last_call,
    ours,
    per_account,
    ukg_latest_per_account,
    visma_net,
)
from payroll_helpers import load_dag, task_states
from test_payroll_gl_corrections import _changed_lines

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1] / "ukg_visma" / "tasks" / "employee_sync")
)
from employee_sync_helpers import receiver, subscribe

pytestmark = pytest.mark.e2e
DAG_ID = "ukg_visma_gl_export_events"


def _events_dag():
    return load_one_dag(DAG_ID)


def _gl_events():
    from ukg_visma.audit import inbox
    from ukg_visma.audit.store import get_engine

    return [
        e
        for e in inbox.fetch_events(get_engine(os.environ["UKG_VISMA_AUDIT_URL"]))
        if e["event_type"] == "PayrollGLExportCompletedEvent"
    ]


def test_dag_wiring():
    dag = _events_dag()
    assert [t.task_id for t in dag.tasks] == [
        "plan_period_runs",
        "runs_to_start",
        "start_period_run",
        "mark_events_taken",
    ]
    # events are marked taken only after (and only if) the runs were started
    assert dag.get_task("mark_events_taken").upstream_task_ids >= {"start_period_run"}
    assert dag.max_active_runs == 1
    asset = dag.timetable.asset_condition
    assert asset.name == "ukg_gl_export_events" and [w.name for w in asset.watchers] == [
        "ukg_inbox_gl_export_events"
    ]


def test_a_reexport_of_a_posted_month_starts_its_correction_run(posted, payroll, monkeypatch):
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    before = {b["batchNumber"] for b in ours(payroll)}
    with receiver(os.environ["UKG_VISMA_AUDIT_URL"]) as url:
        subscribe(payroll, url)
        payroll.ukg_admin(  # payroll corrects October after it was posted; UKG re-exports
            "POST",
            f"/_sandbox/gl-runs/{REGULAR}/regenerate",
            {"emit": True, "wait": True, "lines": _changed_lines(payroll, REGULAR, 12_345)},
        )
    (event,) = [e for e in _gl_events() if e["status"] == "new"]
    assert event["payload"]["Payload"]["RunId"] == REGULAR

    events_run = _events_dag().test()
    assert str(events_run.state) == "success", task_states(events_run)
    (taken,) = [e for e in _gl_events() if e["event_id"] == event["event_id"]]
    assert taken["status"] == "processed" and taken["processed_by_run"] == events_run.run_id

    with create_session() as session:  # the run the operator created, as the scheduler sees it
        started = [
            r
            for r in session.query(DagRun).filter(DagRun.dag_id == "ukg_visma_payroll_gl")
            if r.run_id.startswith(f"gl_export__{PERIOD}__")
        ]
        assert len(started) == 1, [r.run_id for r in started]
        (run,) = started
        # created by the operator, waiting for the scheduler; a manual-like run: its period
        # param is taken as given (periods.resolve_period refuses it only for scheduled runs)
        assert run.conf == {"period": PERIOD} and run.run_type == "operator_triggered"
        conf, started_id = dict(run.conf), run.run_id

    # a retry of the GL events run starts nothing more: the event is no longer new
    again = _events_dag().test()
    assert str(again.state) == "success", task_states(again)
    with create_session() as session:
        assert [
            r.run_id
            for r in session.query(DagRun).filter(DagRun.dag_id == "ukg_visma_payroll_gl")
            if r.run_id.startswith("gl_export__")
        ] == [started_id]

    # the period's run with the started run's conf posts exactly the correction
    since = last_call(payroll)
    correction = load_dag().test(run_conf=conf)
    assert str(correction.state) == "success", task_states(correction)
    assert journal_posts(payroll, since) == 1
    (adjustment,) = [b for b in ours(payroll) if b["batchNumber"] not in before]
    assert "-ADJ1:" in key_of(adjustment) and adjustment["status"] == "Posted"
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])
    assert_one_live_batch_per_key(payroll)


def test_an_event_naming_an_unknown_run_stays_in_the_inbox(payroll):
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    from ukg_visma.audit import inbox
    from ukg_visma.audit.store import get_engine
    from ukg_visma.employees.models import WebhookEvent

    engine = get_engine(os.environ["UKG_VISMA_AUDIT_URL"])
    inbox.put_event(
        engine,
        WebhookEvent.model_validate(
            {
                "EventId": "gl-unknown-1",
                "EventTime": dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC),
                "EventType": "PayrollGLExportCompletedEvent",
                "Operation": "Insert",
                "Payload": {"CoId": "C0001", "RunId": "NMF-199901-R9"},
                "Tenant": "nordicmfg",
            }
        ),
    )
    with create_session() as session:
        before = session.query(DagRun).filter(DagRun.dag_id == "ukg_visma_payroll_gl").count()
    events_run = _events_dag().test()
    assert str(events_run.state) == "success", task_states(events_run)
    (left,) = [e for e in _gl_events() if e["event_id"] == "gl-unknown-1"]
    assert left["status"] == "new"
    with create_session() as session:
        after = session.query(DagRun).filter(DagRun.dag_id == "ukg_visma_payroll_gl").count()
    assert after == before


def test_planning_leaves_the_events_new_until_the_runs_exist(posted, payroll):
    """A start that fails must not lose its events: planning marks nothing; ``mark_taken``
    (the task after the starts) does."""
    from ukg_visma.audit import inbox
    from ukg_visma.audit.store import get_engine
    from ukg_visma.employees.models import WebhookEvent
    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.tasks.payroll.gl_events import mark_taken, plan_period_runs

    engine = get_engine(os.environ["UKG_VISMA_AUDIT_URL"])
    inbox.put_event(
        engine,
        WebhookEvent.model_validate(
            {
                "EventId": "gl-reexport-1",
                "EventTime": dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC),
                "EventType": "PayrollGLExportCompletedEvent",
                "Operation": "Update",
                "Payload": {"CoId": "C0001", "RunId": REGULAR},
                "Tenant": "nordicmfg",
            }
        ),
    )
    planned = plan_period_runs(UkgHook(), engine, company_code="C0001", today=dt.date(2026, 11, 30))
    assert [s["conf"] for s in planned["starts"]] == [{"period": PERIOD}]
    assert planned["events"] == ["gl-reexport-1"]
    (event,) = [e for e in _gl_events() if e["event_id"] == "gl-reexport-1"]
    assert event["status"] == "new"  # a failed start would find it again
    assert mark_taken(engine, planned, "events-run-1") == 1
    (event,) = [e for e in _gl_events() if e["event_id"] == "gl-reexport-1"]
    assert event["status"] == "processed" and event["processed_by_run"] == "events-run-1"
