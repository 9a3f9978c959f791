from __future__ import annotations

import datetime as dt
import hashlib
import threading

from ukg_visma.audit import inbox
from ukg_visma.employees.models import WebhookEvent


def event(event_id: str, ee: str = "E1", when: str = "2026-05-31T14:00:00+02:00") -> WebhookEvent:
    return WebhookEvent.model_validate_json(
        f'{{"EventId": "{event_id}", "EventTime": "{when}", "EventType": "EmployeeHireEvent",'
        f' "Operation": "Insert", "Payload": {{"CoId": "C0001", "EeId": "{ee}"}},'
        f' "Tenant": "nordicmfg"}}'
    )


def test_put_event_once_then_duplicate(engine):
    assert inbox.put_event(engine, event("e1")) is True
    assert inbox.put_event(engine, event("e1", ee="other")) is False
    rows = inbox.fetch_events(engine)
    assert len(rows) == 1
    row = rows[0]
    assert row["employee_id"] == "E1"  # the first delivery wins
    assert row["company_id"] == "C0001"
    assert row["status"] == "new"
    assert row["event_time"] == dt.datetime(2026, 5, 31, 12, tzinfo=dt.UTC)
    assert row["payload"]["Payload"] == {"CoId": "C0001", "EeId": "E1", "RunId": None}


def test_concurrent_duplicates_make_one_row(engine):
    results: list[bool] = []
    barrier = threading.Barrier(16)

    def deliver() -> None:
        barrier.wait()
        results.append(inbox.put_event(engine, event("same")))

    threads = [threading.Thread(target=deliver) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    assert results.count(False) == 15
    assert inbox.count_events(engine) == 1


def test_pending_and_mark_processed(engine):
    for i in range(5):
        inbox.put_event(
            engine,
            event(f"e{i}"),
            received_at=dt.datetime(2026, 6, 1, 12, i, tzinfo=dt.UTC),
        )
    pending = inbox.pending_events(engine, limit=3)
    assert [r["event_id"] for r in pending] == ["e0", "e1", "e2"]
    assert inbox.mark_processed(engine, ["e0", "e1", "e1"], "run-1") == 2
    assert inbox.mark_processed(engine, ["e1", "e2"], "run-2") == 1  # e1 keeps run-1
    assert [r["event_id"] for r in inbox.pending_events(engine)] == ["e3", "e4"]
    rows = {r["event_id"]: r for r in inbox.fetch_events(engine)}
    assert rows["e1"]["processed_by_run"] == "run-1"
    assert rows["e2"]["processed_by_run"] == "run-2"
    assert rows["e1"]["processed_at"].tzinfo is not None
    assert inbox.count_events(engine, "new") == 2


def test_rejection_keeps_hash_and_size_never_the_body(engine):
    body = b'{"EventId": "x", "secret": "hunter2"}'
    inbox.record_rejection(engine, 401, "bad signature", body=body, remote="10.0.0.7")
    inbox.record_rejection(engine, 413, "body too large " + "x" * 300, body_size=10**6)
    latest, first = inbox.fetch_rejections(engine)
    assert first["status_code"] == 401
    assert first["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert first["body_size"] == len(body)
    assert first["remote"] == "10.0.0.7"
    assert "hunter2" not in repr(first)
    assert latest["body_size"] == 10**6 and latest["body_sha256"] is None
    assert len(latest["reason"]) == 200


def test_a_pile_of_gl_events_never_crowds_employee_events_out(engine):
    for i in range(5):  # GL export events wait for the pay-period sensor, oldest first
        gl = WebhookEvent.model_validate_json(
            event(f"gl{i}")
            .model_dump_json(by_alias=True)
            .replace("EmployeeHireEvent", "PayrollGLExportCompletedEvent")
        )
        inbox.put_event(engine, gl, received_at=dt.datetime(2026, 6, 1, 11, i, tzinfo=dt.UTC))
    inbox.put_event(engine, event("hire"), received_at=dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC))
    assert [r["event_id"] for r in inbox.pending_events(engine, limit=3)] == ["gl0", "gl1", "gl2"]
    employee = inbox.pending_events(engine, limit=3, type_prefix="Employee")
    assert [r["event_id"] for r in employee] == ["hire"]
