"""Versions of the audit store's schema, and the steps that bring an older store up to date.

``metadata.create_all`` only adds missing tables: a store created by an earlier release keeps its
old tables as they were, and the first insert into a changed table fails inside a task (a webhook
refusal, say) long after the upgrade. So every store records its schema version in
``schema_versions``; on first use a process (under the store's lock) applies the steps above that
version, in order, then creates what is still missing. A store made before versions were recorded
is recognised by its shape. A store newer than this code is refused, naming both versions: an
older worker must not write into a schema it does not know.

Steps never drop what they replace: a reshaped table keeps its old rows under a ``_v<n>`` name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, inspect, select, text

from ukg_visma.audit.schema import metadata, schema_versions, webhook_rejections
from ukg_visma.errors import NotRetryable

# The version the code of this release reads and writes.
SCHEMA_VERSION = 4


class AuditSchemaError(NotRetryable, RuntimeError):
    """The audit store's schema is newer than this code, or an upgrade step cannot run."""


@dataclass(frozen=True)
class Step:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _utc(value: Any) -> dt.datetime:
    """A stored timestamp: raw SQL on SQLite reads it back as naive ISO text (it is UTC)."""
    stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)


def _rejections_per_window(conn: Connection) -> None:
    """Release 1 kept one ``webhook_rejections`` row per refused request; release 2 counts them
    per source per minute (a flood cannot grow the table faster than a row a minute per source).

    The per-request table is renamed ``webhook_rejections_v1`` with every row, and its rows are
    counted into the new table so that ``ukg-visma audit`` and retention see them.
    """
    old = "webhook_rejections_v1"
    conn.execute(text(f"ALTER TABLE webhook_rejections RENAME TO {old}"))
    if conn.dialect.name == "postgresql":
        # Renaming a table keeps its index and sequence names; the new table needs them.
        conn.execute(text(f"ALTER INDEX IF EXISTS webhook_rejections_pkey RENAME TO {old}_pkey"))
        conn.execute(
            text(f"ALTER SEQUENCE IF EXISTS webhook_rejections_id_seq RENAME TO {old}_id_seq")
        )
    webhook_rejections.create(conn)
    rows = conn.execute(
        text(
            "SELECT received_at, status_code, reason, body_sha256, body_size, remote "
            f"FROM {old} ORDER BY received_at, id"
        )
    ).all()
    windows: dict[tuple[str, dt.datetime], dict[str, Any]] = {}
    for row in rows:
        received = _utc(row.received_at)
        key = (row.remote or "", received.replace(second=0, microsecond=0))
        window = windows.get(key)
        if window is None:
            windows[key] = {
                "received_at": received,
                "status_code": row.status_code,
                "reason": row.reason,
                "body_sha256": row.body_sha256,
                "body_size": row.body_size,
                "remote": key[0],
                "window_start": key[1],
                "count": 1,
                "last_status_code": row.status_code,
                "last_reason": row.reason,
            }
        else:
            window["count"] += 1
            window["last_status_code"] = row.status_code
            window["last_reason"] = row.reason
    if windows:
        conn.execute(insert(webhook_rejections), list(windows.values()))


def _wider_run_status(conn: Connection) -> None:
    """``runs.status`` was ``VARCHAR(20)``: ``success_with_quarantine`` (23 characters) made
    PostgreSQL refuse the employee sync's last write. SQLite ignores lengths: nothing to do."""
    if conn.dialect.name == "postgresql" and inspect(conn).has_table("runs"):
        conn.execute(text("ALTER TABLE runs ALTER COLUMN status TYPE VARCHAR(40)"))


def _run_company(conn: Connection) -> None:
    """``runs.company``: in a group (docs/decisions/many-companies.md) each pay-period run is one
    company's; the column says whose (the UKG company code). Rows of earlier releases are the
    single company's runs and keep NULL (one company: nothing to tell apart)."""
    if inspect(conn).has_table("runs"):
        columns = {c["name"] for c in inspect(conn).get_columns("runs")}
        if "company" not in columns:
            conn.execute(text("ALTER TABLE runs ADD COLUMN company VARCHAR(40)"))


STEPS: tuple[Step, ...] = (
    Step(
        2,
        "webhook_rejections counted per source per minute (rows of release 1 kept in "
        "webhook_rejections_v1)",
        _rejections_per_window,
    ),
    Step(3, "runs.status widened to 40 characters (success_with_quarantine)", _wider_run_status),
    Step(4, "runs.company: the company of a group's pay-period run", _run_company),
)


def current_version(conn: Connection) -> int | None:
    """The store's version: recorded, recognised by shape, or None for an empty database."""
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    if schema_versions.name in tables:
        recorded = conn.execute(select(schema_versions.c.version)).scalars().all()
        if recorded:
            return max(recorded)
    if not tables & (set(metadata.tables) - {schema_versions.name}):
        return None
    if webhook_rejections.name in tables:
        columns = {c["name"] for c in inspector.get_columns(webhook_rejections.name)}
        if "window_start" not in columns:
            return 1
    # Versions are recorded from version 2 on: an unrecorded store of version 2's shape was made
    # by release 2 before it recorded them.
    return 2


def upgrade(conn: Connection) -> list[str]:
    """Bring the store on ``conn`` to ``SCHEMA_VERSION``; returns what was done (for the CLI).

    Runs inside the caller's transaction and lock (``store.create_schema``): two processes that
    open an old store together upgrade it once.
    """
    found = current_version(conn)
    if found is not None and found > SCHEMA_VERSION:
        raise AuditSchemaError(
            f"the audit store has schema version {found}, newer than this ukg-visma "
            f"(version {SCHEMA_VERSION}): upgrade the package on every worker before it "
            "writes to this store"
        )
    done: list[str] = []
    rows: list[dict[str, Any]] = []
    now = dt.datetime.now(dt.UTC)
    if found is None:
        metadata.create_all(conn)
        rows.append({"version": SCHEMA_VERSION, "description": "created"})
        done.append(f"version {SCHEMA_VERSION}: created")
    else:
        recorded = (
            set(conn.execute(select(schema_versions.c.version)).scalars())
            if inspect(conn).has_table(schema_versions.name)
            else set()
        )
        if found not in recorded:
            rows.append({"version": found, "description": "recognised by its shape"})
        for step in STEPS:
            if step.version > found:
                step.apply(conn)
                rows.append({"version": step.version, "description": step.description})
                done.append(f"version {step.version}: {step.description}")
        metadata.create_all(conn)
    if rows:
        conn.execute(insert(schema_versions), [dict(row, applied_at=now) for row in rows])
    return done
