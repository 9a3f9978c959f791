"""Which Visma financial period a journal posts into: the closed-period policy, decided once.

Why one place: a pay period's own Visma period may be closed (or missing, or inactive) by the
time payroll posts. ``payroll.closed_period`` says what then happens — ``fail`` stops the run and
names what to reopen, ``post_to_next_open_period`` moves the journals into the first open period
after it. Validation reports the outcome, the transform dates the journals by it, and the plan
(also a reversal on request) checks each journal's period against it just before staging: all
three ask :func:`posting_period`, so they cannot disagree.

Pure: the periods come in as :class:`~ukg_visma.gl.catalog.CatalogPeriod` values (as Visma's
``GET /v1/financialPeriod`` lists them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ukg_visma.errors import NotRetryable
from ukg_visma.gl.catalog import CatalogPeriod, next_open_period
from ukg_visma.gl.journal import Journal

__all__ = [
    "ClosedPeriodError",
    "PeriodDecision",
    "place_journal",
    "posting_period",
]

Outcome = Literal["open", "moved", "missing", "closed", "inactive", "no_open_period"]
MOVE = "post_to_next_open_period"


class ClosedPeriodError(NotRetryable, RuntimeError):
    """A journal must go into a Visma period that is closed (``closed_period: fail``)."""


@dataclass(frozen=True)
class PeriodDecision:
    """Where journals headed for ``period`` post, and why.

    ``outcome``: ``open`` (its own period), ``moved`` (closed; the policy moves it to
    ``target``), or why nothing may post: ``missing`` (Visma has no such period), ``closed``
    (closed in the general ledger), ``inactive`` (not active), ``no_open_period`` (closed, the
    policy would move it, but no later period is open).
    """

    period: str
    outcome: Outcome
    target: str | None

    @property
    def postable(self) -> bool:
        return self.target is not None

    @property
    def moved(self) -> bool:
        return self.outcome == "moved"


def posting_period(
    periods: Mapping[str, CatalogPeriod], period: str, policy: str
) -> PeriodDecision:
    """The period journals headed for ``period`` post into under ``policy``
    (``payroll.closed_period``)."""
    found = periods.get(period)
    if found is None:
        return PeriodDecision(period, "missing", None)
    if found.open:
        return PeriodDecision(period, "open", period)
    if policy == MOVE:
        target = next_open_period(periods, period)
        return PeriodDecision(period, "moved" if target else "no_open_period", target)
    return PeriodDecision(period, "closed" if found.closed_in_gl else "inactive", None)


def place_journal(journal: Journal, periods: Mapping[str, CatalogPeriod], policy: str) -> Journal:
    """A journal headed for a closed Visma period: moved on, or stopped (by setting).

    A period Visma does not list is left to Visma (validation already reported the pay period's
    own; a reversal goes into the period its original batch lives in).
    """
    pid = journal.visma_period
    if pid is None:
        return journal
    decision = posting_period(periods, pid, policy)
    if decision.outcome in ("open", "missing"):
        return journal
    if decision.target is None:
        raise ClosedPeriodError(
            f"journal {journal.journal_key} ({journal.kind}) must go into financial period {pid}, "
            f"which is closed in Visma: reopen {pid}"
            + (
                ""
                if policy != "fail"
                else " or set payroll.closed_period: post_to_next_open_period"
            )
        )
    note = "; ".join(n for n in (journal.note, f"period {pid} closed") if n)
    return journal.model_copy(update={"visma_period": decision.target, "note": note})
