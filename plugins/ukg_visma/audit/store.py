"""Opening the audit store: SQLite by default, PostgreSQL when configured.

The store is a database of its own, never Airflow's metadata DB (Airflow 3 forbids task code from
touching that). Resolution order for the URL: an explicit argument, ``UKG_VISMA_AUDIT_URL``, the
Airflow connection ``ukg_visma_audit`` (see ``audit.airflow``), then a SQLite file under the
Airflow home so that a newcomer needs no server.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite

from ukg_visma.audit.migrations import upgrade
from ukg_visma.settings import airflow_home


def default_url() -> str:
    path = Path(airflow_home()) / "ukg_visma" / "audit.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:  # a DBAPI connection
    # WAL + a busy timeout: several task processes (LocalExecutor) write at once.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


# Any fixed bigint shared by every process that creates the schema ("ukgv" in ASCII).
SCHEMA_LOCK_KEY = 0x756B6776


def create_schema(engine: Engine) -> list[str]:
    """Bring the store to this release's schema (``audit.migrations``); safe when many processes
    do it at once. Returns what was done.

    On PostgreSQL concurrent ``CREATE TABLE`` of the same new table fails with a unique violation
    on ``pg_type`` (IF NOT EXISTS does not help), so the check-and-create runs inside one
    transaction holding an advisory lock: the first process creates or upgrades, the others wait,
    then find every table present. On SQLite ``BEGIN IMMEDIATE`` takes the database's write lock
    for the same purpose (and makes the upgrade's DDL one transaction: pysqlite would otherwise
    commit each statement). ``ukg-visma audit init`` (airflow-init) runs this once per
    deployment; every process still runs it on first use, so a new table reaches an existing store.
    """
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            done = upgrade(conn)
            conn.commit()
        return done
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("select pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        return upgrade(conn)


# What opening each store did to its schema in this process (``ukg-visma audit init`` prints it).
UPGRADES: dict[str, list[str]] = {}


@cache
def engine_for(url: str) -> Engine:
    """One engine per URL and process; the schema is created on first use (idempotent)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    UPGRADES[url] = create_schema(engine)
    return engine


def resolve_url(url: str | None = None) -> str:
    return url or os.environ.get("UKG_VISMA_AUDIT_URL") or default_url()


def get_engine(url: str | None = None) -> Engine:
    return engine_for(resolve_url(url))


def upsert_insert(engine: Engine, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that supports ``on_conflict_do_update/nothing`` on both supported databases."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    engine: Engine,
    table: Table,
    key: Sequence[str],
    *,
    replace: Iterable[str] = (),
    accumulate: Iterable[str] = (),
    where: Callable[[Any], ColumnElement[bool]] | None = None,
) -> Any:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` on both databases; execute it with the rows.

    On a conflict the ``replace`` columns take the new row's value, the ``accumulate`` columns add
    it to the stored one (a counter inserted as 1 counts attempts), and every other column —
    ``first_seen``, ``created_at`` — keeps what is stored. ``where(new)`` guards the update (``new``
    is the conflicting row, ``excluded``): a row that fails it is left alone (rowcount 0).
    """
    ins = upsert_insert(engine, table)
    new = ins.excluded
    set_: dict[str, Any] = {name: new[name] for name in replace}
    set_.update({name: table.c[name] + new[name] for name in accumulate})
    return ins.on_conflict_do_update(
        index_elements=list(key), set_=set_, where=where(new) if where is not None else None
    )
