from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ukg_visma.money import AmountError, dumps, format_ore, ore_series, parse_amount, to_decimal


@pytest.mark.parametrize(
    ("value", "ore"),
    [
        ("41250.00", 4125000),
        ("41250", 4125000),
        ("0.5", 50),
        ("12.30000", 1230),
        (" 7.05 ", 705),
        ("+3.10", 310),
        (41250, 4125000),
        (1234.5, 123450),
        (0.1, 10),
        (Decimal("99.99"), 9999),
        (Decimal("1E+2"), 10000),
    ],
    ids=repr,
)
def test_parse_amount_accepts_exact_amounts(value, ore):
    assert parse_amount(value) == ore


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1 234,50", "is not a plain decimal amount"),
        ("1,234.50", "is not a plain decimal amount"),
        ("1e3", "is not a plain decimal amount"),
        ("", "is not a plain decimal amount"),
        ("12.345", "has more than two decimals"),
        (0.125, "has more than two decimals"),
        (Decimal("0.001"), "has more than two decimals"),
        (float("nan"), "is not a finite amount"),
        (float("inf"), "is not a finite amount"),
        (Decimal("NaN"), "is not a finite amount"),
        (None, "is not an amount"),
        (True, "is not an amount"),
        ([1], "is not an amount"),
        ("-5.00", "is negative"),
        (-5, "is negative"),
        (10**14, "is out of range"),
    ],
    ids=repr,
)
def test_parse_amount_rejects(value, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(value, what="debitAmt")


def test_negative_only_where_allowed():
    assert parse_amount("-5.25", allow_negative=True) == -525
    assert parse_amount(-0.5, allow_negative=True) == -50


def test_ore_series_matches_scalar_parse_and_flags_every_bad_value():
    values = pd.Series(
        ["41250.00", 1234.5, 7, Decimal("0.10"), "12.345", None, float("nan"), "1 234,50", True,
         "-3.00"],
        dtype=object,
    )  # fmt: skip
    ore, bad = ore_series(values, allow_negative=False)
    assert bad.tolist() == [False, False, False, False, True, True, True, True, True, True]
    assert ore.tolist()[:4] == [4125000, 123450, 700, 10]
    ore, bad = ore_series(pd.Series(["-3.00", "-0.05"], dtype=object), allow_negative=True)
    assert ore.tolist() == [-300, -5] and not bad.any()


@given(st.integers(min_value=-(10**13), max_value=10**13), st.sampled_from(["str", "float", "dec"]))
def test_any_ore_amount_round_trips_in_every_form_ukg_may_send(ore, form):
    text = f"{'-' if ore < 0 else ''}{abs(ore) // 100}.{abs(ore) % 100:02d}"
    value = {"str": text, "float": float(text), "dec": Decimal(text)}[form]
    assert parse_amount(value, allow_negative=True) == ore
    parsed, bad = ore_series(pd.Series([value], dtype=object), allow_negative=True)
    assert parsed.tolist() == [ore] and not bad.any()


def test_to_decimal_and_format():
    assert to_decimal(4125000) == Decimal("41250.00")
    assert str(to_decimal(5)) == "0.05"
    assert str(to_decimal(-1234567)) == "-12345.67"
    assert format_ore(123456789) == "1,234,567.89"


def test_dumps_writes_decimals_as_exact_json_numbers():
    payload = {"a": {"value": Decimal("1234567.10")}, "b": [Decimal("0.00")], "c": "text 1.0"}
    text = dumps(payload)
    assert text == '{"a": {"value": 1234567.10}, "b": [0.00], "c": "text 1.0"}'
    assert json.loads(text, parse_float=Decimal) == payload
    with pytest.raises(AmountError):
        dumps({"x": Decimal("NaN")})


def test_ore_series_on_arrow_text_and_integer_columns():
    text = pd.Series(["41250.00", None, "12.345", " 7.5 ", "-1.00", "12."], dtype="str")
    ore, bad = ore_series(text, allow_negative=True)
    assert ore.tolist() == [4125000, 0, 0, 750, -100, 1200]
    assert bad.tolist() == [False, True, True, False, False, False]
    ore, bad = ore_series(pd.Series([5, -3], dtype="int64"), allow_negative=False)
    assert ore.tolist() == [500, 0] and bad.tolist() == [False, True]


@given(st.lists(st.text(alphabet="0123456789.+- ,eE", max_size=18), min_size=1, max_size=20))
def test_vectorised_and_scalar_parsing_agree_on_any_text(texts):
    ore, bad = ore_series(pd.Series(texts, dtype=object), allow_negative=True)
    for text, got, rejected in zip(texts, ore.tolist(), bad.tolist(), strict=True):
        try:
            expected = parse_amount(text, allow_negative=True)
        except AmountError:
            assert rejected, text
        else:
            assert not rejected and got == expected, text


def test_posting_a_journal_does_not_import_pandas() -> None:
    """A mapped ``post_journal`` task starts in a fresh process: single amounts (``parse_amount``,
    ``to_decimal``, ``dumps``) must not drag in pandas + pyarrow (~0.5-1 s per task under load,
    bench.mapped_posting); only the vectorised ``ore_series`` needs them."""
    import subprocess
    import sys
    from pathlib import Path

    plugins = Path(__file__).resolve().parents[2] / "plugins"
    code = (
        "import sys; import ukg_visma.tasks.payroll.posting, ukg_visma.hooks.visma, "
        "ukg_visma.money as m; m.dumps({'a': m.to_decimal(m.parse_amount('1.50'))}); "
        "print(sorted({'pandas', 'pyarrow', 'numpy'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(plugins), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("allow_negative", [True, False])
def test_ore_series_of_decimal_columns_judges_each_value_as_parse_amount(allow_negative):
    """A column of ``Decimal`` (JSON numbers as the hooks parse them) goes through Arrow's
    decimals at once; every value still gets parse_amount's øre or its refusal."""
    import random

    rng = random.Random(24)
    plain = [Decimal(rng.randint(-(10**9), 10**9)) / 100 for _ in range(500)]
    columns = [
        plain,
        [*plain, Decimal("1E+3"), Decimal("-0.00"), Decimal("9999999999999.99")],
        [*plain, Decimal("1.230")],  # a third decimal, zero: valid, judged the text way
        [*plain, Decimal("0.125")],
        [*plain, Decimal("NaN"), Decimal("Infinity")],
        [*plain, Decimal("10000000000000.00")],  # 14 integer digits: out of range
    ]
    for column in columns:
        ore, bad = ore_series(pd.Series(column, dtype=object), allow_negative=allow_negative)
        for value, got, refused in zip(column, ore.tolist(), bad.tolist(), strict=True):
            try:
                expected = parse_amount(value, allow_negative=allow_negative)
            except AmountError:
                assert refused and got == 0, value
            else:
                assert not refused and got == expected, value
