"""Fuzzing the webhook receiver's body handling with correctly signed requests (the real app,
over ASGI): any body is answered 202 (a valid event) or 400 naming what is wrong — never a 5xx
or an exception — and only valid events reach the inbox."""

from __future__ import annotations

import json
import time

import fuzz_profiles  # noqa: F401 - registers and loads the profile
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from strategies import hostile

from ukg_visma.audit.inbox import count_events
from ukg_visma.audit.store import get_engine
from ukg_visma.employees.models import WebhookEvent
from ukg_visma.webhooks.receiver import PATH, create_app
from ukg_visma.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET = "fuzz-webhook-secret-0123456789"
EVENT = {
    "EventId": "8c1e1f7e-0000-4000-8000-000000000001", "EventTime": "2026-11-02T08:00:00Z",
    "EventType": "EmployeeHireEvent", "Operation": "Insert",
    "Payload": {"CoId": "C0001", "EeId": "EE0001"}, "Tenant": "nordicmfg",
}  # fmt: skip
KEYS = [*EVENT, "Payload.CoId", "Payload.EeId", "Extra"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/audit.db")
    app = create_app(lambda: SECRET, lambda: engine, rejections_per_minute=10**9)
    with TestClient(app) as http:
        yield http, engine


@st.composite
def events(draw: st.DrawFn) -> dict:
    body = json.loads(json.dumps(EVENT))
    body["EventId"] = draw(st.uuids()).hex
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        key = draw(st.sampled_from(KEYS))
        where, name = (body.get("Payload"), key.split(".")[1]) if "." in key else (body, key)
        if not isinstance(where, dict):
            continue
        if draw(st.booleans()):
            where[name] = draw(hostile)
        else:
            where.pop(name, None)
    return body


def _post(http: TestClient, raw: bytes):
    stamp = str(int(time.time()))
    headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(SECRET, stamp, raw),
               "Content-Type": "application/json"}  # fmt: skip
    return http.post(PATH, content=raw, headers=headers)


def _valid(raw: bytes) -> bool:
    try:
        WebhookEvent.model_validate_json(raw)
    except ValueError:
        return False
    return True


@given(events())
def test_a_signed_event_body_is_accepted_or_refused_naming_the_field(client, body):
    http, engine = client
    raw = json.dumps(body, default=str).encode()
    before = count_events(engine, "new")
    answer = _post(http, raw)
    assert answer.status_code in (202, 400), (answer.status_code, answer.text)
    if answer.status_code == 400:
        detail = answer.json()["detail"]
        assert detail == "malformed JSON" or detail.startswith("schema: "), detail
        assert not _valid(raw)
        assert count_events(engine, "new") == before
    else:
        assert _valid(raw)


@given(st.one_of(st.binary(max_size=300), hostile.map(lambda v: json.dumps(v, default=str)
                                                       .encode())))  # fmt: skip
def test_any_signed_bytes_get_an_answer_not_a_crash(client, raw):
    http, _ = client
    answer = _post(http, raw)
    assert answer.status_code in (202, 400), (answer.status_code, answer.text)
