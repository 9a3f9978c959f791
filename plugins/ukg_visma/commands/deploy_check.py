"""``ukg-visma deploy-check``: does every secret the package reads resolve, from wherever it lives?

Run by docker-compose's ``airflow-init`` before any service starts, and by hand after a rotation.
Each lookup goes through Airflow's own secrets search path (a configured secrets backend, then
``AIRFLOW_CONN_*``/``AIRFLOW_VAR_*`` environment variables, then the metadata DB), as the api-server
resolves them for the tasks and the webhook receiver: it works the same in every deployment mode.
It never prints a secret: only whether it was found and, for the API connections, their host.

A production deployment must not talk to the sandbox by accident: a UKG/Visma connection whose
host is the compose file's ``sandbox`` service fails the check unless ``UKG_VISMA_ALLOW_SANDBOX``
is true (set by ``sandbox.env``, the sandbox profile's settings).
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from airflow.sdk import Connection

API_CONNECTIONS = ("ukg_default", "visma_default")
AUDIT_CONNECTION = "ukg_visma_audit"
SANDBOX_HOSTS = frozenset({"sandbox"})


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "deploy-check",
        help="check that every connection and secret resolves (names only, never values)",
    )
    parser.set_defaults(func=_run)


def _connection(conn_id: str) -> Connection | None:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException, AirflowRuntimeError

    try:
        return BaseHook.get_connection(conn_id)
    except (AirflowNotFoundException, AirflowRuntimeError):
        return None


def check(allow_sandbox: bool) -> list[tuple[bool, str]]:
    """One ``(ok, line)`` per secret the package reads."""
    from ukg_visma.webhooks.airflow_app import WEBHOOK_CONN_ID, WEBHOOK_VARIABLE, lookup_secret

    results = []
    for conn_id in API_CONNECTIONS:
        conn = _connection(conn_id)
        if conn is None:
            results.append((False, f"connection {conn_id}: missing"))
            continue
        host = urlsplit(conn.host or "").hostname or conn.host or ""
        if host in SANDBOX_HOSTS and not allow_sandbox:
            line = (
                f"connection {conn_id}: points at the sandbox ({host}) outside the sandbox profile"
            )
            results.append((False, line))
        elif not conn.password:
            results.append((False, f"connection {conn_id}: host {host}, no password/secret"))
        else:
            results.append((True, f"connection {conn_id}: host {host}"))
    audit = _connection(AUDIT_CONNECTION)
    results.append(
        (True, f"connection {AUDIT_CONNECTION}: {audit.conn_type}://{audit.host}/{audit.schema}")
        if audit is not None
        else (False, f"connection {AUDIT_CONNECTION}: missing (the audit store would be SQLite)")
    )
    secret = lookup_secret()
    where = f"connection {WEBHOOK_CONN_ID} or variable {WEBHOOK_VARIABLE}"
    results.append(
        (True, f"webhook secret ({where}): set")
        if secret
        else (False, f"webhook secret ({where}): missing (every UKG event would get 503)")
    )
    return results


def _run(args: argparse.Namespace) -> int:
    # Resolve as the api-server does (it serves connections to the workers' tasks and runs the
    # webhook receiver): the metadata DB is on the search path only in Airflow's server context.
    os.environ.setdefault("_AIRFLOW_PROCESS_CONTEXT", "server")
    allow = os.environ.get("UKG_VISMA_ALLOW_SANDBOX", "").lower() in {"1", "true", "yes"}
    results = check(allow)
    for ok, line in results:
        print(f"{'OK  ' if ok else 'FAIL'} {line}", flush=True)
    return 0 if all(ok for ok, _ in results) else 1
