"""The posting ledger's state machine: one enum, one transition table, one check.

A journal key's ledger row moves through these states (``audit.ledger`` writes them,
``tasks.payroll.posting`` decides which to write). Exactly-once rests on two rules the table
encodes:
a key whose batch Visma holds (``created``/``released``) never goes back to a state from which a
POST may be sent (``claimed``/``unknown``/``failed``), and ``released`` is final.

::

    (new row) ──claim──▶ claimed ──write-ahead──▶ unknown ──201──▶ created ──release──▶ released
                   │         │                      │  ▲ lost answer  │  ▲ still on hold
                   │         │                      ▼  │             ▼  │
                   │         └──read back/adopt──▶ failed ─retry─▶ unknown
                   └──adopt (Visma holds it)──▶ created / released

Who writes what: :func:`ukg_visma.audit.ledger.claim` inserts ``claimed``;
:func:`~ukg_visma.audit.ledger.record` (the lease holder, from ``tasks.payroll.posting``) writes
every later state and raises :class:`ForbiddenTransitionError` for a move the table does not allow;
:func:`~ukg_visma.audit.ledger.adopt` (a cache refresh from Visma's listing) writes ``created`` /
``released`` only where the table allows it and leaves other rows alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from ukg_visma.errors import NotRetryable


class PostingState(StrEnum):
    """Where one journal key stands (the ``journal_ledger.status`` column holds the value)."""

    CLAIMED = "claimed"
    """A task holds the lease and has sent nothing yet in this attempt."""
    UNKNOWN = "unknown"
    """A POST was (or is about to be) sent and its outcome is not known: the next holder reads
    Visma back before sending anything (written *before* the POST: a crash is safe)."""
    CREATED = "created"
    """Visma holds the batch (``batch_number`` known); not yet released (on hold, or
    ``payroll.release`` is off)."""
    RELEASED = "released"
    """The batch is posted to Visma's ledger balances: nothing is left to do, ever."""
    FAILED = "failed"
    """Visma refused the journal (a business error); a retry re-validates and reads back first."""


S = PostingState

TRANSITIONS: Mapping[PostingState | None, frozenset[PostingState]] = {
    # a new row: a task claims the key, or Visma's listing shows a batch already holding it
    None: frozenset({S.CLAIMED, S.CREATED, S.RELEASED}),
    # write-ahead before the POST; a known batch adopted (read back, release-only ref, listing)
    S.CLAIMED: frozenset({S.UNKNOWN, S.CREATED, S.RELEASED}),
    # the POST's answer: lost again, 201, refused; or the batch found in Visma's listing
    S.UNKNOWN: frozenset({S.UNKNOWN, S.CREATED, S.FAILED, S.RELEASED}),
    # a retry after re-validation posts again (write-ahead), or finds the batch in Visma
    S.FAILED: frozenset({S.UNKNOWN, S.CREATED, S.RELEASED}),
    # still not released (on hold, release off), or released
    S.CREATED: frozenset({S.CREATED, S.RELEASED}),
    # final
    S.RELEASED: frozenset(),
}
"""``TRANSITIONS[current]`` = the states a row in ``current`` may be written to (``None``: the
row does not exist yet). A pair not listed is forbidden."""

DONE = frozenset({S.CREATED, S.RELEASED})
"""States in which Visma holds the batch: no POST may be sent for the key again."""


class ForbiddenTransitionError(NotRetryable, RuntimeError):
    """A write the transition table forbids (a bug: it could post a journal twice)."""


def allowed(current: PostingState | str | None, target: PostingState | str) -> bool:
    """Whether a row in ``current`` (``None``: no row yet) may be written as ``target``."""
    source = None if current is None else PostingState(current)
    return PostingState(target) in TRANSITIONS[source]


def sources_of(target: PostingState | str) -> frozenset[PostingState]:
    """Every existing state from which ``target`` may be written (for a compare-and-set)."""
    wanted = PostingState(target)
    return frozenset(s for s, nxt in TRANSITIONS.items() if s is not None and wanted in nxt)


def check(journal_key: str, current: PostingState | str | None, target: PostingState | str) -> None:
    """Raise :class:`ForbiddenTransitionError` unless ``current`` → ``target`` is allowed."""
    if allowed(current, target):
        return
    source = "(new)" if current is None else str(PostingState(current))
    targets = TRANSITIONS[None if current is None else PostingState(current)]
    may = ", ".join(sorted(targets)) or "nothing, it is final"
    raise ForbiddenTransitionError(
        f"journal {journal_key}: ledger transition {source} → {PostingState(target)} is "
        f"forbidden (from {source} only: {may})"
    )
