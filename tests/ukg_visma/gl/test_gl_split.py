from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ukg_visma.gl.split import Piece, apportion, split_balanced


def test_fits_in_one_journal_unchanged():
    chunks = split_balanced([("a", 100), ("b", 50)], [("x", 150)], 10)
    assert chunks == [[Piece("a", "D", 100), Piece("x", "C", 150), Piece("b", "D", 50)]]


def test_cut_line_continues_in_the_next_journal():
    chunks = split_balanced([("wages", 100)], [("tax", 30), ("net", 30), ("bank", 40)], 2)
    assert chunks == [
        [Piece("wages", "D", 30), Piece("tax", "C", 30)],
        [Piece("wages", "D", 30), Piece("net", "C", 30)],
        [Piece("wages", "D", 40), Piece("bank", "C", 40)],
    ]


def test_credit_side_excess_is_cut_from_the_last_credit():
    # d1 30 → c 40 (−10) and the journal is full: c keeps 30, its 10 opens the next journal
    chunks = split_balanced([("d1", 30), ("d2", 10)], [("c", 40)], 2)
    assert chunks == [
        [Piece("d1", "D", 30), Piece("c", "C", 30)],
        [Piece("d2", "D", 10), Piece("c", "C", 10)],
    ]


def test_a_line_that_is_all_excess_moves_on_uncut():
    # a 5, x 5 level the journal; b 7 fills it and is entirely excess: it moves on whole
    chunks = split_balanced([("a", 5), ("b", 7)], [("x", 5), ("y", 7)], 3)
    assert chunks == [
        [Piece("a", "D", 5), Piece("x", "C", 5)],
        [Piece("b", "D", 7), Piece("y", "C", 7)],
    ]


@pytest.mark.parametrize(
    ("debits", "credits", "limit", "message"),
    [
        ([("a", 10)], [("b", 9)], 5, "unbalanced"),
        ([("a", 10)], [("b", 10)], 1, "at least 2 lines"),
        ([("a", 0)], [("b", 0)], 5, "positive"),
    ],
)
def test_refuses_what_cannot_be_split_honestly(debits, credits, limit, message):
    with pytest.raises(ValueError, match=message):
        split_balanced(debits, credits, limit)


@st.composite
def balanced_sets(draw):
    debits = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=30))
    credits = draw(st.lists(st.integers(1, 10**6), min_size=0, max_size=30))
    gap = sum(debits) - sum(credits)
    if gap > 0:
        credits.append(gap)
    elif gap < 0:
        debits.append(-gap)
    return (
        [(f"d{i}", a) for i, a in enumerate(debits)],
        [(f"c{i}", a) for i, a in enumerate(credits)],
        draw(st.integers(2, 12)),
    )


@given(balanced_sets())
def test_every_chunk_balances_fits_and_amounts_are_kept(case):
    debits, credits, limit = case
    chunks = split_balanced(debits, credits, limit)
    kept: Counter[str] = Counter()
    for chunk in chunks:
        assert 2 <= len(chunk) <= limit
        assert sum(p.amount for p in chunk if p.side == "D") == sum(
            p.amount for p in chunk if p.side == "C"
        )
        assert all(p.amount > 0 for p in chunk)
        assert len({p.item for p in chunk}) == len(chunk)  # a line key once per journal
        kept.update({p.item: p.amount for p in chunk})
    assert kept == Counter(dict(debits + credits))
    # each journal cuts at most one line, so the count stays close to the minimum
    assert len(chunks) <= max(1, len(debits) + len(credits) - 1)


@given(
    st.lists(st.integers(0, 1000), min_size=1, max_size=20),
    st.data(),
)
def test_apportion_covers_every_source_and_every_part(sources, data):
    total = sum(sources)
    cuts = sorted(data.draw(st.lists(st.integers(0, total), max_size=4)))
    bounds = [0, *cuts, total]
    parts = [b - a for a, b in itertools.pairwise(bounds) if b > a] or [total]
    rows = apportion(sources, parts)
    per_source: Counter[int] = Counter()
    per_part: Counter[int] = Counter()
    for i, j, amount in rows:
        per_source[i] += amount
        per_part[j] += amount
    assert {i for i, _, _ in rows} == set(range(len(sources)))
    assert [per_source[i] for i in range(len(sources))] == sources
    assert [per_part[j] for j in range(len(parts))] == parts
