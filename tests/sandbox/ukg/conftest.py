"""Fixtures for the UKG sandbox contract tests: a real uvicorn server per module, reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ukg_helpers import EMPLOYEES, UkgClient, start

DEFAULT_CONFIG = {"token_lifetime": 3600, "rate_limit_per_minute": None, "quota_clock": None}


@pytest.fixture(scope="module")
def ukg_server(tmp_path_factory) -> Iterator[UkgClient]:
    server = start(tmp_path_factory.mktemp("ukg"))
    client = UkgClient(server)
    try:
        yield client
    finally:
        client.http.close()
        server.stop()
        server.app.sandbox.store.close()


@pytest.fixture
def ukg(ukg_server: UkgClient) -> UkgClient:
    """The module's server, reset to the scenario (seed 42) with default settings."""
    ukg_server.admin("POST", "reset", {"seed": 42, "employees": EMPLOYEES})
    ukg_server.admin(
        "POST",
        "config",
        {"token_lifetime": 3600, "rate_limit_per_minute": None, "quota_clock": None},
    )
    ukg_server._token = None
    return ukg_server
