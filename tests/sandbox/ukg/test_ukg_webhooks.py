"""UKG webhook contract: thin events, HMAC over "{timestamp}.{body}", drops/duplicates/reordering.

The receiver here is a plain ``http.server`` and the signature is recomputed independently of the
sandbox code, so a change of the signing format fails these tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SECRET = "whsec-test-1"
EVENT_KEYS = {"EventId", "EventTime", "EventType", "Operation", "Payload", "Tenant"}


class Receiver:
    """Records every POST; answers ``fail_first`` 500s before it starts answering 202."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(500)
                else:
                    receiver.received.append((dict(self.headers.items()), body))
                    self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ukg/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


def _subscribe(ukg, receiver, **extra):
    body = {"url": receiver.url, "secret": SECRET, "retry_delay_ms": 10, **extra}
    described = ukg.admin("POST", "webhooks", body)
    assert described["configured"] and "secret" not in described
    receiver.received.clear()


def _employees(ukg, count: int, offset: int = 0) -> list[dict]:
    """Employees from the published feed of one id each (``employeeId`` as the feed spells it)."""
    found = ukg.get("/personnel/v1/employment-details", {"per_Page": 200}).json()
    ids = [e["employeeID"] for e in found[offset : offset + count]]
    return [ukg.get(f"/personnel/v1/employee-changes/{i}").json()[0] for i in ids]


def _transfer(ukg, people: list[dict], centre: str = "140") -> dict:
    changes = [{"employeeId": p["employeeId"], "orgLevel3Code": centre} for p in people]
    return ukg.admin("POST", "employees", {"employees": changes})


def test_hire_event_is_thin_and_signed(ukg, receiver):
    _subscribe(ukg, receiver)
    hire = {"employeeNumber": "900002", "firstName": "Ny", "lastName": "Ansatt"}
    answer = ukg.admin("POST", "employees", {"employees": [hire]})
    [(headers, body)] = receiver.received
    event = json.loads(body)
    assert set(event) == EVENT_KEYS
    assert event["EventType"] == "EmployeeHireEvent" and event["Operation"] == "Insert"
    assert event["Payload"] == {"CoId": "C0001", "EeId": answer["employees"][0]["employeeId"]}
    assert event["Tenant"] == "nordicmfg"
    assert event["EventId"] == answer["events"][0]["EventId"]
    stamp = headers["X-UKG-Timestamp"]
    assert abs(int(stamp) - time.time()) < 10
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-UKG-Signature"] == f"sha256={expected}"
    wrong = hmac.new(b"other", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-UKG-Signature"] != f"sha256={wrong}"


def test_event_types_follow_the_change(ukg, receiver):
    _subscribe(ukg, receiver)
    person = _employees(ukg, 1)[0]
    eid = person["employeeId"]
    steps = [
        ({"employeeStatus": "T", "terminationDate": "2026-11-30"}, ["EmployeeTerminationEvent"]),
        ({"employeeStatus": "A", "lastHireDate": "2026-12-15"}, ["EmployeeRehireEvent"]),
        ({"orgLevel2Code": "20", "orgLevel3Code": "120", "jobCode": "MEC"},
         ["EmployeeOrgLevelChangeEvent", "EmployeeJobChangeEvent"]),
        ({"employeeStatus": "L"}, ["EmployeeStatusChangeEvent"]),
        ({"lastName": "Nytt-Navn"}, ["EmployeeChangeEvent"]),
    ]  # fmt: skip
    for change, types in steps:
        receiver.received.clear()
        ukg.admin("POST", "employees", {"employees": [{"employeeId": eid, **change}]})
        assert [e["EventType"] for e in receiver.events()] == types
        assert all(e["Payload"]["EeId"] == eid for e in receiver.events())


def test_dropped_events_still_reach_the_change_feed(ukg, receiver):
    _subscribe(ukg, receiver, drop_rate=1.0)
    started = time.time() - 1
    people = _employees(ukg, 5)
    _transfer(ukg, people)
    assert receiver.received == []
    log = ukg.admin("GET", "webhook-deliveries")["deliveries"]
    assert [d["outcome"] for d in log] == ["dropped"] * 5
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
    fed = ukg.get("/personnel/v1/employee-changes", {"startDate": since, "per_page": 200}).json()
    assert {e["employeeId"] for e in fed} == {p["employeeId"] for p in people}
    assert all(e["orgLevel3Code"] == "140" for e in fed)


def test_duplicates_repeat_the_same_event(ukg, receiver):
    _subscribe(ukg, receiver, duplicate_rate=1.0)
    _transfer(ukg, _employees(ukg, 3))
    ids = [e["EventId"] for e in receiver.events()]
    assert len(ids) == 6 and len(set(ids)) == 3
    assert all(ids.count(i) == 2 for i in ids)
    log = ukg.admin("GET", "webhook-deliveries")["deliveries"]
    assert sum(d["duplicate"] for d in log) == 3


def _shuffled_run(ukg, receiver) -> tuple[list[str], list[str]]:
    ukg.admin("POST", "reset", {"employees": 250})
    _subscribe(ukg, receiver, shuffle=True, drop_rate=0.3)
    answer = _transfer(ukg, _employees(ukg, 30))
    emitted = [e["EventId"] for e in answer["events"]]
    return emitted, [e["EventId"] for e in receiver.events()]


def test_reordering_and_drops_are_deterministic_under_the_seed(ukg, receiver):
    emitted, received = _shuffled_run(ukg, receiver)
    assert set(received) < set(emitted)  # some were dropped, none invented
    assert 5 <= len(received) < 30
    order = [emitted.index(i) for i in received]
    assert order != sorted(order)  # reordered
    again_emitted, again_received = _shuffled_run(ukg, receiver)
    assert (again_emitted, again_received) == (emitted, received)
    ukg.admin("POST", "reset", {"employees": 250, "seed": 7})
    _subscribe(ukg, receiver, shuffle=True, drop_rate=0.3)
    other = _transfer(ukg, _employees(ukg, 30))
    assert [e["EventId"] for e in other["events"]] != emitted


def test_failed_deliveries_are_retried_at_least_once(ukg, receiver):
    _subscribe(ukg, receiver, max_attempts=4)
    receiver.fail_first = 2
    _transfer(ukg, _employees(ukg, 1))
    assert len(receiver.received) == 1
    [entry] = ukg.admin("GET", "webhook-deliveries")["deliveries"]
    assert entry["outcome"] == "delivered" and entry["attempts"] == 3
    receiver.fail_first = 10
    _transfer(ukg, _employees(ukg, 1, offset=1))
    last = ukg.admin("GET", "webhook-deliveries?since=1")["deliveries"]
    assert [(d["outcome"], d["attempts"], d["httpStatus"]) for d in last] == [("failed", 4, 500)]


def test_gl_run_completion_event(ukg, receiver):
    _subscribe(ukg, receiver)
    run = {"runId": "HOOK-1", "periodStartDate": "2026-11-01", "periodEndDate": "2026-11-30",
           "payDate": "2026-11-25", "lines": [{"baseSegment": "5000", "debitAmt": "1",
                                               "creditAmt": "0"}]}  # fmt: skip
    ukg.admin("POST", "gl-runs", run)
    [event] = receiver.events()
    assert event["EventType"] == "PayrollGLExportCompletedEvent"
    assert event["Payload"] == {"CoId": "C0001", "RunId": "HOOK-1"}


def test_without_subscription_nothing_is_sent(ukg, receiver):
    _transfer(ukg, _employees(ukg, 2))
    assert receiver.received == []
    log = ukg.admin("GET", "webhook-deliveries")["deliveries"]
    assert [d["outcome"] for d in log] == ["not_configured"] * 2
    assert (
        ukg.http.post("/_sandbox/webhooks", json={"url": "ftp://x", "secret": "s"}).status_code
        == 422
    )
