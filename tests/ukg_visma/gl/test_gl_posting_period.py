"""The closed-period policy (``payroll.closed_period``), decided by one pure function.

Validation, the transform and the plan all ask :func:`posting_period`; these tests pin every
outcome, and :func:`place_journal` (the plan's check of each journal just before staging).
"""

from __future__ import annotations

import datetime as dt

import pytest

from ukg_visma.gl.catalog import CatalogPeriod
from ukg_visma.gl.journal import Journal, JournalKey, JournalLine
from ukg_visma.gl.posting_period import (
    ClosedPeriodError,
    PeriodDecision,
    place_journal,
    posting_period,
)

MOVE = "post_to_next_open_period"

PERIODS = {
    "202609": CatalogPeriod("202609", closed_in_gl=True),
    "202610": CatalogPeriod("202610"),
    "202611": CatalogPeriod("202611", active=False),
    "202612": CatalogPeriod("202612", closed_in_gl=True),
    "202701": CatalogPeriod("202701"),
    "202702": CatalogPeriod("202702", closed_in_gl=True),
}


@pytest.mark.parametrize("policy", ["fail", MOVE])
def test_an_open_period_is_its_own_target_whatever_the_policy(policy: str) -> None:
    decision = posting_period(PERIODS, "202610", policy)
    assert decision == PeriodDecision("202610", "open", "202610")
    assert decision.postable and not decision.moved


@pytest.mark.parametrize("policy", ["fail", MOVE])
def test_a_period_visma_does_not_list_is_missing(policy: str) -> None:
    assert posting_period(PERIODS, "203001", policy) == PeriodDecision("203001", "missing", None)


def test_fail_stops_at_a_period_closed_in_the_ledger_or_inactive() -> None:
    assert posting_period(PERIODS, "202609", "fail").outcome == "closed"
    assert posting_period(PERIODS, "202611", "fail").outcome == "inactive"
    assert not posting_period(PERIODS, "202609", "fail").postable


def test_move_goes_to_the_first_open_period_after_skipping_closed_and_inactive_ones() -> None:
    assert posting_period(PERIODS, "202609", MOVE) == PeriodDecision("202609", "moved", "202610")
    # 202612 is closed: the next open one is in the next year
    assert posting_period(PERIODS, "202611", MOVE) == PeriodDecision("202611", "moved", "202701")
    assert posting_period(PERIODS, "202612", MOVE).moved


def test_move_with_no_later_open_period_cannot_post() -> None:
    decision = posting_period(PERIODS, "202702", MOVE)
    assert decision == PeriodDecision("202702", "no_open_period", None)
    assert not decision.postable and not decision.moved


def _journal(period: str | None, note: str = "") -> Journal:
    return Journal(
        key=JournalKey(
            tenant="nordicmfg",
            company="NMF",
            pay_run="NMF-202610-R1",
            run_version="20261021T151000Z",
            split_index=0,
        ),
        company="NMF",
        pay_run="NMF-202610-R1",
        pay_groups=("NO-M",),
        pay_date=dt.date(2026, 10, 23),
        gl_run_datetime="20261021T151000Z",
        lines=(
            JournalLine(line_number=1, account="5000", segments=(), side="D", amount_ore=100),
            JournalLine(line_number=2, account="2780", segments=(), side="C", amount_ore=100),
        ),
        note=note,
        visma_period=period,
    )


@pytest.mark.parametrize("period", [None, "202610", "203001"])
def test_place_journal_leaves_an_open_unnamed_or_unlisted_period_alone(period: str | None) -> None:
    journal = _journal(period)
    assert place_journal(journal, PERIODS, "fail") is journal


def test_place_journal_moves_and_says_why_in_the_note() -> None:
    moved = place_journal(_journal("202609", note="void of R0"), PERIODS, MOVE)
    assert moved.visma_period == "202610"
    assert moved.note == "void of R0; period 202609 closed"
    assert moved.lines == _journal("202609").lines


def test_place_journal_under_fail_names_the_period_and_the_setting() -> None:
    with pytest.raises(ClosedPeriodError, match=r"financial period 202609.*reopen 202609 or set"):
        place_journal(_journal("202609"), PERIODS, "fail")


def test_place_journal_with_nowhere_to_move_names_only_the_reopen() -> None:
    with pytest.raises(ClosedPeriodError) as raised:
        place_journal(_journal("202702"), PERIODS, MOVE)
    assert str(raised.value).endswith("which is closed in Visma: reopen 202702")
