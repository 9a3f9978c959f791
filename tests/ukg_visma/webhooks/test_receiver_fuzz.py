"""Hypothesis against the live receiver: no input yields a 500, nothing unsigned is ever enqueued,
and a signed body is enqueued exactly when the strict model accepts it."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ukg_visma.audit import inbox
from ukg_visma.employees.models import WebhookEvent
from ukg_visma.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers

SECRET = "test-webhook-secret-0123456789"
# Size and deadline come from the hypothesis profile (tests/conftest.py).
FUZZ = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
# Header values a client can send (latin-1, no control characters, no leading blank).
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=80,
).map(str.lstrip)
event_like = st.fixed_dictionaries(
    {
        "EventId": st.one_of(st.text(max_size=130), json_values),
        "EventTime": st.one_of(
            st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()),
            json_values,
        ),
        "EventType": st.sampled_from(["EmployeeHireEvent", "PayrollGLExportCompletedEvent", ""])
        | st.text(max_size=20),
        "Operation": st.sampled_from(["Insert", "Update", "Delete", "insert"]),
        "Payload": st.fixed_dictionaries(
            {"CoId": st.text(max_size=5) | json_values},
            optional={"EeId": st.text(max_size=5) | json_values, "RunId": json_values},
        ),
        "Tenant": st.text(max_size=10) | json_values,
    },
    optional={"Extra": json_values},
)


def _valid(body: bytes) -> bool:
    try:
        WebhookEvent.model_validate_json(body)
    except ValidationError:
        return False
    return True


def _reset(receiver) -> None:
    with receiver.engine.begin() as conn:
        conn.execute(inbox.inbox.delete())


@FUZZ
@given(body=st.binary(max_size=6000), timestamp=header_text, signature=header_text)
def test_unsigned_bytes_never_enqueue_and_never_crash(receiver, body, timestamp, signature):
    _reset(receiver)
    headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature}
    response = receiver.post(body, headers)
    assert response.status_code in (401, 413), response.text
    assert receiver.enqueued() == 0


@FUZZ
@given(body=st.binary(max_size=5000))
def test_signed_arbitrary_bytes_are_parsed_safely(receiver, body):
    _reset(receiver)
    response = receiver.post(body, signed_headers(SECRET, body))
    assert response.status_code in (202, 400, 413), response.text
    assert receiver.enqueued() == (1 if response.status_code == 202 else 0)
    if response.status_code == 202:
        assert _valid(body)


@FUZZ
@given(document=json_values | event_like)
def test_signed_arbitrary_json_is_enqueued_only_when_valid(receiver, document):
    _reset(receiver)
    body = json.dumps(document).encode()
    response = receiver.post(body, signed_headers(SECRET, body))
    if len(body) > 4096:
        assert response.status_code == 413
        return
    expected = 202 if _valid(body) else 400
    assert response.status_code == expected, (response.status_code, response.text)
    assert receiver.enqueued() == (1 if expected == 202 else 0)


@FUZZ
@given(document=event_like, skew=st.integers(min_value=-(10**6), max_value=10**6))
def test_signed_but_stale_never_enqueues(receiver, document, skew):
    _reset(receiver)
    body = json.dumps(document).encode()
    # well outside the 300 s window, so that the seconds a slow run takes cannot bring it back in
    ts = int(time.time()) + (skew if abs(skew) > 360 else 400)
    response = receiver.post(body, signed_headers(SECRET, body, timestamp=max(ts, 0)))
    assert response.status_code in (401, 413)
    assert receiver.enqueued() == 0
