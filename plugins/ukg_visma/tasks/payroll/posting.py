"""Posting one journal exactly once, releasing it, and reading the period back.

Visma has no idempotency key, so exactly-once is built from three parts (design.md):
a deterministic journal key written into the batch, the posting ledger in the audit store (a lease
so that only one task can post a key), and a read-back from Visma before any POST whose earlier
attempt may have landed. The order of writes matters and is the point of this module (the
ledger's states and allowed moves: ``audit/posting_states.py``):

1. take the lease; a journal already ``created``/``released`` needs no POST;
2. if an earlier attempt's outcome is unknown, look for the key in Visma and adopt that batch;
3. mark the ledger ``unknown`` *before* sending the POST (a crash after this point is safe);
4. POST; on 201 record the batch number (from ``Location`` when the tenant sends one, else from
   one read-back of the period by key — the published 201 names no batch); a lost answer leaves
   ``unknown`` for the retry;
5. take the batch off hold and release it (each step checks the batch's current status first;
   a lost release answer is read back, and a batch still ``Balanced`` is released by the retry).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ukg_visma.audit import ledger
from ukg_visma.audit.posting_states import PostingState
from ukg_visma.errors import Retryable
from ukg_visma.gl.holdings import held_batches, is_released
from ukg_visma.gl.journal import JournalKey
from ukg_visma.hooks.exceptions import ResponseLostError, ValidationError
from ukg_visma.hooks.jsonbody import loads
from ukg_visma.periods import PayPeriod

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)


class PostingOutcomeUnknownError(Retryable, RuntimeError):
    """The POST's answer was lost and Visma does not show the batch yet: retry reads back first."""


def find_batch(visma: VismaHook, period: PayPeriod | str, journal_key: str) -> str | None:
    """The batch number that carries ``journal_key`` in Visma, ignoring voided batches.

    ``period`` is the pay period or the Visma period id (``YYYYPP``) the batch was sent to. The
    listing is read as the plan reads it (:func:`ukg_visma.gl.holdings.held_batches`: pages
    merged by batch number, our key recognised in the description and the line references).
    """
    pid = period.visma_period_id if isinstance(period, PayPeriod) else period
    tenant = JournalKey.parse(journal_key).tenant
    matches = [
        b.number
        for b in held_batches(visma.journals(pid), tenant=tenant)
        if b.live and b.journal_key == journal_key
    ]
    if len(matches) > 1:
        raise RuntimeError(
            f"journal {journal_key} is held by {len(matches)} Visma batches {matches}: a "
            "duplicate exists (posted outside this connector?) — void all but one in Visma"
        )
    return matches[0] if matches else None


def _release(visma: VismaHook, number: str, release: bool) -> str:
    """Take the batch off hold and release it; returns the batch's final status."""
    body, _ = visma.journal_with_etag(number)
    status = body.get("status")
    if status == "Hold":
        visma.take_off_hold(number)
        body, _ = visma.journal_with_etag(number)
        status = body.get("status")
    if release and status == "Balanced":
        _, etag = visma.journal_with_etag(number)
        try:
            visma.release_journal(number, etag=etag)
        except ResponseLostError as exc:
            log.warning("release of batch %s: answer lost; checking its status", number)
            status = visma.journal(number).get("status")
            if status == "Balanced":
                # Not released: the answer came from something in between (a proxy's page)
                # that never passed the release on. The batch number is in the ledger, so
                # the retry goes straight to releasing it.
                raise PostingOutcomeUnknownError(
                    f"batch {number}: the release's answer was lost and the batch is still "
                    "Balanced (not released); the retry releases it"
                ) from exc
            return str(status)
        status = visma.journal(number).get("status")
    return str(status)


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
) -> dict[str, Any]:
    """Post the staged journal ``ref`` exactly once; returns key, batch number and status.

    The plan step read Visma just before and found the key missing, so a first attempt with a
    fresh lease posts. A *retry* reads Visma back first even when this store's ledger knows
    nothing: the earlier attempt may have run on a worker with another audit store.
    """
    from airflow.sdk import ObjectStoragePath

    key = ref["journal_key"]
    where = ref.get("visma_period") or period
    entry = ledger.claim(
        engine,
        journal_key=key,
        period=period.key,
        company=ref["company"],
        pay_run=ref["pay_run"],
        run_version=ref["run_version"],
        split_index=ref["split_index"],
        payload_hash=ref["payload_hash"],
        owner=owner,
        lease_s=lease_s,
    )
    if entry.status is PostingState.RELEASED and entry.batch_number:
        log.info("journal %s already released as batch %s", key, entry.batch_number)
        return {
            "journal_key": key,
            "batch_number": entry.batch_number,
            "status": PostingState.RELEASED.value,
        }

    number = entry.batch_number or ref.get("batch_number")
    adopted = False
    if number is None and (
        entry.status in (PostingState.UNKNOWN, PostingState.FAILED) or try_number > 1
    ):
        number = find_batch(visma, where, key)
        adopted = number is not None
        if adopted:
            log.warning("journal %s: earlier attempt did create batch %s; adopting it", key, number)
            ledger.record(engine, key, owner, status=PostingState.CREATED, batch_number=number)
    if number is None:
        with ObjectStoragePath(ref["payload"]).open("r") as fh:
            payload = loads(fh.read())
        # write-ahead: a POST is in flight
        ledger.record(engine, key, owner, status=PostingState.UNKNOWN)
        try:
            created = visma.create_journal(payload)
        except ResponseLostError as exc:
            number = find_batch(visma, where, key)
            if number is None:
                ledger.record(engine, key, owner, status=PostingState.UNKNOWN, error=str(exc))
                raise PostingOutcomeUnknownError(
                    f"journal {key}: Visma's answer was lost and the batch is not visible; the "
                    "retry reads back again before posting"
                ) from exc
            adopted = True
        except ValidationError as exc:
            ledger.record(
                engine, key, owner, status=PostingState.FAILED, error=str(exc), release_lease=True
            )
            raise
        else:
            # The published 201 names no batch (no Location): one read-back of the period finds
            # it by our key; a Location, when the tenant sends one, saves that read.
            number = created or find_batch(visma, where, key)
            if number is None:
                ledger.record(engine, key, owner, status=PostingState.UNKNOWN)
                raise PostingOutcomeUnknownError(
                    f"journal {key}: Visma answered 201 but the batch is not in the period's "
                    "listing yet; the retry reads back again before posting"
                )
        ledger.record(engine, key, owner, status=PostingState.CREATED, batch_number=number)
        log.info("journal %s: %s batch %s", key, "adopted" if adopted else "created", number)

    elif entry.status is not PostingState.CREATED or entry.batch_number != number:
        ledger.record(engine, key, owner, status=PostingState.CREATED, batch_number=number)

    status = _release(visma, number, release)
    final = PostingState.RELEASED if is_released(status) else PostingState.CREATED
    ledger.record(engine, key, owner, status=final, batch_number=number, release_lease=True)
    return {
        "journal_key": key,
        "kind": ref.get("kind", "full"),
        "batch_number": number,
        "status": final.value,
        "adopted": adopted,
        "visma_status": status,
    }
