"""Resolve the audit store from Airflow's connection ``ukg_visma_audit`` when it exists.

Kept apart from ``audit.store`` so that the store itself (and everything tested with plain data)
does not import Airflow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from ukg_visma.audit.store import get_engine

AUDIT_CONN_ID = "ukg_visma_audit"


def audit_url_from_airflow(conn_id: str = AUDIT_CONN_ID) -> str | None:
    """The connection's SQLAlchemy URL, or None when the connection is not defined."""
    if os.environ.get("UKG_VISMA_AUDIT_URL"):
        return os.environ["UKG_VISMA_AUDIT_URL"]
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException, AirflowRuntimeError

    try:
        conn = BaseHook.get_connection(conn_id)
    except (AirflowNotFoundException, AirflowRuntimeError, KeyError, ValueError):
        return None
    uri = conn.get_uri()
    if uri.startswith("postgres://"):
        uri = "postgresql+psycopg2://" + uri[len("postgres://") :]
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg2://" + uri[len("postgresql://") :]
    return uri


def audit_engine(conn_id: str = AUDIT_CONN_ID) -> Engine:
    return get_engine(audit_url_from_airflow(conn_id))


def shared_store_warning(conn_id: str = AUDIT_CONN_ID) -> str | None:
    """A warning when workers may each write their own SQLite store (None when all is well).

    Why it matters: under Celery or Kubernetes every worker without the ``ukg_visma_audit``
    connection keeps its own default SQLite file, so leases and the audit trail split between
    machines. Exactly-once still holds (each run reads Visma first), but the audit answers
    differ by worker — say it loudly at the start of every run.
    """
    if os.environ.get("UKG_VISMA_AUDIT_URL") or audit_url_from_airflow(conn_id):
        return None
    from airflow.configuration import conf

    executor = str(conf.get("core", "executor", fallback="") or "")
    local = {"", "LocalExecutor", "SequentialExecutor", "DebugExecutor"}
    names = {part.strip().split(".")[-1] for part in executor.split(",")}
    if names <= local:
        return None
    return (
        f"no '{conn_id}' connection under {executor}: each worker writes its own SQLite audit "
        "store, so leases, ledger and audit trail are split between workers. Exactly-once "
        "still holds (Visma is read before posting), but define the connection (PostgreSQL) so "
        "that every worker and the `ukg-visma audit` CLI share one store."
    )


@contextmanager
def server_context() -> Iterator[None]:
    """Look connections up as Airflow's own server processes do, for the CLI's duration.

    Outside a task, Airflow 3.3 searches the metadata DB for connections only in its server
    context; a CLI run by hand on a deployment that keeps ``ukg_visma_audit`` or
    ``visma_default`` there must find them too. Restored afterwards, so that an in-process
    caller (tests) is left as it was.
    """
    old = os.environ.get("_AIRFLOW_PROCESS_CONTEXT")
    os.environ["_AIRFLOW_PROCESS_CONTEXT"] = "server"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("_AIRFLOW_PROCESS_CONTEXT", None)
        else:
            os.environ["_AIRFLOW_PROCESS_CONTEXT"] = old
