"""What Visma holds for a pay period: read from Visma's own listing, remembered in the ledger.

Why a reader of its own, below the steps: Visma's ledger is the truth, and three places need
the same reading of it — the plan (what is still missing), the reconciliation (what was posted)
and a reversal on request (``ukg-visma reverse``). Each lists the Visma periods our batches of
the pay period may live in (:func:`visma_periods`), reads our batches there (:func:`read_held`)
and refreshes the local ledger from that listing (:func:`remember`: the store is a cache of
Visma). Parsing the listing is pure and lives in :mod:`ukg_visma.gl.holdings`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ukg_visma.audit import ledger
from ukg_visma.gl.holdings import HeldBatch, held_batches, search_periods
from ukg_visma.gl.journal import Journal
from ukg_visma.tasks.payroll.run import PayrollRun

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.visma import VismaHook

__all__ = ["batch_rows", "read_held", "remember", "visma_periods"]


def visma_periods(
    engine: Engine,
    pay_period: str,
    journals: Iterable[Journal],
    home: str,
    periods: Mapping[str, Any] | None = None,
) -> list[str]:
    """Every Visma period where our batches of this pay period may live.

    The pay period's own, the periods this run's journals go into, those the store has seen
    our batches of this pay period in before, and — so that a fresh store finds batches moved by
    ``post_to_next_open_period`` though the periods closed or reopened since — a bounded scan of
    the later periods (:func:`~ukg_visma.gl.holdings.search_periods`).
    """
    seen = {b["visma_period"] for b in ledger.period_batches(engine, pay_period)}
    wanted = {home, *(j.visma_period for j in journals), *seen}
    if periods:
        wanted |= set(search_periods(home, {p: v.open for p, v in periods.items()}))
    return sorted(p for p in wanted if p)


def read_held(
    visma: VismaHook, period_ids: Sequence[str], *, tenant: str, companies: set[str] | None
) -> list[HeldBatch]:
    """Our batches in the given Visma periods, read from Visma's own listing (all pages).

    ``companies`` None keeps every company of the tenant.
    """
    rows: list[dict[str, Any]] = []
    for pid in period_ids:
        rows.extend(visma.journals(pid))
    held = held_batches(rows, tenant=tenant)
    return held if companies is None else [b for b in held if b.key.company in companies]


def batch_rows(held: Iterable[HeldBatch]) -> list[dict[str, Any]]:
    """``journal_batches`` rows (the chain original → adjustment / reversal) for the store."""
    return [
        {
            "batch_number": b.number,
            "journal_key": b.journal_key,
            "visma_period": b.period_id or None,
            "company": b.key.company,
            "pay_run": b.key.pay_run,
            "kind": b.kind,
            "run_version": b.key.run_version,
            "reverses": b.reverses,
            "status": b.status,
            "debit_ore": b.debit_ore,
            "note": b.description[:500],
        }
        for b in held
    ]


def remember(engine: Engine, ctx: PayrollRun, held: Iterable[HeldBatch]) -> None:
    """Refresh the ledger and the batch chain from what Visma holds (the store is a cache)."""
    held = list(held)
    for b in held:
        if b.live:
            ledger.adopt(
                engine,
                journal_key=b.journal_key,
                period=ctx.period.key,
                company=b.key.company,
                pay_run=b.key.pay_run,
                run_version=b.key.run_version,
                split_index=b.key.split_index,
                batch_number=b.number,
                posted=b.released,
            )
    ledger.record_batches(engine, ctx.period.key, ctx.audit_run_id, batch_rows(held))
