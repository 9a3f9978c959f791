"""Reversal on request: undo one of our batches in Visma, exactly once.

Why a path of its own: a controller who finds a posted payroll batch wrong (a mapping mistake, a
run posted into the wrong period) wants it undone in Visma without waiting for UKG. The reversal
swaps debits and credits on the same dimensions and references the original batch; its journal
key (``…:REV-<batch>:0``) depends only on the batch, so a second request, a retry, a void of the
same run or another worker finds it in Visma and does not reverse again. The batch is read from
Visma (not from the audit store), and the Visma period it lives in is listed once before anything
is created.

The pay period is then no longer what UKG says until it is run again: the next run of the period
plans from Visma's state and posts what is missing (an adjustment, or the run in full).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ukg_visma.errors import NotRetryable
from ukg_visma.gl.corrections import reversal_journal
from ukg_visma.gl.holdings import (
    HeldBatch,
    drop_losers,
    held_batches,
    key_winner,
    search_periods,
)
from ukg_visma.gl.journal import Journal
from ukg_visma.hooks.exceptions import NotFoundError
from ukg_visma.periods import PayPeriod
from ukg_visma.settings import Settings

if TYPE_CHECKING:
    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)

_PAY_PERIOD = re.compile(r"\b(\d{4}-(?:0[1-9]|1[0-2]))\b")


class ReversalRequestError(NotRetryable, ValueError):
    """The batch cannot be reversed by this connector (unknown, not ours, a reversal itself)."""


@dataclass(frozen=True)
class ReversalDecision:
    batch: HeldBatch
    journal: Journal | None  # None: already reversed (released)
    existing: str | None  # the reversal Visma already holds (with a journal: held, to settle)
    pay_period: PayPeriod
    periods: tuple[str, ...] = ()  # the Visma periods searched for an existing reversal

    @property
    def message(self) -> str:
        if self.journal is None:
            return f"batch {self.batch.number} is already reversed by batch {self.existing}"
        if self.existing:
            return (
                f"batch {self.batch.number}: its reversal batch {self.existing} is held "
                "unreleased (a run that died or is racing this one); it will be settled"
            )
        return f"batch {self.batch.number} will be reversed ({self.journal.journal_key})"


def pay_period_of(batch: HeldBatch) -> PayPeriod:
    """The pay period a batch of ours is about: named in its description, else its period."""
    m = _PAY_PERIOD.search(batch.description)
    if m:
        return PayPeriod.parse(m.group(1))
    pid = batch.period_id
    if len(pid) == 6 and pid.isdigit():
        return PayPeriod(int(pid[:4]), int(pid[4:]))
    raise ReversalRequestError(f"batch {batch.number}: cannot tell its pay period")


def read_batch(visma: VismaHook, number: str, settings: Settings) -> HeldBatch:
    try:
        body = visma.journal(number)
    except NotFoundError:
        raise ReversalRequestError(f"batch {number} does not exist in Visma") from None
    found = held_batches([body], tenant=settings.company.tenant)
    if not found:
        raise ReversalRequestError(
            f"batch {number} was not posted by this connector (no journal key of tenant "
            f"{settings.company.tenant} in its description): reverse it in Visma by hand"
        )
    batch = found[0]
    if not batch.live:
        raise ReversalRequestError(f"batch {number} is voided in Visma: nothing to reverse")
    if batch.kind == "reversal":
        raise ReversalRequestError(
            f"batch {number} is itself the reversal of batch {batch.reverses}; run the pay "
            "period again to post the original back"
        )
    return batch


def reversal_periods(batch: HeldBatch, periods: Mapping[str, Any]) -> tuple[str, ...]:
    """Where a reversal of ``batch`` may live: its own period, or — closed then, the reversal
    moved by ``post_to_next_open_period`` — a later one (the bounded scan of
    :func:`~ukg_visma.gl.holdings.search_periods`)."""
    open_by = {p: bool(getattr(v, "open", v)) for p, v in periods.items()}
    return tuple(search_periods(batch.period_id, open_by))


def decide(
    visma: VismaHook,
    settings: Settings,
    numbers: Sequence[str],
    *,
    reason: str = "",
    periods: Mapping[str, Any] | None = None,
) -> list[ReversalDecision]:
    """Read each batch and the periods its reversal may be in; plan a reversal unless Visma
    already holds one (released, or held by a run that is settling it).

    ``periods``: Visma's financial periods (``YYYYPP`` → a catalog period, or open as a bool);
    read here when not given.
    """
    from ukg_visma.gl.catalog import periods_from_api

    batches = [read_batch(visma, str(n).strip(), settings) for n in dict.fromkeys(numbers)]
    if periods is None:
        periods = periods_from_api(visma.financial_periods())
    where = {b.number: reversal_periods(b, periods) for b in batches}
    listed: dict[str, list[HeldBatch]] = {}
    for pid in sorted({p for ps in where.values() for p in ps}):
        rows: list[dict[str, Any]] = list(visma.journals(pid))
        listed[pid] = held_batches(rows, tenant=settings.company.tenant)
    out = []
    for b in batches:
        found = [h for pid in where[b.number] for h in listed[pid] if h.reverses == b.number]
        winner = key_winner(found)
        journal = None
        if winner is None or not winner.released:
            note = f"requested: {reason}" if reason else "requested"
            journal = reversal_journal(b, note=note)
        out.append(
            ReversalDecision(
                b,
                journal,
                winner.number if winner else None,
                pay_period_of(b),
                where[b.number],
            )
        )
    return out


def check_reversed(
    held: Iterable[HeldBatch], numbers: Iterable[str]
) -> tuple[list[str], Mapping[str, tuple[str, ...]]]:
    """Problems after posting: each batch reversed by exactly one live batch, no key held twice.

    Losing and emptied batches of the settle protocol hold nothing and are not counted."""
    held = [h for h in drop_losers(held) if h.live]
    problems = []
    by_number = {h.number: h for h in held}
    for n in numbers:
        reversals = [h for h in held if h.reverses == n]
        if len(reversals) != 1:
            problems.append(f"batch {n}: {len(reversals)} live reversal(s) in Visma, expected 1")
            continue
        original = by_number.get(n)
        if original is not None:
            lines: dict[Any, int] = {}
            for line in (*original.lines, *reversals[0].lines):
                lines[line.key] = lines.get(line.key, 0) + line.debit_ore - line.credit_ore
            if any(lines.values()):
                problems.append(
                    f"batch {n}: reversal {reversals[0].number} does not net it to zero"
                )
    keys: dict[str, list[str]] = {}
    for h in held:
        keys.setdefault(h.journal_key, []).append(h.number)
    return problems, {k: tuple(v) for k, v in keys.items() if len(v) > 1}


def reversal_ref(ref: dict[str, Any], decision: ReversalDecision) -> dict[str, Any]:
    """A staged reversal's ref; when Visma already holds the reversal unreleased, a ref that
    settles that batch instead of creating another (``tasks/payroll/posting.settle``)."""
    if decision.existing and decision.journal is not None:
        return {**ref, "kind": "release", "batch_number": decision.existing}
    return ref
