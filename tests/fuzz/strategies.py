"""Hostile values for the fuzz tests: what a broken export, feed or sender could put in a field."""

from __future__ import annotations

from hypothesis import strategies as st

hostile = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", " ", "31.12.2026", "2026-02-30", "2026-13-01", "1e5", "NaN", "-0",
                     "12,50", "0.001", "١٢٣", "2026-10-31T00:00:00", "null", "\x00", "Z"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip
