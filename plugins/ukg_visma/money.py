"""Money as integer øre, from UKG's amounts to Visma's.

Why integers: a journal must balance to the øre, and sums of binary floats do not. UKG sends
``debitAmt``/``creditAmt`` as decimal strings or JSON numbers (which Python's ``json`` turns into
``float``); each is accepted only if it denotes an exact amount with at most two decimals, and is
converted to ``int`` øre once, at the border. Visma gets ``Decimal`` values with two places, and
:func:`dumps` writes those as exact JSON numbers (``json.dumps`` cannot).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ukg_visma.errors import NotRetryable

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AmountError",
    "dumps",
    "format_ore",
    "ore_series",
    "parse_amount",
    "to_decimal",
]

# Plain decimal notation only: no thousands separators, no decimal comma, no exponent.
# Up to 13 integer digits keeps every amount (in øre) far inside int64.
_AMOUNT = re.compile(r"^\s*([+-]?)(\d{1,13})(?:\.(\d*))?\s*$", re.ASCII)
# the same grammar for Arrow's regex engine; valid text is then cast to an exact decimal(17, 2)
_AMOUNT_VECTOR = r"^\s*[+-]?\d{1,13}(?:\.\d{0,2}0*)?\s*$"
_CENT = Decimal("0.01")
_MAX_ORE = 10**15  # 13 integer digits of kroner, as the string form allows


class AmountError(NotRetryable, ValueError):
    """An amount is not an exact, plain decimal with at most two decimals (or is negative)."""


def parse_amount(value: object, *, allow_negative: bool = False, what: str = "amount") -> int:
    """One amount → integer øre.

    Accepts ``int``, ``Decimal``, ``float`` (as JSON numbers arrive) and decimal strings such as
    ``"41250.00"`` or ``"-12.5"``. Rejects ``bool``, ``None``, NaN/infinity, exponents, separators
    (``"1 234,50"``), more than two significant decimals (``0.125``) and, unless
    ``allow_negative``, amounts below zero.
    """
    if value is None or isinstance(value, bool):
        raise AmountError(f"{what} {value!r} is not an amount")
    if isinstance(value, int):
        ore = value * 100
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise AmountError(f"{what} {value!r} is not a finite amount")
        ore = _decimal_to_ore(Decimal(repr(value)), value, what)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError(f"{what} {value!r} is not a finite amount")
        ore = _decimal_to_ore(value, value, what)
    elif isinstance(value, str):
        m = _AMOUNT.match(value)
        if not m:
            raise AmountError(f"{what} {value!r} is not a plain decimal amount")
        sign, whole, frac = m.group(1), m.group(2), (m.group(3) or "")
        if frac.rstrip("0")[2:]:
            raise AmountError(f"{what} {value!r} has more than two decimals")
        ore = int(whole) * 100 + int((frac[:2] or "0").ljust(2, "0"))
        ore = -ore if sign == "-" else ore
    else:
        raise AmountError(f"{what} {value!r} of type {type(value).__name__} is not an amount")
    if abs(ore) >= _MAX_ORE:
        raise AmountError(f"{what} {value!r} is out of range")
    if ore < 0 and not allow_negative:
        raise AmountError(f"{what} {value!r} is negative")
    return ore


def _decimal_to_ore(d: Decimal, original: object, what: str) -> int:
    scaled = d * 100
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{what} {original!r} has more than two decimals")
    return int(scaled)


def ore_series(values: pd.Series, *, allow_negative: bool = False) -> tuple[pd.Series, pd.Series]:
    """Vectorised :func:`parse_amount` for a whole column.

    Returns ``(ore, bad)``: ``ore`` as ``int64`` (0 where bad) and a boolean mask of the values
    that :func:`parse_amount` would reject, so that a caller can name every bad row at once.
    Floats are rendered with ``repr`` (shortest round-trip form), exactly as :func:`parse_amount`;
    the text is checked by Arrow's regex engine and converted through Arrow's exact decimal type,
    not row by row in Python (and never through a binary float).
    """
    # imported here, not at module level: posting, hooks and the ledger use this module for
    # single amounts, and a mapped post_journal task would otherwise pay ~0.8 s of pandas +
    # pyarrow imports in its fresh process for nothing (bench.mapped_posting)
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values.dtype, pd.StringDtype):  # Arrow-backed text (staged Parquet)
        text = pa.array(values.array).cast(pa.string())
    elif pd.api.types.is_integer_dtype(values.dtype):
        text = pc.cast(pa.array(values.to_numpy()), pa.string())
    else:
        obj = values.astype(object)
        kind = pd.api.types.infer_dtype(obj, skipna=False)
        if kind == "decimal":  # JSON numbers parsed as Decimal: Arrow's exact decimals
            fast = _decimal_ore(obj.to_numpy(), allow_negative=allow_negative)
            if fast is not None:
                ore, bad = fast
                return pd.Series(ore, index=values.index), pd.Series(bad, index=values.index)
        if kind != "string":
            obj = obj.map(_as_text)  # floats → repr, exactly as parse_amount judges them
        text = pa.array(obj.to_numpy(), type=pa.string())
    valid = pc.match_substring_regex(text, pattern=_AMOUNT_VECTOR).fill_null(False)
    exact = pc.cast(pc.if_else(valid, pc.utf8_trim_whitespace(text), "0"), pa.decimal128(17, 2))
    hundred = pa.scalar(100, pa.decimal128(3, 0))
    ore = np.asarray(pc.cast(pc.multiply_checked(exact, hundred), pa.int64()), dtype=np.int64)
    bad = ~np.asarray(valid, dtype=bool)
    if not allow_negative:
        bad = bad | (ore < 0)
    ore = np.where(bad, 0, ore).astype("int64")
    return pd.Series(ore, index=values.index), pd.Series(bad, index=values.index)


def _decimal_ore(values: Any, *, allow_negative: bool) -> tuple[Any, Any] | None:
    """Øre of a column of ``Decimal`` values through Arrow's exact decimal type, or None when
    the column needs :func:`parse_amount`'s judgement value by value.

    Why: a GL export's amounts arrive as JSON numbers, parsed as ``Decimal``; rendering each one
    as text to match it with a regex cost ~0.3 s per 100,000 lines. Arrow converts the whole
    column at once, exactly (never through a float). Taken only when every value has at most two
    decimals (Arrow's common scale ≤ 2) and converts cleanly; NaN, infinity, a third decimal
    (even ``1.230``) or an amount out of range go the text way, which judges them as before.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        exact = pa.array(values, from_pandas=False)
        if not pa.types.is_decimal(exact.type) or exact.type.scale > 2 or exact.null_count:
            return None
        hundred = pa.scalar(100, pa.decimal128(3, 0))
        ore = np.asarray(pc.cast(pc.multiply_checked(exact, hundred), pa.int64()), dtype=np.int64)
    except (pa.ArrowException, ValueError, ArithmeticError, TypeError):
        return None
    if (np.abs(ore) >= _MAX_ORE).any():
        return None
    bad = np.zeros(len(ore), dtype=bool) if allow_negative else ore < 0
    return np.where(bad, 0, ore).astype("int64"), bad


def _as_text(value: object) -> str:
    """The text form :func:`parse_amount` would judge (``"x"`` for what it rejects outright)."""
    if value is None or isinstance(value, bool):
        return "x"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "x"
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else "x"
    return "x"


def to_decimal(ore: int) -> Decimal:
    """Øre → ``Decimal`` with exactly two places, as Visma amounts are sent."""
    return (Decimal(int(ore)) / 100).quantize(_CENT)


def format_ore(ore: int) -> str:
    """Øre → a report figure, ``1,234,567.50`` (reports only; never sent to an API)."""
    return f"{to_decimal(ore):,.2f}"


def dumps(payload: Any) -> str:
    """``json.dumps`` that writes ``Decimal`` as an exact JSON number (``1234.50``).

    Why: the standard encoder refuses ``Decimal`` and a detour through ``float`` is what the
    project forbids. Each Decimal is swapped for a unique token, then the token for its digits.
    """
    token = f"@@dec-{uuid.uuid4().hex}@@"
    decimals: list[str] = []

    def swap(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            if not obj.is_finite():
                raise AmountError(f"{obj!r} cannot be sent as an amount")
            decimals.append(format(obj, "f"))
            return f"{token}{len(decimals) - 1}"
        if isinstance(obj, dict):
            return {k: swap(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [swap(v) for v in obj]
        return obj

    text = json.dumps(swap(payload), ensure_ascii=False, sort_keys=False)
    return re.sub(rf'"{re.escape(token)}(\d+)"', lambda m: decimals[int(m.group(1))], text)
