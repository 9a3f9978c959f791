"""Fixtures of the hook tests: a known sandbox state and the connections as ``AIRFLOW_CONN_*``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ukg_visma.hooks.auth import clear_token_cache
from ukg_visma.hooks.retry import reset_pacers

_KNOBS = {"token_lifetime": 3600, "latency_ms": 0, "quota_clock": None}
DEFAULT_CONFIG = {
    "ukg": {**_KNOBS, "rate_limit_per_minute": None},
    "visma": {**_KNOBS, "rate_limit_per_minute": 6000},
}


@pytest.fixture
def box(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The sandbox in its scenario state, default knobs, both connections in the environment."""
    sandbox.reset()
    for server, settings in DEFAULT_CONFIG.items():
        sandbox.config(server, **settings)
    for key, value in sandbox.connections_env().items():
        monkeypatch.setenv(key, value)
    clear_token_cache()
    reset_pacers()
    yield sandbox
    sandbox.clear_faults()
    for server, settings in DEFAULT_CONFIG.items():
        sandbox.config(server, **settings)
    clear_token_cache()
    reset_pacers()


@pytest.fixture
def set_conn(box: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Define a connection derived from the sandbox's: ``set_conn("visma", "visma_bad",
    password="wrong", extra={"tenant_id": "x"})`` → the conn id (extras are merged)."""

    def define(server: str, conn_id: str, **changes: Any) -> str:
        conn = json.loads(json.dumps(box.credentials[server]["connection"]))
        extra = changes.pop("extra", {})
        conn.update(changes)
        conn["extra"] = {**conn.get("extra", {}), **extra}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn_id

    return define
