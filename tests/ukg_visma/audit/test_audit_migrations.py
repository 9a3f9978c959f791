"""An audit store made by release 1 is brought to this release's schema on first use.

Release 1 kept one ``webhook_rejections`` row per refused request; this release counts them per
source per minute, and ``create_all`` alone would have left the old table in place — the first
refusal after an upgrade would then fail inside the webhook receiver. The store is built here
from the frozen release-1 schema (``release1_schema.py``) with rows in it, on SQLite and on the
real PostgreSQL, and opened by this release's code.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import release1_schema as r1
import sqlalchemy as sa
from pg_fixture import fresh_database

from ukg_visma.audit import inbox, ledger, records
from ukg_visma.audit.migrations import SCHEMA_VERSION, AuditSchemaError
from ukg_visma.audit.schema import metadata, runs, schema_versions, webhook_rejections
from ukg_visma.audit.store import engine_for

T0 = dt.datetime(2026, 11, 3, 9, 15, 5, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """An empty database of its own per test (the upgrade needs a store nobody opened yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/audit.db"
        return
    with fresh_database("ukgv_mig") as url:
        yield url


def make_release1_store(url: str) -> None:
    """What release 1 left behind: its tables, three refusals (two from one source within one
    minute), and a journal claim that must come through the upgrade untouched."""
    engine = sa.create_engine(url)
    try:
        r1.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                r1.webhook_rejections.insert(),
                [
                    {"received_at": T0, "status_code": 401, "reason": "bad signature",
                     "body_sha256": "a" * 64, "body_size": 10, "remote": "10.0.0.7"},
                    {"received_at": T0 + dt.timedelta(seconds=30), "status_code": 415,
                     "reason": "not json", "body_sha256": "b" * 64, "body_size": 12,
                     "remote": "10.0.0.7"},
                    {"received_at": T0 + dt.timedelta(seconds=3), "status_code": 401,
                     "reason": "bad signature", "body_sha256": None, "body_size": None,
                     "remote": None},
                ],
            )  # fmt: skip
            conn.execute(
                r1.journal_ledger.insert(),
                [
                    {
                        "journal_key": "NMF-202610-R1",
                        "period": "2026-10",
                        "company": "NMF",
                        "pay_run": "R1",
                        "run_version": "2026-10-28T10:00:00",
                        "split_index": 0,
                        "status": "released",
                        "payload_hash": "c" * 64,
                        "batch_number": "000123",
                        "attempts": 1,
                        "created_at": T0,
                        "updated_at": T0,
                    }
                ],
            )
    finally:
        engine.dispose()


def _versions(engine: sa.Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        q = sa.select(schema_versions.c.version, schema_versions.c.description)
        return [tuple(r) for r in conn.execute(q.order_by(schema_versions.c.version))]  # type: ignore[misc]


def test_a_release1_store_is_upgraded_and_keeps_every_row(empty_url):
    make_release1_store(empty_url)
    engine = engine_for(empty_url)

    assert [v for v, _ in _versions(engine)] == [1, 2, 3, 4]
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert set(metadata.tables) <= tables
        old = conn.execute(sa.text("select count(*) from webhook_rejections_v1")).scalar_one()
        windows = conn.execute(
            sa.select(webhook_rejections.c.remote, webhook_rejections.c.count,
                      webhook_rejections.c.last_status_code)
            .order_by(webhook_rejections.c.remote)
        ).all()  # fmt: skip
    assert old == 3  # the per-request rows of release 1, every one
    assert [tuple(w) for w in windows] == [("", 1, 401), ("10.0.0.7", 2, 415)]
    # The journal claim of release 1 is read by this release's ledger as it was.
    entry = ledger.get(engine, "NMF-202610-R1")
    assert entry is not None and entry.batch_number == "000123"

    # The receiver's path works on the upgraded table: a refusal from the same source within
    # that minute counts into its window; another minute makes a row of its own.
    assert inbox.record_rejection(engine, 401, "bad signature", remote="10.0.0.7", at=T0) == 3
    later = T0 + dt.timedelta(minutes=5)
    assert inbox.record_rejection(engine, 401, "bad signature", remote="10.0.0.7", at=later) == 1


def test_an_upgraded_store_holds_every_run_status(empty_url):
    """Release 1 and 2 sized ``runs.status`` for 20 characters; PostgreSQL then refused the
    employee sync's ``success_with_quarantine`` at the run's very end (SQLite took it)."""
    make_release1_store(empty_url)
    engine = engine_for(empty_url)
    for status in sorted(records.RUN_STATUSES):
        run_id = f"employee_sync:2026-12-06:{status}"
        records.start_run(engine, run_id, "employee_sync")
        records.finish_run(engine, run_id, status, {"outcome": status})
    with engine.connect() as conn:
        stored = conn.execute(sa.select(runs.c.status).order_by(runs.c.status)).scalars().all()
    assert stored == sorted(records.RUN_STATUSES)
    with pytest.raises(ValueError, match="not one of"):
        records.finish_run(engine, run_id, "succeeded", {})


def test_every_run_status_fits_its_column():
    assert max(len(s) for s in records.RUN_STATUSES) <= runs.c.status.type.length


def test_opening_again_changes_nothing(empty_url):
    make_release1_store(empty_url)
    engine_for(empty_url)
    engine_for.cache_clear()  # a second process: a new engine on the same store
    try:
        engine = engine_for(empty_url)
        assert [v for v, _ in _versions(engine)] == [1, 2, 3, 4]
        with engine.connect() as conn:
            assert (
                conn.execute(
                    sa.select(sa.func.count()).select_from(webhook_rejections)
                ).scalar_one()
                == 2
            )
    finally:
        engine.dispose()


def test_a_new_store_records_the_current_version(empty_url):
    engine = engine_for(empty_url)
    assert _versions(engine) == [(SCHEMA_VERSION, "created")]


def test_a_store_newer_than_the_code_is_refused_by_name(empty_url):
    engine = sa.create_engine(empty_url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            newer = {"version": SCHEMA_VERSION + 1, "applied_at": T0, "description": "x"}
            conn.execute(schema_versions.insert(), [newer])
    finally:
        engine.dispose()
    with pytest.raises(AuditSchemaError) as caught:
        engine_for(empty_url)
    assert f"schema version {SCHEMA_VERSION + 1}" in str(caught.value)
    assert f"(version {SCHEMA_VERSION})" in str(caught.value)


def test_audit_init_reports_the_upgrade(empty_url, tmp_path):
    """What an operator sees when airflow-init opens the old store after an upgrade."""
    make_release1_store(empty_url)
    script = Path(sys.executable).parent / "ukg-visma"
    argv = [str(script), "audit", "init", "--audit-url", empty_url]
    first = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stdout + first.stderr[-2000:]
    assert "audit schema: version 2: webhook_rejections counted per source" in first.stdout
    assert f"version {SCHEMA_VERSION} (this ukg-visma: {SCHEMA_VERSION})" in first.stdout
    again = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert again.returncode == 0 and "audit schema: version" not in again.stdout, again.stdout
