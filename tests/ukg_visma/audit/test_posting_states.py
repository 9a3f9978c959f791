"""The posting ledger's state machine: every allowed and every forbidden transition.

The expected table is written out here on its own (not derived from the code): a change to
``audit/posting_states.py`` that lets a ``created`` key become postable again fails this test.
Each pair is walked twice — against the table, and through ``ledger.record`` / ``ledger.adopt``
on a real audit store, where a forbidden write raises and leaves the row as it was.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import update

from ukg_visma.audit import ledger
from ukg_visma.audit.posting_states import (
    DONE,
    TRANSITIONS,
    ForbiddenTransitionError,
    PostingState,
    allowed,
    check,
    sources_of,
)
from ukg_visma.audit.schema import journal_ledger
from ukg_visma.audit.store import get_engine
from ukg_visma.errors import NotRetryable

C, U, CR, R, F = "claimed", "unknown", "created", "released", "failed"
STATES = (C, U, CR, R, F)
EXPECTED = {
    None: {C, CR, R},
    C: {U, CR, R},
    U: {U, CR, F, R},
    F: {U, CR, R},
    CR: {CR, R},
    R: set(),
}
PAIRS = list(itertools.product((None, *STATES), STATES))


def _id(pair: tuple[str | None, str]) -> str:
    return f"{pair[0] or 'new'}->{pair[1]}"


def test_the_enum_names_exactly_the_ledger_statuses():
    assert {s.value for s in PostingState} == set(STATES)
    assert set(TRANSITIONS) == {None, *PostingState}
    assert {PostingState.CREATED, PostingState.RELEASED} == DONE


@pytest.mark.parametrize("pair", PAIRS, ids=[_id(p) for p in PAIRS])
def test_table(pair):
    current, target = pair
    expected = target in EXPECTED[current]
    assert allowed(current, target) is expected
    assert (current in sources_of(target)) is (expected and current is not None)
    if expected:
        check("k", current, target)
    else:
        with pytest.raises(ForbiddenTransitionError, match="forbidden"):
            check("k", current, target)


def test_no_state_where_visma_holds_the_batch_leads_back_to_a_post():
    may_post = {PostingState.CLAIMED, PostingState.UNKNOWN, PostingState.FAILED}
    for done in DONE:
        assert not (TRANSITIONS[done] & may_post), done
    assert TRANSITIONS[PostingState.RELEASED] == frozenset()
    assert issubclass(ForbiddenTransitionError, NotRetryable)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        return get_engine(f"sqlite:///{tmp_path}/audit.db")
    return get_engine(request.getfixturevalue("pg_url"))


def _row_in(engine, key: str, state: str, owner: str = "task") -> None:
    """A ledger row for ``key`` in ``state``, leased by ``owner`` (set up by hand: some states
    are only reached after several steps)."""
    ledger.claim(
        engine, journal_key=key, period="2026-10", company="NMF", pay_run="R1",
        run_version="v1", split_index=0, payload_hash="h", owner=owner,
    )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            update(journal_ledger)
            .where(journal_ledger.c.journal_key == key)
            .values(status=state, batch_number="000007" if state in (CR, R) else None)
        )


STATE_PAIRS = list(itertools.product(STATES, STATES))


@pytest.mark.parametrize("pair", STATE_PAIRS, ids=[_id(p) for p in STATE_PAIRS])
def test_record_enforces_the_table(engine, pair):
    current, target = pair
    key = f"k-{current}-{target}"
    _row_in(engine, key, current)
    if target in EXPECTED[current]:
        ledger.record(engine, key, "task", status=target, batch_number="000008")
        entry = ledger.get(engine, key)
        assert entry.status is PostingState(target) and entry.batch_number == "000008"
    else:
        with pytest.raises(ForbiddenTransitionError, match=f"{current} → {target}"):
            ledger.record(engine, key, "task", status=target, batch_number="000008")
        entry = ledger.get(engine, key)
        assert entry.status is PostingState(current)  # nothing was written
        assert entry.batch_number == ("000007" if current in (CR, R) else None)


def test_a_stale_worker_is_busy_not_forbidden(engine):
    _row_in(engine, "k-stale", CR, owner="new-holder")
    with pytest.raises(ledger.JournalBusyError, match="lost the lease"):
        ledger.record(engine, "k-stale", "old-holder", status=U)  # forbidden, but not its lease
    assert ledger.get(engine, "k-stale").status is PostingState.CREATED


@pytest.mark.parametrize("posted", [False, True], ids=["created", "released"])
@pytest.mark.parametrize("current", [None, *STATES], ids=lambda s: s or "new")
def test_adopt_moves_only_where_the_table_allows(engine, current, posted):
    key = f"k-adopt-{current}-{posted}"
    if current is not None:
        _row_in(engine, key, current)
        with engine.begin() as conn:  # the lease expired: adopt never breaks a live one
            conn.execute(
                update(journal_ledger)
                .where(journal_ledger.c.journal_key == key)
                .values(lease_owner=None, lease_until=None)
            )
    target = R if posted else CR
    ledger.adopt(
        engine, journal_key=key, period="2026-10", company="NMF", pay_run="R1",
        run_version="v1", split_index=0, batch_number="000009", posted=posted,
    )  # fmt: skip
    entry = ledger.get(engine, key)
    if target in EXPECTED[current]:
        assert (entry.status, entry.batch_number) == (PostingState(target), "000009")
    else:  # a cache refresh never raises: the row stays as it was
        assert entry.status is PostingState(current) and entry.batch_number == "000007"


def test_adopt_leaves_a_live_lease_alone(engine):
    _row_in(engine, "k-live", U, owner="holder")
    ledger.adopt(
        engine, journal_key="k-live", period="2026-10", company="NMF", pay_run="R1",
        run_version="v1", split_index=0, batch_number="000010", posted=True,
    )  # fmt: skip
    assert ledger.get(engine, "k-live").status is PostingState.UNKNOWN
