"""The posting ledger: exactly-once journal creation although Visma has no idempotency key.

Every journal has a deterministic key. Before any POST a task must hold the key's *lease* in this
table; the lease is taken with one conditional UPDATE (compare-and-set), so two workers, two DAG
runs or a backfill racing on the same journal cannot both post. The statuses
(``claimed/unknown/created/released/failed``) and the moves between them are
:class:`~ukg_visma.audit.posting_states.PostingState` and its transition table in
``audit/posting_states.py``; every status write here goes through that table.

The three writers:

- :func:`claim` takes the lease. A new key gets a ``claimed`` row. An existing row keeps its status
  (``unknown`` tells the new holder to read Visma back first) and only its lease moves: to the same
  ``owner`` at once (a retry of the same Airflow task), to anybody else only after the lease
  expired — which is what protects against a duplicate from a concurrent run. A ``released`` row
  is returned without a lease: there is nothing left to do.
- :func:`record` writes an attempt's outcome. Only the lease holder may write (a stale worker gets
  ``JournalBusyError``), and only a move the table allows (else ``ForbiddenTransitionError``):
  e.g. a ``created`` key can never become ``unknown`` again, so it is never POSTed twice.
- :func:`adopt` is a cache refresh from Visma's own listing (the plan and reconcile steps): the
  ledger learns that Visma holds a key as a batch, ``created`` or ``released``. It never takes or
  breaks a live lease (the holder records its own outcome) and writes only where the table allows
  (a ``released`` row stays as it is); rows it may not move are left alone, silently — Visma's
  listing is read again on the next run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ukg_visma.audit.posting_states import (
    DONE,
    ForbiddenTransitionError,
    PostingState,
    check,
    sources_of,
)
from ukg_visma.audit.schema import journal_batches, journal_ledger
from ukg_visma.audit.store import upsert_insert, utcnow
from ukg_visma.errors import Retryable

__all__ = [
    "DONE",
    "ForbiddenTransitionError",
    "JournalBusyError",
    "LedgerEntry",
    "PostingState",
    "adopt",
    "claim",
    "get",
    "list_period",
    "period_batches",
    "record",
    "record_batches",
]


class JournalBusyError(Retryable, RuntimeError):
    """Another task holds this journal's lease: retry later, never post in parallel."""


@dataclass(frozen=True)
class LedgerEntry:
    journal_key: str
    status: PostingState
    batch_number: str | None
    attempts: int
    payload_hash: str
    lease_owner: str | None
    last_error: str | None

    @property
    def outcome_unknown(self) -> bool:
        """True when an earlier attempt may have created the batch without us knowing."""
        return self.status is PostingState.UNKNOWN


def _values(states: frozenset[PostingState]) -> list[str]:
    return sorted(s.value for s in states)


def _entry(row: Any) -> LedgerEntry:
    m = row._mapping
    return LedgerEntry(
        journal_key=m["journal_key"],
        status=PostingState(m["status"]),
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
                    status=PostingState.CLAIMED.value,
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
    if current.status is PostingState.RELEASED and current.batch_number:
        return current  # nothing left to do: no lease needed
    with engine.begin() as conn:
        taken = conn.execute(
            update(journal_ledger)
            .where(
                and_(
                    journal_ledger.c.journal_key == journal_key,
                    journal_ledger.c.status != PostingState.RELEASED.value,
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
    if taken == 1 or (entry.status is PostingState.RELEASED and entry.batch_number):
        return entry
    raise JournalBusyError(
        f"journal {journal_key} is being posted by {entry.lease_owner}; retry after its lease"
    )


def record(
    engine: Engine,
    journal_key: str,
    owner: str,
    *,
    status: PostingState | str,
    batch_number: str | None = None,
    error: str | None = None,
    release_lease: bool = False,
) -> None:
    """Write an attempt's outcome; only the lease holder may write (a stale worker cannot), and
    only a move the transition table allows (``ForbiddenTransitionError`` otherwise)."""
    status = PostingState(status)
    values: dict[str, Any] = {"status": status.value, "updated_at": utcnow(), "last_error": error}
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
                    journal_ledger.c.status.in_(_values(sources_of(status))),
                )
            )
            .values(**values)
        ).rowcount
    if n == 1:
        return
    current = get(engine, journal_key)
    if current is not None and current.lease_owner == owner:
        check(journal_key, current.status, status)  # raises: the holder asked for a bad move
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
    alone (its holder records its own outcome); a row the transition table does not let move to
    ``created``/``released`` (a ``released`` row) is left as it is.
    """
    now = now or utcnow()
    status = PostingState.RELEASED if posted else PostingState.CREATED
    values = {
        "journal_key": journal_key,
        "period": period,
        "company": company,
        "pay_run": pay_run,
        "run_version": run_version,
        "split_index": split_index,
        "payload_hash": "",
        "status": status.value,
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
                    journal_ledger.c.status.in_(_values(sources_of(status))),
                    or_(
                        journal_ledger.c.lease_owner.is_(None),
                        journal_ledger.c.lease_until < now,
                    ),
                )
            )
            .values(status=status.value, batch_number=batch_number, updated_at=now)
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
