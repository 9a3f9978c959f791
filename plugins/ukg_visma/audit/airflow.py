"""Resolve the audit store from Airflow's connection ``ukg_visma_audit`` when it exists.

Kept apart from ``audit.store`` so that the store itself (and everything tested with plain data)
does not import Airflow.
"""

from __future__ import annotations

import os

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
