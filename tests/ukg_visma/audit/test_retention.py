"""Personal-data retention: ``ukg-visma audit purge --older-than DAYS`` deletes what identifies
employees and is older than the cut-off, and keeps work in progress and bookkeeping."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import update

from ukg_visma.audit import employees as state
from ukg_visma.audit import inbox
from ukg_visma.audit import records as rec
from ukg_visma.audit.retention import purge
from ukg_visma.audit.schema import employee_state, records, rejected_employees
from ukg_visma.audit.schema import inbox as inbox_table
from ukg_visma.audit.store import get_engine
from ukg_visma.cli import main
from ukg_visma.employees.models import WebhookEvent
from ukg_visma.employees.quarantine import parse_snapshots

OLD = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _snapshot(employee_id: str, number: str, status: str) -> dict:
    return {"employeeId": employee_id, "employeeNumber": number, "employeeStatus": status,
            "dateTimeChanged": "2024-01-01T00:00:00Z"}  # fmt: skip


def _event(event_id: str) -> WebhookEvent:
    return WebhookEvent.model_validate_json(json.dumps({
        "EventId": event_id, "EventTime": "2024-01-01T00:00:00Z",
        "EventType": "EmployeeHireEvent", "Operation": "Insert",
        "Payload": {"CoId": "C0001", "EeId": event_id}, "Tenant": "t",
    }))  # fmt: skip


@pytest.fixture
def audit(tmp_path):
    url = f"sqlite:///{tmp_path}/audit.db"
    engine = get_engine(url)
    rec.upsert_records(engine, "sync-old", "employee_sync", "employee_change",
                       [{"source_key": "e1@x", "status": "created"}])  # fmt: skip
    rec.upsert_records(engine, "gl-old", "payroll_gl", "gl_line",
                       [{"source_key": "R1/1/1", "status": "released"}])  # fmt: skip
    inbox.put_event(engine, _event("done"))
    inbox.put_event(engine, _event("todo"))
    inbox.mark_processed(engine, ["done"], "sync-old")
    inbox.record_rejection(engine, 401, "bad signature", body=b"{}", remote="10.0.0.9", at=OLD)
    _, bad = parse_snapshots([{**_snapshot("e9", "9009", "A"), "terminationDate": "31.12"}])
    state.put_rejections(engine, bad, "sync-old")
    state.put_snapshots(engine, [_snapshot("e1", "1001", "T"), _snapshot("e2", "1002", "A")])
    state.add_pending(engine, [(_snapshot("e3", "1003", "A"), "mapping drift")])
    with engine.begin() as conn:  # everything above happened two years ago
        for table, column in ((records, "updated_at"), (inbox_table, "received_at"),
                              (rejected_employees, "updated_at"),
                              (employee_state, "updated_at")):  # fmt: skip
            conn.execute(update(table).values({column: OLD}))
    rec.upsert_records(engine, "sync-new", "employee_sync", "employee_change",
                       [{"source_key": "e2@y", "status": "updated"}])  # fmt: skip
    return url, engine


def test_purge_deletes_old_personal_data_and_keeps_work_and_bookkeeping(audit):
    _, engine = audit
    counted = purge(engine, 365, dry_run=True)
    assert rec.fetch_records(engine, source_kind="employee_change")  # dry run deletes nothing
    deleted = purge(engine, 365)
    assert deleted == counted == {"records": 1, "inbox": 1, "webhook_rejections": 1,
                                  "rejected_employees": 1, "employee_state": 1}  # fmt: skip
    assert [r["source_key"] for r in rec.fetch_records(engine, source_kind="employee_change")] == [
        "e2@y"
    ]
    assert [r["source_key"] for r in rec.fetch_records(engine, source_kind="gl_line")] == ["R1/1/1"]
    assert [e["event_id"] for e in inbox.fetch_events(engine)] == ["todo"]  # not yet processed
    assert inbox.fetch_rejections(engine) == []
    assert state.list_rejections(engine) == []
    assert set(state.get_snapshots(engine)) == {"e2"}  # the employed one is still compared with
    assert [p["employee_id"] for p in state.list_pending(engine)] == ["e3"]
    assert purge(engine, 365) == dict.fromkeys(deleted, 0)


def test_cli_purge_with_days_and_with_the_settings_default(audit, capsys):
    url, _ = audit
    assert main(["audit", "purge", "--older-than", "5000", "--audit-url", url]) == 0
    assert "older than 5000 day(s): deleted records 0," in capsys.readouterr().out
    assert main(["audit", "purge", "--dry-run", "--audit-url", url]) == 0  # 400 days default
    assert "older than 400 day(s): would delete records 1," in capsys.readouterr().out
    assert main(["audit", "purge", "--older-than", "365", "--audit-url", url]) == 0
    assert "deleted records 1, inbox 1, webhook_rejections 1" in capsys.readouterr().out
    assert main(["audit", "purge", "--older-than", "0", "--audit-url", url]) == 2
