"""``ukg-visma ping``: test the UKG and Visma connections the way the Airflow UI's Test button does.

Each connection gets a token and makes one cheap read; the command prints one readable line per
connection (latency, tenant, token lifetime, rate-limit headroom — or the cause of the failure)
and exits non-zero if any failed, so it works in a deployment check as well as by hand.
"""

from __future__ import annotations

import argparse

DEFAULT_CONNECTIONS = ("ukg_default", "visma_default")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ping", help="test the UKG Pro and Visma.net connections (token + one cheap read)"
    )
    parser.add_argument(
        "--conn",
        action="append",
        metavar="CONN_ID",
        help="connection id to test (repeatable; default: ukg_default and visma_default)",
    )
    parser.set_defaults(func=_run)


def ping(conn_id: str) -> tuple[bool, str]:
    """Test one connection, choosing the hook by its connection type."""
    from airflow.sdk.exceptions import AirflowNotFoundException

    from ukg_visma.hooks import UkgHook, VismaHook

    try:
        conn_type = UkgHook.get_connection(conn_id).conn_type
    except AirflowNotFoundException:
        return False, f"connection {conn_id!r} is not defined (no Airflow connection or env var)"
    hook: UkgHook | VismaHook
    if conn_type == UkgHook.conn_type:
        hook = UkgHook(ukg_conn_id=conn_id)
    elif conn_type == VismaHook.conn_type:
        hook = VismaHook(visma_conn_id=conn_id)
    else:
        known = sorted((UkgHook.conn_type, VismaHook.conn_type))
        return False, f"connection type {conn_type!r} is not one of {known}"
    return hook.test_connection()


def _run(args: argparse.Namespace) -> int:
    failed = 0
    for conn_id in args.conn or DEFAULT_CONNECTIONS:
        ok, message = ping(conn_id)
        failed += not ok
        print(f"{'OK  ' if ok else 'FAIL'} {conn_id}: {message}", flush=True)
    return 1 if failed else 0
