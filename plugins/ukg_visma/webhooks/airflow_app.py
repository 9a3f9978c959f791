"""Wiring the receiver to Airflow: the secret from a connection or variable, the audit engine.

Kept apart from ``receiver`` so that the receiver itself (and its tests) need no Airflow. Both
providers resolve lazily, at the first request, never at import: Airflow imports plugins in every
component (scheduler, workers, DAG processor), where a secret lookup or a database connection at
import time would be a leak and a slowdown.

Secret resolution order: connection ``ukg_webhook`` (its password field, Fernet-encrypted by
Airflow), then variable ``ukg_webhook_secret``. The value is cached for ``ttl_s`` seconds so that a
burst of events costs one lookup, while a rotated secret is picked up within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy import Engine

from ukg_visma.webhooks.receiver import create_app

WEBHOOK_CONN_ID = "ukg_webhook"
WEBHOOK_VARIABLE = "ukg_webhook_secret"


def lookup_secret(conn_id: str = WEBHOOK_CONN_ID, variable: str = WEBHOOK_VARIABLE) -> str | None:
    """The shared secret from Airflow's secrets backends (env vars, metastore, vaults)."""
    from airflow.sdk import BaseHook, Variable
    from airflow.sdk.exceptions import AirflowNotFoundException, AirflowRuntimeError

    try:
        password = BaseHook.get_connection(conn_id).password
    except (AirflowNotFoundException, AirflowRuntimeError):
        password = None
    if password:
        return password
    try:
        value = Variable.get(variable, default=None)
    except (KeyError, AirflowRuntimeError):
        value = None
    return value or None


def airflow_secret_provider(
    conn_id: str = WEBHOOK_CONN_ID,
    variable: str = WEBHOOK_VARIABLE,
    *,
    ttl_s: float = 30.0,
    lookup: Callable[[str, str], str | None] = lookup_secret,
) -> Callable[[], str | None]:
    """A thread-safe, briefly caching provider; a missing secret is never cached."""
    lock = threading.Lock()
    value: str | None = None
    fetched_at = 0.0

    def provide() -> str | None:
        nonlocal value, fetched_at
        with lock:
            if value and time.monotonic() - fetched_at < ttl_s:
                return value
            value, fetched_at = lookup(conn_id, variable), time.monotonic()
            return value

    return provide


def lazy_engine_provider(factory: Callable[[], Engine]) -> Callable[[], Engine]:
    """Resolve the audit engine once, on first use (the connection lookup is not per request)."""
    lock = threading.Lock()
    holder: list[Engine] = []

    def provide() -> Engine:
        if not holder:
            with lock:
                if not holder:
                    holder.append(factory())
        return holder[0]

    return provide


def build_app() -> FastAPI:
    """The receiver as the Airflow plugin serves it."""
    from ukg_visma.audit.airflow import audit_engine

    return create_app(airflow_secret_provider(), lazy_engine_provider(audit_engine))
