"""A real receiver over real HTTP: uvicorn in a thread on a free port, a fresh inbox per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from webhook_helpers import MAX_BODY, SECRET, Receiver, event_body

from sandbox.common import ServerThread
from ukg_visma.audit.store import get_engine
from ukg_visma.webhooks.receiver import create_app


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
