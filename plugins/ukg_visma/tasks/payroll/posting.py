"""Posting one journal so that Visma releases its key exactly once, whoever else posts it.

Visma has no idempotency key and the audit store may not be shared (two deployments, per-worker
SQLite), so the lease in the posting ledger only keeps one task *of this store* on a key. What
keeps two runs with separate stores from both releasing a key is Visma itself (docs/ledger-truth.md,
docs/decisions/visma-as-the-lock.md):

1. take the lease; a journal already ``released`` here needs nothing;
2. a retry (or an unknown outcome) reads the key's batches back first: our earlier batch (its
   ``run=`` tag) is adopted; a key another run holds is settled, nothing is created;
3. mark the ledger ``unknown`` *before* sending the POST (a crash after this point is safe);
4. POST the batch **on hold** (not in the ledger) and read the key's batches back from every
   Visma period it may live in — our batch is the one with our tag (the published 201 names no
   batch);
5. settle: the key's winner — a released holder if any, else the lowest batch number among live
   holders — is taken off hold and released; every other unreleased holder is emptied (lines
   ``operation: Delete``, description ``LOST to batch N``). A run whose batch lost reports it.

**Resuming a retry from Airflow's Task State Store** (``context["task_state_store"]``, Airflow
3.3): once a settle has decided the key's winner and emptied the losers, the winner's batch number
is kept there (a *lease*: :data:`LEASE_KEY`). The store lives in Airflow's metadata DB, so a retry
on another worker (another audit store) sees it too. A retry that finds it reads that one batch
(one GET) instead of listing every period the key may live in: still released → done; still ours,
live and unreleased → released straight away. Anything else (voided, emptied, gone, another key)
drops the lease and the full protocol runs — Visma stays the truth, and ``reconcile`` still proves
exactly-once from Visma's listing. A lease is only a *winner*: a batch merely created is not kept,
because deciding the winner needs every holder of the key (the listing) anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ukg_visma.audit import ledger
from ukg_visma.audit.posting_states import PostingState
from ukg_visma.errors import Retryable
from ukg_visma.gl.holdings import (
    LOST_PREFIX,
    HeldBatch,
    held_batches,
    is_on_hold,
    is_releasable,
    is_released,
    is_voided,
    key_winner,
    losers,
    run_tag,
    tag_description,
)
from ukg_visma.gl.journal import JournalKey
from ukg_visma.hooks.exceptions import (
    ConcurrentUpdateError,
    NotFoundError,
    ResponseLostError,
    ValidationError,
)
from ukg_visma.hooks.jsonbody import loads
from ukg_visma.periods import PayPeriod

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)


LEASE_KEY = "visma_winner"  # the task state store's key: {"journal_key", "winner", "created", …}
LEASE_RETENTION = dt.timedelta(days=14)  # a retry or a Clear long after still resumes


class TaskStateStore(Protocol):
    """What posting uses of Airflow's ``context["task_state_store"]`` (``TaskStateStoreAccessor``:
    scoped to this task instance and map index, kept across its tries)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any, *, retention: dt.timedelta | None = None) -> None: ...

    def delete(self, key: str) -> None: ...


class PostingOutcomeUnknownError(Retryable, RuntimeError):
    """The POST's answer was lost and Visma does not show the batch yet: retry reads back first."""


def key_holders(visma: VismaHook, period_ids: Sequence[str], journal_key: str) -> list[HeldBatch]:
    """Every batch of ours that carries ``journal_key`` in these Visma periods (voided too)."""
    tenant = JournalKey.parse(journal_key).tenant
    rows: list[dict[str, Any]] = []
    for pid in dict.fromkeys(period_ids):
        rows.extend(visma.journals(pid))
    return [b for b in held_batches(rows, tenant=tenant) if b.journal_key == journal_key]


def find_batch(visma: VismaHook, period: PayPeriod | str, journal_key: str) -> str | None:
    """The batch number that holds ``journal_key`` in Visma: its winner (see
    :func:`~ukg_visma.gl.holdings.key_winner`), ignoring voided and neutralised batches.

    ``period`` is the pay period or the Visma period id (``YYYYPP``) the batch was sent to.
    """
    pid = period.visma_period_id if isinstance(period, PayPeriod) else period
    winner = key_winner(key_holders(visma, [pid], journal_key))
    return winner.number if winner else None


def _status_of(visma: VismaHook, number: str) -> str:
    return str(visma.journal(number).get("status"))


def _release(visma: VismaHook, number: str, release: bool) -> str:
    """Take the batch off hold and release it; returns the batch's final status.

    Another run may drive the same winner at the same moment (it settles the same key): a 412, or
    a 400 because the batch was released meanwhile, is read back instead of failing.
    """
    body, _ = visma.journal_with_etag(number)
    status = body.get("status")
    if is_on_hold(status):
        try:
            visma.take_off_hold(number)
        except ConcurrentUpdateError:
            log.info("batch %s: changed by another run while taking it off hold", number)
        body, _ = visma.journal_with_etag(number)
        status = body.get("status")
    if release and is_releasable(status):
        _, etag = visma.journal_with_etag(number)
        try:
            visma.release_journal(number, etag=etag)
        except ResponseLostError as exc:
            log.warning("release of batch %s: answer lost; checking its status", number)
            status = _status_of(visma, number)
            if is_releasable(status):
                # Not released: the answer came from something in between (a proxy's page)
                # that never passed the release on. The batch number is in the ledger, so
                # the retry goes straight to releasing it.
                raise PostingOutcomeUnknownError(
                    f"batch {number}: the release's answer was lost and the batch is still "
                    "Balanced (not released); the retry releases it"
                ) from exc
            return status
        except (ConcurrentUpdateError, ValidationError) as exc:
            status = _status_of(visma, number)
            if not is_released(status):
                raise
            log.info("batch %s: released meanwhile by another run (%s)", number, exc)
            return status
        status = _status_of(visma, number)
    return str(status)


def neutralise(visma: VismaHook, batch: HeldBatch, winner: str) -> bool:
    """Empty a losing batch: every line ``operation: Delete``, description ``LOST to batch N``.

    Published operations only (there is no DELETE of a journal transaction). Kept on hold: an
    empty batch cannot be released (no lines) and holds no money. False when the batch was
    released or voided meanwhile (left alone: the caller settles again).
    """
    tag = batch.tag or "00000000"

    def mutate(cur: dict[str, Any]) -> dict[str, Any] | None:
        if is_released(cur.get("status")) or is_voided(cur.get("status")):
            return None
        lines = [ln for ln in cur.get("journalTransactionLines") or [] if isinstance(ln, dict)]
        desc = _plain(cur.get("description"))
        if not lines and desc.startswith(LOST_PREFIX):
            return None
        head = f"{LOST_PREFIX} {winner}"
        return {
            "batchNumber": {"value": batch.number},
            "description": {"value": tag_description(desc, tag, head=head)},
            "hold": {"value": True},
            "journalTransactionLines": [
                {"operation": "Delete", "lineNumber": {"value": _unwrap(ln.get("lineNumber"))}}
                for ln in lines
            ],
        }

    done = visma.update_journal(batch.number, mutate)
    if done is None:
        status = _status_of(visma, batch.number)
        return not is_released(status)
    log.warning("journal %s: batch %s LOST to batch %s (emptied)", batch.journal_key,
                batch.number, winner)  # fmt: skip
    return True


def _unwrap(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) else value


def _plain(value: Any) -> str:
    value = _unwrap(value)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Settled:
    """One settle of a key: the winner, its final status, and the batches emptied."""

    winner: str
    status: str
    emptied: tuple[str, ...]


def settle(
    visma: VismaHook,
    journal_key: str,
    period_ids: Sequence[str],
    *,
    release: bool,
    holders: Sequence[HeldBatch] | None = None,
    attempts: int = 3,
    on_winner: Callable[[str, tuple[str, ...]], None] | None = None,
) -> Settled | None:
    """Make Visma hold ``journal_key`` in exactly one batch; release it (``release`` on).

    ``holders`` is a read of the key's batches made *after* the caller's own batch was created
    (else the periods are read here). The winner (:func:`~ukg_visma.gl.holdings.key_winner`) is
    released — whichever run created it: it may have died — and every other unreleased holder is
    emptied. None when no batch holds the key. ``on_winner(winner, emptied)`` is told once the
    losers are emptied, before the release (the retry's lease: :data:`LEASE_KEY`).
    """
    for _ in range(attempts):
        if holders is None:
            holders = key_holders(visma, period_ids, journal_key)
        winner = key_winner(holders)
        if winner is None:
            return None
        emptied = []
        again = False
        for loser in losers(holders):
            if neutralise(visma, loser, winner.number):
                emptied.append(loser.number)
            else:  # released meanwhile (someone else's rule?): read everything again
                again = True
        if again:
            holders = None
            continue
        if on_winner is not None:
            on_winner(winner.number, tuple(emptied))
        status = winner.status if winner.released else _release(visma, winner.number, release)
        return Settled(winner.number, status, tuple(emptied))
    raise PostingOutcomeUnknownError(
        f"journal {journal_key}: its batches kept changing while settling; the retry settles again"
    )


def resume_from_lease(
    visma: VismaHook, journal_key: str, lease: Any, *, release: bool
) -> Settled | None:
    """The settle a retry resumes from the stored winner, read back in one GET; None when Visma
    no longer shows that batch as the key's live, unemptied holder (then the full protocol runs).

    Safe without the listing: the winner was decided from every holder, its losers emptied, and
    later batches get higher numbers — while it lives, every run computes the same winner.
    """
    if not isinstance(lease, dict) or lease.get("journal_key") != journal_key:
        return None
    number = str(lease.get("winner") or "")
    if not number:
        return None
    try:
        body = visma.journal(number)
    except NotFoundError:
        return None
    tenant = JournalKey.parse(journal_key).tenant
    held = [b for b in held_batches([body], tenant=tenant) if b.journal_key == journal_key]
    if not held or not held[0].holds_key:
        return None
    emptied = tuple(str(n) for n in lease.get("emptied") or ())
    if held[0].released:
        return Settled(number, held[0].status, emptied)
    if not (is_on_hold(held[0].status) or is_releasable(held[0].status)):
        return None
    return Settled(number, _release(visma, number, release), emptied)


@dataclass
class _Found:
    """What this try knows of its own batch before settling: the batch (``mine``), whether it
    came from an earlier attempt or another run (``adopted``), the batch this task created
    (now or in an earlier try), and the key's holders if they were read."""

    mine: str | None = None
    adopted: bool = False
    created_by_us: str | None = None
    holders: list[HeldBatch] | None = None


def _claim(
    engine: Engine, ref: dict[str, Any], period: PayPeriod, owner: str, lease_s: float
) -> ledger.LedgerEntry:
    """Step 1: take the ledger's lease on the journal key."""
    return ledger.claim(
        engine,
        journal_key=ref["journal_key"],
        period=period.key,
        company=ref["company"],
        pay_run=ref["pay_run"],
        run_version=ref["run_version"],
        split_index=ref["split_index"],
        payload_hash=ref["payload_hash"],
        owner=owner,
        lease_s=lease_s,
    )


def _resumed(
    visma: VismaHook,
    engine: Engine,
    ref: dict[str, Any],
    owner: str,
    *,
    release: bool,
    try_number: int,
    store: TaskStateStore | None,
) -> dict[str, Any] | None:
    """A retry resumed from the winner an earlier try kept in the task state store, or None
    (then the stale lease, if any, is dropped and the full protocol runs)."""
    key = ref["journal_key"]
    lease = store.get(LEASE_KEY) if store is not None and try_number > 1 else None
    resumed = resume_from_lease(visma, key, lease, release=release) if lease else None
    if resumed is not None:
        created = lease.get("created") if isinstance(lease, dict) else None
        log.info("journal %s: resumed from the task state store: batch %s (%s), no read-back",
                 key, resumed.winner, resumed.status)  # fmt: skip
        return _outcome(engine, key, owner, ref, resumed, adopted=True, created_by_us=created,
                        resumed=True)  # fmt: skip
    if lease and store is not None:
        log.info("journal %s: the stored winner is not the key's holder in Visma; full settle", key)
        store.delete(LEASE_KEY)
    return None


def _read_back_first(
    visma: VismaHook, engine: Engine, key: str, owner: str, tag: str, pids: Sequence[str]
) -> _Found:
    """Step 2: a retry (or an unknown outcome) reads the key's batches back before posting —
    our earlier batch (its ``run=`` tag) is adopted; a key another run holds is settled."""
    found = _Found(holders=key_holders(visma, pids, key))
    own = [b.number for b in found.holders or () if b.tag == tag and b.live]
    if own:
        found.mine = found.created_by_us = own[0]
        found.adopted = True
        log.warning("journal %s: earlier attempt did create batch %s; adopting it", key, own[0])
        ledger.record(engine, key, owner, status=PostingState.CREATED, batch_number=own[0])
    elif key_winner(found.holders or []) is not None:
        found.adopted = True  # another run holds the key: settle it, create nothing
    return found


def _create_on_hold(
    visma: VismaHook,
    engine: Engine,
    ref: dict[str, Any],
    owner: str,
    tag: str,
    pids: Sequence[str],
) -> _Found:
    """Steps 3 and 4: mark the ledger ``unknown`` (a POST is in flight), POST the batch on hold
    with our tag, and read the key's batches back to find it (the published 201 names none)."""
    from airflow.sdk import ObjectStoragePath

    key = ref["journal_key"]
    with ObjectStoragePath(ref["payload"]).open("r") as fh:
        payload = loads(fh.read())
    payload["hold"] = {"value": True}  # never straight into the ledger: settle first
    desc = _plain(payload.get("description"))
    payload["description"] = {"value": tag_description(desc, tag)}
    ledger.record(engine, key, owner, status=PostingState.UNKNOWN)  # write-ahead
    lost: ResponseLostError | None = None
    try:
        created = visma.create_journal(payload)
    except ResponseLostError as exc:
        created, lost = None, exc
    except ValidationError as exc:
        ledger.record(
            engine, key, owner, status=PostingState.FAILED, error=str(exc), release_lease=True
        )
        raise
    # the read the settle needs anyway; our batch is the one with our tag
    holders = key_holders(visma, pids, key)
    own = [b.number for b in holders if b.tag == tag and b.live]
    mine = created or (own[0] if own else None)
    if mine is None:
        ledger.record(engine, key, owner, status=PostingState.UNKNOWN,
                      error=str(lost) if lost else None)  # fmt: skip
        raise PostingOutcomeUnknownError(
            f"journal {key}: "
            + ("Visma's answer was lost" if lost else "Visma answered 201")
            + " and the batch is not in the listing yet; the retry reads back before posting"
        ) from lost
    adopted = lost is not None
    ledger.record(engine, key, owner, status=PostingState.CREATED, batch_number=mine)
    log.info("journal %s: %s batch %s on hold", key, "adopted" if adopted else "created", mine)
    return _Found(mine=mine, adopted=adopted, created_by_us=mine, holders=holders)


def post_journal(
    visma: VismaHook,
    engine: Engine,
    ref: dict[str, Any],
    period: PayPeriod,
    *,
    owner: str,
    release: bool = True,
    lease_s: float = 900,
    try_number: int = 1,
    store: TaskStateStore | None = None,
) -> dict[str, Any]:
    """Post the staged journal ``ref`` so that Visma releases its key exactly once.

    The batch is created on hold (not in the ledger), the key's batches are read back from every
    period it may live in, and :func:`settle` releases the one winner and empties the others: two
    runs with separate stores racing for one key end with one released batch. A run whose batch
    lost says so (``lost``, ``winner``). A *retry* reads Visma back before posting: the earlier
    attempt may have created the batch (found by its ``run=`` tag), or another run holds the key.
    ``store`` (Airflow's task state store): a retry resumes from the winner kept there by an
    earlier try (:func:`resume_from_lease`), else it is the full protocol.
    """
    key = ref["journal_key"]
    where = ref.get("visma_period") or period.visma_period_id
    pids = list(ref.get("search_periods") or dict.fromkeys([where, period.visma_period_id]))
    tag = run_tag(owner)
    entry = _claim(engine, ref, period, owner, lease_s)
    if entry.status is PostingState.RELEASED and entry.batch_number:
        log.info("journal %s already released as batch %s", key, entry.batch_number)
        return {
            "journal_key": key,
            "kind": ref.get("kind", "full"),
            "batch_number": entry.batch_number,
            "status": PostingState.RELEASED.value,
        }
    resumed = _resumed(
        visma, engine, ref, owner, release=release, try_number=try_number, store=store
    )
    if resumed is not None:
        return resumed

    found = _Found(
        mine=entry.batch_number
        or (ref.get("batch_number") if ref.get("kind") == "release" else None)
    )
    if found.mine is None and (
        entry.status in (PostingState.UNKNOWN, PostingState.FAILED) or try_number > 1
    ):
        found = _read_back_first(visma, engine, key, owner, tag, pids)
    if found.mine is None and not found.adopted:
        found = _create_on_hold(visma, engine, ref, owner, tag, pids)

    def keep_winner(winner: str, emptied: tuple[str, ...]) -> None:
        if store is not None:
            store.set(LEASE_KEY, {"journal_key": key, "winner": winner,
                                  "created": found.created_by_us, "emptied": list(emptied)},
                      retention=LEASE_RETENTION)  # fmt: skip

    settled = settle(
        visma, key, pids, release=release, holders=found.holders, on_winner=keep_winner
    )
    if settled is None:
        # our batch not listed yet (or voided by a person): the ledger keeps what it knows — a
        # retry settles again; a period re-run plans from Visma
        raise PostingOutcomeUnknownError(
            f"journal {key}: no live batch holds it in Visma periods {', '.join(pids)} (not listed "
            "yet, or voided in Visma); the retry reads back again"
        )
    return _outcome(
        engine, key, owner, ref, settled, adopted=found.adopted, created_by_us=found.created_by_us
    )


def _outcome(
    engine: Engine,
    key: str,
    owner: str,
    ref: dict[str, Any],
    settled: Settled,
    *,
    adopted: bool,
    created_by_us: str | None,
    resumed: bool = False,
) -> dict[str, Any]:
    """Record the settle in the ledger and say what this task did (its XCom)."""
    final = PostingState.RELEASED if is_released(settled.status) else PostingState.CREATED
    ledger.record(engine, key, owner, status=final, batch_number=settled.winner,
                  release_lease=True)  # fmt: skip
    lost_batch = created_by_us if created_by_us and created_by_us != settled.winner else None
    if lost_batch:
        log.warning("journal %s: our batch %s LOST to batch %s; not released by this run",
                    key, lost_batch, settled.winner)  # fmt: skip
    return {
        "journal_key": key,
        "kind": ref.get("kind", "full"),
        "batch_number": settled.winner,
        "status": final.value,
        "adopted": adopted,
        "visma_status": settled.status,
        "lost": lost_batch,
        "emptied": list(settled.emptied),
        "resumed": resumed,
    }
