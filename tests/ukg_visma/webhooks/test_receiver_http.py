"""The receiver over real HTTP: every request is a 202 into the inbox or a recorded refusal."""

from __future__ import annotations

import hashlib
import hmac
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ukg_visma.audit import inbox
from ukg_visma.audit.store import get_engine
from ukg_visma.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signed_headers

SECRET = "test-webhook-secret-0123456789"


def assert_refused(receiver, response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"detail": reason}
    assert receiver.enqueued() == 0
    rejections = receiver.rejections()
    assert [(r["status_code"], r["reason"]) for r in rejections] == [(status, reason)]


def test_valid_event_is_enqueued_once(receiver, make_event):
    body = make_event("evt-42")
    first = receiver.post_signed(body)
    assert first.status_code == 202
    assert first.json() == {"status": "accepted", "eventId": "evt-42"}
    again = receiver.post_signed(body)  # at-least-once delivery: the same event again
    assert again.status_code == 202
    assert again.json() == {"status": "duplicate", "eventId": "evt-42"}
    rows = inbox.fetch_events(receiver.engine)
    assert [(r["event_id"], r["employee_id"], r["status"]) for r in rows] == [
        ("evt-42", "5f3a-0001", "new")
    ]
    assert receiver.rejections() == []


def test_replayed_event_id_with_other_content_is_not_enqueued_again(receiver, make_event):
    assert receiver.post_signed(make_event("evt-7")).status_code == 202
    replay = receiver.post_signed(make_event("evt-7", Operation="Delete"))
    assert replay.status_code == 202
    assert replay.json()["status"] == "duplicate"
    rows = inbox.fetch_events(receiver.engine)
    assert len(rows) == 1 and rows[0]["payload"]["Operation"] == "Insert"


def test_bad_signature(receiver, make_event):
    body = make_event()
    response = receiver.post_signed(body, secret="wrong-secret")
    assert_refused(receiver, response, 401, "bad signature")
    rejection = receiver.rejections()[0]
    assert rejection["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert rejection["body_size"] == len(body)
    assert rejection["remote"] == "127.0.0.1"


def test_signature_over_another_timestamp_is_refused(receiver, make_event):
    body = make_event()
    headers = signed_headers(SECRET, body)
    headers[TIMESTAMP_HEADER] = str(int(headers[TIMESTAMP_HEADER]) + 1)
    assert_refused(receiver, receiver.post(body, headers), 401, "bad signature")


def test_signature_over_another_body_is_refused(receiver, make_event):
    headers = signed_headers(SECRET, make_event("evt-1"))
    assert_refused(receiver, receiver.post(make_event("evt-2"), headers), 401, "bad signature")


@pytest.mark.parametrize(
    ("drop", "replace", "reason"),
    [
        (SIGNATURE_HEADER, None, "missing signature"),
        (TIMESTAMP_HEADER, None, "missing timestamp"),
        (None, {TIMESTAMP_HEADER: "yesterday"}, "bad timestamp"),
        (None, {TIMESTAMP_HEADER: "-1"}, "bad timestamp"),
        (None, {SIGNATURE_HEADER: "md5=abc"}, "bad signature"),
        (None, {SIGNATURE_HEADER: "sha256=" + "0" * 64}, "bad signature"),
    ],
    ids=["no-signature", "no-timestamp", "word-timestamp", "negative-timestamp", "md5", "zeros"],
)
def test_missing_or_malformed_auth_headers(receiver, make_event, drop, replace, reason):
    body = make_event()
    headers = signed_headers(SECRET, body)
    if drop:
        del headers[drop]
    headers.update(replace or {})
    assert_refused(receiver, receiver.post(body, headers), 401, reason)


@pytest.mark.parametrize(
    "offset", [-301, -3600, 301, 86400], ids=["5min-old", "1h-old", "future", "tomorrow"]
)
def test_stale_timestamp_even_with_a_valid_signature(receiver, make_event, offset):
    body = make_event()
    response = receiver.post_signed(body, timestamp=int(time.time()) + offset)
    assert_refused(receiver, response, 401, "stale timestamp")


def test_timestamp_inside_the_window_is_accepted(receiver, make_event):
    response = receiver.post_signed(make_event(), timestamp=int(time.time()) - 250)
    assert response.status_code == 202


def test_oversized_body_by_content_length(receiver, make_event):
    body = make_event(Tenant="x" * 5000)
    response = receiver.post_signed(body)
    assert_refused(receiver, response, 413, "body too large")
    assert receiver.rejections()[0]["body_sha256"] is None  # never read, never hashed
    assert receiver.rejections()[0]["body_size"] == len(body)


def test_oversized_chunked_body_is_cut_off_while_reading(receiver, make_event):
    body = make_event(Tenant="x" * 5000)
    headers = signed_headers(SECRET, body)

    def chunks():
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    response = receiver.session.post(receiver.url, data=chunks(), headers=headers, timeout=10)
    assert_refused(receiver, response, 413, "body too large")


def test_malformed_json(receiver):
    response = receiver.post_signed(b'{"EventId": "evt-1", ')
    assert_refused(receiver, response, 400, "malformed JSON")


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"Operation": "Upsert"}, "Operation"),
        ({"Unexpected": True}, "Unexpected"),
        ({"EventTime": "2026-05-31T12:00:00"}, "EventTime"),
        ({"Payload": {"CoId": "C0001"}}, "body"),  # employee event without EeId
    ],
)
def test_wrong_schema(receiver, make_event, overrides, where):
    response = receiver.post_signed(make_event(**overrides))
    assert response.status_code == 400
    reason = response.json()["detail"]
    assert reason.startswith("schema: ") and where in reason
    assert receiver.enqueued() == 0
    assert receiver.rejections()[0]["reason"] == reason


def test_json_that_is_not_an_object(receiver):
    response = receiver.post_signed(b"[1, 2, 3]")
    assert response.status_code == 400
    assert receiver.enqueued() == 0


def test_secret_not_configured_refuses_with_503(receiver, make_event):
    receiver.state["secret"] = None
    response = receiver.post(make_event(), signed_headers("", make_event()))
    assert_refused(receiver, response, 503, "secret not configured")


def test_secret_never_appears_in_answers_or_rejections(receiver, make_event):
    responses = [
        receiver.post_signed(make_event(), secret="nope"),
        receiver.post_signed(b"not json"),
        receiver.post_signed(make_event(Operation="x")),
    ]
    seen = " ".join(r.text for r in responses) + repr(receiver.rejections())
    assert SECRET not in seen


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_parallel_duplicate_deliveries_make_one_row(receiver, make_event, backend, request):
    if backend == "postgresql":
        engine = get_engine(request.getfixturevalue("pg_url"))
        with engine.begin() as conn:
            conn.execute(inbox.inbox.delete())
        receiver.state["engine"] = engine
    body = make_event("evt-storm")

    def deliver(_: int) -> tuple[int, str]:
        with requests.Session() as s:  # separate connections, truly parallel requests
            r = s.post(receiver.url, data=body, headers=signed_headers(SECRET, body), timeout=30)
        return r.status_code, r.json().get("status", "")

    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(deliver, range(48)))
    assert {status for status, _ in results} == {202}
    assert [kind for _, kind in results].count("accepted") == 1
    assert inbox.count_events(receiver.engine) == 1


def test_answers_in_milliseconds(receiver, make_event):
    timings = []
    for i in range(30):
        body = make_event(f"evt-fast-{i}")
        started = time.perf_counter()
        assert receiver.post_signed(body).status_code == 202
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.1, timings
    assert receiver.enqueued() == 30


def test_signing_helper_matches_the_documented_format():
    # HMAC-SHA256 over "{timestamp}." + body, hex, prefixed with "sha256=".
    body = b'{"a":1}'
    expected = "sha256=" + hmac.new(b"k", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, body) == expected
