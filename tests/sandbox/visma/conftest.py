"""Fixtures for the Visma sandbox contract tests: a real uvicorn server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from visma_helpers import VismaClient, start


@pytest.fixture
def visma(tmp_path) -> Iterator[VismaClient]:
    server, app = start(tmp_path)
    try:
        yield VismaClient(server)
    finally:
        server.stop()
        app.sandbox.store.close()
