"""The posting ledger: exactly-once journal creation although Visma has no idempotency key.

Every journal has a deterministic key. Before any POST a task must hold the key's *lease* in this
table; the lease is taken with one conditional UPDATE (compare-and-set), so two workers, two DAG
runs or a backfill racing on the same journal cannot both post. Statuses:

- ``claimed``  a task holds the lease and has not sent anything yet in this attempt
- ``unknown``  a POST was sent and its outcome is unknown (timeout, dropped connection, killed
               worker): the next holder must read back from Visma before sending anything
- ``created``  Visma holds the batch (``batch_number`` known), not yet released
- ``released`` the batch is in the ledger balances — nothing left to do
- ``failed``   Visma refused the journal (a business error); a retry re-validates first

A retry of the same Airflow task (same ``owner``) may take its own lease back at once; anybody else
waits for the lease to expire, which is what protects against a duplicate from a concurrent run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ukg_visma.audit.schema import journal_batches, journal_ledger
from ukg_visma.audit.store import upsert_insert, utcnow
from ukg_visma.errors import Retryable

DONE = frozenset({"created", "released"})


class JournalBusyError(Retryable, RuntimeError):
    """Another task holds this journal's lease: retry later, never post in parallel."""


@dataclass(frozen=True)
class LedgerEntry:
    journal_key: str
    status: str
    batch_number: str | None
    attempts: int
    payload_hash: str
    lease_owner: str | None
    last_error: str | None

    @property
    def outcome_unknown(self) -> bool:
        """True when an earlier attempt may have created the batch without us knowing."""
        return self.status == "unknown"


def _entry(row: Any) -> LedgerEntry:
    m = row._mapping
    return LedgerEntry(
        journal_key=m["journal_key"],
        status=m["status"],
        batch_number=m["batch_number"],
        attempts=m["attempts"],
        payload_hash=m["payload_hash"],
        lease_owner=m["lease_owner"],
        last_error=m["last_error"],
    )


def get(engine: Engine, journal_key: str) -> LedgerEntry | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(journal_ledger).where(journal_ledger.c.journal_key == journal_key)
        ).first()
    return _entry(row) if row else None


def list_period(engine: Engine, period: str) -> list[LedgerEntry]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(journal_ledger)
            .where(journal_ledger.c.period == period)
            .order_by(journal_ledger.c.journal_key)
        )
        return [_entry(r) for r in rows]


def claim(
    engine: Engine,
    *,
    journal_key: str,
    period: str,
    company: str,
    pay_run: str,
    run_version: str,
    split_index: int,
    payload_hash: str,
    owner: str,
    lease_s: float = 900,
    now: dt.datetime | None = None,
) -> LedgerEntry:
    """Take the journal's lease (creating its row on first sight) and return the entry.

    A journal already ``released`` is returned without taking the lease: the caller has nothing
    to do. A ``created`` one (posted, maybe still on hold) is leased like any other, so that only
    one task takes it off hold and releases it. Raises ``JournalBusyError`` while another
    owner's lease is live.
    """
    now = now or utcnow()
    until = now + dt.timedelta(seconds=lease_s)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(journal_ledger).values(
                    journal_key=journal_key,
                    period=period,
                    company=company,
                    pay_run=pay_run,
                    run_version=run_version,
                    split_index=split_index,
                    payload_hash=payload_hash,
                    status="claimed",
                    attempts=1,
                    lease_owner=owner,
                    lease_until=until,
                    created_at=now,
                    updated_at=now,
                )
            )
        entry = get(engine, journal_key)
        assert entry is not None
        return entry
    except IntegrityError:
        pass  # the row exists: fall through to the compare-and-set below

    current = get(engine, journal_key)
    assert current is not None
    if current.status == "released" and current.batch_number:
        return current  # nothing left to do: no lease needed
    with engine.begin() as conn:
        taken = conn.execute(
            update(journal_ledger)
            .where(
                and_(
                    journal_ledger.c.journal_key == journal_key,
                    journal_ledger.c.status != "released",
                    or_(
                        journal_ledger.c.lease_owner.is_(None),
                        journal_ledger.c.lease_owner == owner,
                        journal_ledger.c.lease_until < now,
                    ),
                )
            )
            .values(
                lease_owner=owner,
                lease_until=until,
                attempts=journal_ledger.c.attempts + 1,
                payload_hash=payload_hash,
                updated_at=now,
            )
        ).rowcount
    entry = get(engine, journal_key)
    assert entry is not None
    if taken == 1 or (entry.status == "released" and entry.batch_number):
        return entry
    raise JournalBusyError(
        f"journal {journal_key} is being posted by {entry.lease_owner}; retry after its lease"
    )


def record(
    engine: Engine,
    journal_key: str,
    owner: str,
    *,
    status: str,
    batch_number: str | None = None,
    error: str | None = None,
    release_lease: bool = False,
) -> None:
    """Write an attempt's outcome; only the lease holder may write (a stale worker cannot)."""
    values: dict[str, Any] = {"status": status, "updated_at": utcnow(), "last_error": error}
    if batch_number is not None:
        values["batch_number"] = batch_number
    if release_lease:
        values["lease_owner"] = None
        values["lease_until"] = None
    with engine.begin() as conn:
        n = conn.execute(
            update(journal_ledger)
            .where(
                and_(
                    journal_ledger.c.journal_key == journal_key,
                    journal_ledger.c.lease_owner == owner,
                )
            )
            .values(**values)
        ).rowcount
    if n != 1:
        raise JournalBusyError(f"lost the lease on journal {journal_key} before recording {status}")


def adopt(
    engine: Engine,
    *,
    journal_key: str,
    period: str,
    company: str,
    pay_run: str,
    run_version: str,
    split_index: int,
    batch_number: str,
    posted: bool,
    now: dt.datetime | None = None,
) -> None:
    """Record that Visma holds ``journal_key`` as ``batch_number`` (read from Visma's listing).

    Why: the ledger is a cache of Visma's truth. A fresh, restored or different audit store
    learns from Visma what is already posted, so that no task of this store posts the key again
    and the reconciliation can tell a batch it knows from one it does not. A live lease is left
    alone (its holder records its own outcome); a ``released`` row stays released.
    """
    now = now or utcnow()
    status = "released" if posted else "created"
    values = {
        "journal_key": journal_key,
        "period": period,
        "company": company,
        "pay_run": pay_run,
        "run_version": run_version,
        "split_index": split_index,
        "payload_hash": "",
        "status": status,
        "batch_number": batch_number,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(journal_ledger).values(**values))
        return
    except IntegrityError:
        pass
    with engine.begin() as conn:
        conn.execute(
            update(journal_ledger)
            .where(
                and_(
                    journal_ledger.c.journal_key == journal_key,
                    or_(
                        journal_ledger.c.status != "released",
                        journal_ledger.c.batch_number.is_(None),
                    ),
                    or_(
                        journal_ledger.c.lease_owner.is_(None),
                        journal_ledger.c.lease_until < now,
                    ),
                )
            )
            .values(status=status, batch_number=batch_number, updated_at=now)
        )


def record_batches(engine: Engine, period: str, run_id: str, batches: list[dict[str, Any]]) -> None:
    """Upsert what Visma holds of ours for ``period`` into ``journal_batches`` (row per batch)."""
    if not batches:
        return
    now = utcnow()
    stmt = upsert_insert(engine, journal_batches)
    rows = [{**b, "period": period, "seen_by_run": run_id, "updated_at": now} for b in batches]
    keep = ("journal_key", "visma_period", "status", "debit_ore", "note", "seen_by_run")
    with engine.begin() as conn:
        for row in rows:
            conn.execute(
                stmt.values(**row).on_conflict_do_update(
                    index_elements=["batch_number"],
                    set_={**{k: row[k] for k in keep}, "updated_at": now},
                )
            )


def period_batches(engine: Engine, period: str) -> list[dict[str, Any]]:
    """The chain of our batches for a pay period, as last read from Visma (oldest first)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(journal_batches)
            .where(journal_batches.c.period == period)
            .order_by(journal_batches.c.pay_run, journal_batches.c.batch_number)
        )
        return [dict(r._mapping) for r in rows]
