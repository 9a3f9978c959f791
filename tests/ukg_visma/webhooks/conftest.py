"""A real receiver over real HTTP: uvicorn in a thread on a free port, a fresh inbox per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from sqlalchemy import Engine

from sandbox.common import ServerThread
from ukg_visma.audit import inbox
from ukg_visma.audit.store import get_engine
from ukg_visma.webhooks.receiver import PATH, create_app
from ukg_visma.webhooks.signing import signed_headers

SECRET = "test-webhook-secret-0123456789"
MAX_BODY = 4096


@dataclass
class Receiver:
    base_url: str
    state: dict[str, Any]
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return self.base_url + PATH

    @property
    def engine(self) -> Engine:
        return self.state["engine"]

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
        return self.session.post(self.url, data=body, headers=headers or {}, timeout=10)

    def post_signed(
        self, body: bytes, *, secret: str = SECRET, timestamp: int | None = None
    ) -> requests.Response:
        return self.post(body, signed_headers(secret, body, timestamp=timestamp))

    def enqueued(self) -> int:
        return inbox.count_events(self.engine)

    def rejections(self) -> list[dict[str, Any]]:
        return inbox.fetch_rejections(self.engine)


def event_body(event_id: str = "evt-1", **overrides: Any) -> bytes:
    event = {
        "EventId": event_id,
        "EventTime": "2026-05-31T12:00:00Z",
        "EventType": "EmployeeHireEvent",
        "Operation": "Insert",
        "Payload": {"CoId": "C0001", "EeId": "5f3a-0001"},
        "Tenant": "nordicmfg",
    } | overrides
    return json.dumps(event).encode()


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[Receiver]:
    state: dict[str, Any] = {"secret": SECRET, "engine": None}
    # Shared by every test (all from 127.0.0.1): no rate limit here; test_receiver_limits has
    # its own server with a limit and a clock it controls.
    app = create_app(
        lambda: state["secret"],
        lambda: state["engine"],
        max_body=MAX_BODY,
        rejections_per_minute=1_000_000,
    )
    with ServerThread(app) as server:
        yield Receiver(server.url, state)


@pytest.fixture
def receiver(receiver_server: Receiver, tmp_path) -> Receiver:
    """The shared server, pointed at a fresh SQLite inbox with the right secret."""
    receiver_server.state["engine"] = get_engine(f"sqlite:///{tmp_path}/audit.db")
    receiver_server.state["secret"] = SECRET
    return receiver_server


@pytest.fixture
def make_event():
    """``event_body`` as a fixture: a documented UKG event, JSON-encoded, with overrides."""
    return event_body
