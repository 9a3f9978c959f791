"""Fixtures for the Visma sandbox contract tests: a real uvicorn server per module, reset per test
(tests that need other server settings or a restart start their own with ``start``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from visma_helpers import VismaClient, small_visma, start

DEFAULT_CONFIG = {
    "token_lifetime": 3600,
    "latency_ms": 0,
    "rate_limit_per_minute": 6000,
    "quota_clock": None,
}


@pytest.fixture(scope="module")
def visma_server(tmp_path_factory) -> Iterator[VismaClient]:
    server, app = start(tmp_path_factory.mktemp("visma"))
    client = VismaClient(server)
    try:
        yield client
    finally:
        client.http.close()
        server.stop()
        app.sandbox.store.close()


@pytest.fixture
def visma(visma_server: VismaClient) -> VismaClient:
    """The module's server with the small company loaded again, default settings, no faults,
    no calls logged and no token valid."""
    for method, path, body in (
        ("POST", "/reset", {"visma": small_visma()}),
        ("POST", "/config", DEFAULT_CONFIG),
        ("DELETE", "/tokens", None),
        ("DELETE", "/calls", None),
    ):
        answer = visma_server.admin(method, path, body)
        assert answer.status_code < 400, answer.text
    visma_server._token = None
    return visma_server
