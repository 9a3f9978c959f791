"""The receiver under test and documented UKG events (imported by name, not from conftest)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy import Engine

from ukg_visma.audit import inbox
from ukg_visma.webhooks.receiver import PATH
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
