"""Cutting one balanced set of journal lines into balanced journals of at most ``limit`` lines.

Why this is needed: Visma batches have a practical line limit, and every batch must balance on
its own (an unbalanced batch cannot be released), while the connector must never invent a
balancing line on a clearing account.

The method (deterministic, documented for the controller):

1. Debit lines and credit lines each wait in a queue, ordered by their natural key (account,
   subaccount, project, task) — never by input order, so shuffled input gives the same journals.
2. A journal is filled one line at a time: while it holds more debit than credit the next credit
   line is taken, while it holds more credit the next debit, when level the next debit.
3. When the journal is full and not level, the excess sits on the line added last on the heavy
   side (the running difference never exceeds that line — it only became positive by adding it).
   That line is cut in two: the part that levels the journal stays, the rest goes back to the
   front of its queue and opens the next journal on the same account and dimensions.

Every journal therefore balances to the øre, has at most ``limit`` lines, each line key appears
once per journal, and at most one line per journal boundary is cut.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

__all__ = ["Piece", "apportion", "split_balanced"]


@dataclass(frozen=True)
class Piece:
    item: Hashable  # which aggregated line this is (a part of)
    side: str  # "D" or "C"
    amount: int  # øre, > 0


def split_balanced(
    debits: Sequence[tuple[Hashable, int]],
    credits: Sequence[tuple[Hashable, int]],
    limit: int,
) -> list[list[Piece]]:
    """Balanced chunks of at most ``limit`` pieces; inputs in their deterministic order.

    ``debits``/``credits`` are ``(item, amount_øre)`` with positive amounts and equal totals.
    """
    if limit < 2:
        raise ValueError("a balanced journal needs room for at least 2 lines")
    if any(a <= 0 for _, a in debits) or any(a <= 0 for _, a in credits):
        raise ValueError("amounts to split must be positive øre")
    if sum(a for _, a in debits) != sum(a for _, a in credits):
        raise ValueError("cannot split an unbalanced set of lines into balanced journals")
    dq: deque[tuple[Hashable, int]] = deque(debits)
    cq: deque[tuple[Hashable, int]] = deque(credits)
    chunks: list[list[Piece]] = []
    while dq or cq:
        chunk: list[Piece] = []
        balance = 0  # debit − credit in this chunk
        last = {"D": -1, "C": -1}  # index in chunk of the line added last per side
        while len(chunk) < limit and (dq or cq):
            take_credit = balance > 0 or (balance == 0 and not dq)
            queue, side = (cq, "C") if take_credit else (dq, "D")
            item, amount = queue.popleft()
            chunk.append(Piece(item, side, amount))
            last[side] = len(chunk) - 1
            balance += amount if side == "D" else -amount
        if balance:
            side, queue = ("D", dq) if balance > 0 else ("C", cq)
            i = last[side]
            piece, excess = chunk[i], abs(balance)
            # invariant (module docstring): 0 < excess <= piece.amount
            queue.appendleft((piece.item, excess))
            if piece.amount == excess:
                del chunk[i]
            else:
                chunk[i] = Piece(piece.item, side, piece.amount - excess)
        chunks.append(chunk)
    return chunks


def apportion(sources: Sequence[int], parts: Sequence[int]) -> list[tuple[int, int, int]]:
    """Which øre of each source line went into which part of a cut journal line.

    ``sources``: the source lines' amounts (in their stable order); ``parts``: the amounts of the
    line's parts, in journal order, with the same total. Returns ``(source_index, part_index,
    amount)`` rows: every source appears, its amounts sum to its own amount, and a source spans
    two parts only where the cut falls inside it. Zero-amount sources stay with the current part.
    """
    if sum(sources) != sum(parts):
        raise ValueError("source amounts and part amounts differ")
    rows, _ = apportion_from(sources, parts, (0, parts[0] if parts else 0))
    return rows


def apportion_from(
    sources: Sequence[int], parts: Sequence[int], at: tuple[int, int]
) -> tuple[list[tuple[int, int, int]], tuple[int, int]]:
    """:func:`apportion` resumed: ``at`` is ``(part index, øre left in it)`` where the previous
    sources stopped; returns the rows and where these sources stop (a group-wise reader feeds
    one line's sources a group at a time)."""
    rows: list[tuple[int, int, int]] = []
    j, room = at
    for i, amount in enumerate(sources):
        if amount == 0:
            rows.append((i, min(j, len(parts) - 1), 0))
            continue
        while amount:
            while room == 0:
                j += 1
                room = parts[j]
            take = min(amount, room)
            rows.append((i, j, take))
            amount -= take
            room -= take
    return rows, (j, room)
