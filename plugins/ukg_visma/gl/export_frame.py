"""UKG GL lines (as the API returns them) → the canonical frame, one block or a whole export.

Identity of a line: each line is named by where it was read, ``{runId}/{blockId}/{n}`` (``n`` =
1-based position in its block, in UKG's page order), which a person can find again in UKG;
:mod:`ukg_visma.gl.line_hash` adds a content hash (over the published fields, ``systemId``
included) so the audit notices when a re-read of the same position holds a different line.

The published line (``GeneralLedgerRunDetailsV2``) has no pay date, no employee and no pay codes:
it is at account × org × job × position × project level, so two legitimate lines may be alike in
every field but ``systemId``. The pay date comes from ``paygroup-payperiods`` (``gl.pay_runs``),
handed in as ``pay_dates``.

Why a block at a time works: every column is computed per line or per (run, block) — positions
in a block, the pay date of a run — so the frame of an export is the concatenation of its blocks'
frames. The extract builds one block's frame, stages it and lets it go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ukg_visma.gl.columns import from_codes, text_column
from ukg_visma.gl.extract import MalformedExportError
from ukg_visma.money import ore_series

__all__ = ["CONTENT_COLUMNS", "gl_frame"]

# frame column ← UKG field
_TEXT_FIELDS = {
    "run_id": "runId",
    "gl_run_datetime": "glRunDateTime",
    "co_id": "coId",
    "company_code": "companyCode",
    "pay_group": "payGroup",
    "period_start": "periodStartDate",
    "period_end": "periodEndDate",
    "pay_period_end": "payPeriodEndDate",
    "system_id": "systemId",
    "gl_account": "generalLedgerAccount",
    "base_segment": "baseSegment",
    "account_type": "accountType",
    "description": "description",
    "org_level1": "orgLevel1",
    "org_level2": "orgLevel2",
    "org_level3": "orgLevel3",
    "org_level4": "orgLevel4",
    "location": "location",
    "job_code": "jobCode",
    "position_code": "positionCode",
    "project": "project",
}
_DATE_COLUMNS = {"period_start", "period_end", "pay_period_end"}  # YYYY-MM-DD, time part cut
_INT_FIELDS = {"block_id": "blockId", "total_blocks": "totalNrOfBlocks"}
_AMOUNT_FIELDS = {"debit_ore": "debitAmt", "credit_ore": "creditAmt"}
_REQUIRED = ("runId", "glRunDateTime", "blockId", "totalNrOfBlocks")
# what makes two lines "the same line" (besides run and block); ``systemId`` included
CONTENT_COLUMNS = (*_TEXT_FIELDS, "debit_ore", "credit_ore")
_SHOWN = 10  # problems listed per kind in an error message
_SCALAR = frozenset(
    {"string", "empty", "integer", "floating", "mixed-integer-float", "decimal", "boolean"}
)


def _blank(index: pd.Index) -> pd.Series:
    return from_codes([""], np.zeros(len(index), dtype=np.int32), index)


def _bad_values(text: pd.Series, bad: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``bad(text)``, judged once per distinct value and expanded to every row.

    Why: a pay run's dates and run stamps take a handful of values over a million lines; parsing
    each row costs ~0.1 s per column per 500k lines. ``bad`` must judge each value on its own.
    """
    arr = pa.array(text.array)
    uniques = pc.unique(arr)
    judged = bad(pd.Series(pd.array(uniques, dtype="str")))
    if not judged.any():
        return pd.Series(np.zeros(len(text), dtype=bool), index=text.index)
    mask = pc.is_in(arr, value_set=uniques.filter(pa.array(judged.to_numpy(dtype=bool))))
    return pd.Series(np.asarray(mask.fill_null(False), dtype=bool), index=text.index)


def _not_iso_date(text: pd.Series) -> pd.Series:
    iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    parsed = pd.to_datetime(text.where(iso), format="%Y-%m-%d", errors="coerce")
    return (text != "") & parsed.isna()


def _not_iso_datetime(stamp: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(
        stamp.str.replace("Z", "+00:00", regex=False), errors="coerce", utc=True, format="ISO8601"
    )
    return (stamp != "") & parsed.isna()


def _malformed(problems: list[str]) -> MalformedExportError:
    return MalformedExportError(
        "the UKG GL export is malformed:\n" + "\n".join(f"  - {p}" for p in problems),
        tuple(problems),
    )


def _listing(items: Iterable[str]) -> str:
    items = list(items)
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


def gl_frame(
    lines: Iterable[Mapping[str, Any]] | pd.DataFrame,
    pay_dates: Mapping[str, str] | None = None,
    *,
    first_line: int = 0,
) -> pd.DataFrame:
    """UKG GL lines (as the API returns them, in read order) → the canonical frame.

    ``pay_dates``: run id → ISO pay date from ``paygroup-payperiods`` (discovery). A run not
    named there takes its lines' ``payPeriodEndDate`` (the stated fallback, which discovery
    reports as a finding); a ``payDate`` on a line (not published) is a hint used before it.

    Columns: ``source_key``, ``line_in_block``, ``block_id``, ``total_blocks``, the text fields
    (``run_id``, ``company`` …, ``ukg_account``), and amounts as ``int64`` øre ``debit_ore``/
    ``credit_ore`` (negative amounts are kept: a correction run may reverse). A frame that is
    already canonical is returned unchanged.

    ``first_line``: how many lines of the export came before these (a block read after others),
    so that a bad line's position in an error message counts from the export's first line.
    """
    if isinstance(lines, pd.DataFrame) and "source_key" in lines.columns:
        return lines
    raw = _raw_frame(lines)
    _require_columns(raw)
    problems = _nested_values(raw, first_line)
    if problems:
        raise _malformed(problems)
    cols = _text_columns(raw)
    cols["pay_date"] = _pay_date(raw, cols, pay_dates)
    problems += _number_columns(raw, cols, first_line)
    named = _line_namer(raw, cols)
    problems += _value_problems(raw, cols, named)
    account, blank_account = _base_account(cols)
    if blank_account.any():
        problems.append(
            f"neither baseSegment nor generalLedgerAccount is set on {named(blank_account, None)}"
        )
    if problems:
        raise _malformed(problems)
    out = _canonical(raw.index, cols, account)
    assert len(out) == len(raw)
    return out


def _raw_frame(lines: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """The lines as an object frame indexed 0…n-1 (an export with no lines is malformed)."""
    raw = lines if isinstance(lines, pd.DataFrame) else pd.DataFrame(list(lines), dtype=object)
    if raw.empty:
        raise MalformedExportError("the UKG GL export has no lines")
    return raw.reset_index(drop=True)


def _require_columns(raw: pd.DataFrame) -> None:
    """Every field the frame is built from is there (a base account in either of its forms)."""
    missing_cols = [f for f in _REQUIRED if f not in raw.columns]
    if "baseSegment" not in raw.columns and "generalLedgerAccount" not in raw.columns:
        missing_cols.append("baseSegment/generalLedgerAccount")
    for f in _AMOUNT_FIELDS.values():
        if f not in raw.columns:
            missing_cols.append(f)
    if missing_cols:
        raise MalformedExportError(f"GL lines lack the field(s) {', '.join(missing_cols)}")


def _nested_values(raw: pd.DataFrame, first_line: int) -> list[str]:
    """A JSON list or object where a text or number belongs (found by fuzzing: it used to
    raise a bare TypeError from pandas); typed columns skip the per-value check."""
    problems: list[str] = []
    for fld in (*_TEXT_FIELDS.values(), *_INT_FIELDS.values(), *_AMOUNT_FIELDS.values()):
        if fld not in raw.columns or pd.api.types.infer_dtype(raw[fld], skipna=True) in _SCALAR:
            continue
        nested = raw[fld].map(lambda v: isinstance(v, list | dict | set | tuple)).astype(bool)
        if nested.any():
            where = [
                f"line {first_line + i + 1} ({raw[fld].iloc[i]!r})"
                for i in nested[nested].index[: _SHOWN + 1]
            ]
            problems.append(f"{fld} is not a text or a number on {_listing(where)}")
    return problems


def _text_columns(raw: pd.DataFrame) -> dict[str, pd.Series]:
    """The text fields as string columns (dates cut to ``YYYY-MM-DD``; absent fields blank)."""
    cols: dict[str, pd.Series] = {}
    blank_column: pd.Series | None = None  # one shared all-"" column for every absent field
    for col, fld in _TEXT_FIELDS.items():
        cut = 10 if col in _DATE_COLUMNS else None
        if fld in raw.columns:
            cols[col] = text_column(raw[fld], max_len=cut)
        else:
            blank_column = _blank(raw.index) if blank_column is None else blank_column
            cols[col] = blank_column
    return cols


def _pay_date(
    raw: pd.DataFrame, cols: Mapping[str, pd.Series], pay_dates: Mapping[str, str] | None
) -> pd.Series:
    """Discovery's pay date per run, else a line's ``payDate`` hint, else ``payPeriodEndDate``."""
    pay_date = cols["pay_period_end"]
    if "payDate" in raw.columns:  # a hint some exports carry; never required
        hint = text_column(raw["payDate"], max_len=10)
        pay_date = hint.where(hint != "", pay_date)
    if pay_dates:
        known = {str(k): str(v) for k, v in pay_dates.items() if v}
        given = cols["run_id"].astype(object).map(known).fillna("").astype("str")
        pay_date = given.where(given != "", pay_date)
    return pay_date.astype("str")


def _number_columns(raw: pd.DataFrame, cols: dict[str, pd.Series], first_line: int) -> list[str]:
    """Add the whole-number fields and the amounts (øre) to ``cols``; the problems found."""
    problems: list[str] = []
    for col, fld in _INT_FIELDS.items():
        num = pd.to_numeric(raw[fld], errors="coerce")
        bad = num.isna() | (num < 1) | (num != num.round())
        if bad.any():
            where = [f"line {first_line + i + 1}" for i in bad[bad].index[: _SHOWN + 1]]
            problems.append(f"{fld} is not a whole number ≥ 1 on {_listing(where)}")
        cols[col] = num.fillna(0).astype("int64")
    for col, fld in _AMOUNT_FIELDS.items():
        ore, bad = ore_series(raw[fld], allow_negative=True)
        if bad.any():
            where = [
                f"line {first_line + i + 1} ({raw[fld].iloc[i]!r})"
                for i in bad[bad].index[: _SHOWN + 1]
            ]
            problems.append(f"{fld} is not an exact decimal amount on {_listing(where)}")
        cols[col] = ore
    return problems


def _line_namer(
    raw: pd.DataFrame, cols: Mapping[str, pd.Series]
) -> Callable[[pd.Series, str | None], str]:
    """Names bad lines where a person finds them again in UKG: runId/blockId/position in block
    (positions are only needed to name bad lines: computed when a line is bad)."""

    def named(mask: pd.Series, fld: str | None = None) -> str:
        where_run = cols["run_id"].astype("str").to_numpy()
        where_block = cols["block_id"].to_numpy()
        where_n = (
            pd.DataFrame({"r": where_run, "b": where_block})
            .groupby(["r", "b"], sort=False)
            .cumcount()
            + 1
        ).to_numpy()
        out = []
        for i in mask[mask].index[: _SHOWN + 1]:
            label = f"line {where_run[i]}/{where_block[i]}/{where_n[i]}"
            out.append(f"{label} ({raw[fld].iloc[i]!r})" if fld else label)
        return _listing(out) + (f" ({int(mask.sum())} lines)" if mask.sum() > _SHOWN else "")

    return named


def _value_problems(
    raw: pd.DataFrame,
    cols: Mapping[str, pd.Series],
    named: Callable[[pd.Series, str | None], str],
) -> list[str]:
    """Blank run ids and stamps, missing pay dates, dates and ids not in their published form."""
    problems: list[str] = []
    for col, fld in (("run_id", "runId"), ("gl_run_datetime", "glRunDateTime")):
        blank = cols[col] == ""
        if blank.any():
            problems.append(f"{fld} is blank on {named(blank, None)}")
    no_pay_date = cols["pay_date"] == ""
    if no_pay_date.any():
        problems.append(
            "no pay date (no pay period in paygroup-payperiods, no payPeriodEndDate) on "
            f"{named(no_pay_date, None)}"
        )
    for col in sorted(_DATE_COLUMNS):
        fld = _TEXT_FIELDS[col]
        if fld not in raw.columns:
            continue
        bad = _bad_values(cols[col].astype("str"), _not_iso_date)
        if bad.any():
            problems.append(f"{fld} is not an ISO date (YYYY-MM-DD) on {named(bad, fld)}")
    bad_pay = _bad_values(cols["pay_date"], _not_iso_date)
    if bad_pay.any():
        problems.append(f"the pay date is not an ISO date on {named(bad_pay, None)}")
    system = cols["system_id"]
    bad_system = (system != "") & ~system.str.fullmatch(r"\d+").fillna(False).astype(bool)
    if bad_system.any():
        problems.append(f"systemId is not a whole number on {named(bad_system, 'systemId')}")
    bad_stamp = _bad_values(cols["gl_run_datetime"].astype("str"), _not_iso_datetime)
    if bad_stamp.any():
        problems.append(
            f"glRunDateTime is not an ISO date-time on {named(bad_stamp, 'glRunDateTime')}"
        )
    return problems


def _base_account(cols: Mapping[str, pd.Series]) -> tuple[pd.Series, pd.Series]:
    """The UKG base account per line, and where it is blank.

    Older exports carry no ``baseSegment``: the base account is then the first part of the
    full ``generalLedgerAccount`` string."""
    account = cols["base_segment"]
    no_base = account == ""
    if no_base.any():
        account = account.copy()
        account[no_base] = cols["gl_account"][no_base].str.split("-").str[0].fillna("")
    return account, account == ""


def _canonical(index: pd.Index, cols: dict[str, pd.Series], account: pd.Series) -> pd.DataFrame:
    """The canonical frame: the line's key and position first, then the fields, then the account.

    A line's ``source_key`` is ``runId/blockId/position in block``."""
    company = cols["company_code"].where(cols["company_code"] != "", cols["co_id"])
    position = pd.DataFrame({"run": cols["run_id"], "block": cols["block_id"]})
    line_in_block = position.groupby(["run", "block"], sort=False).cumcount().to_numpy() + 1
    source_key = pc.binary_join_element_wise(
        pa.array(cols["run_id"].array).cast(pa.string()),
        pc.cast(pa.array(cols["block_id"].to_numpy()), pa.string()),
        pc.cast(pa.array(line_in_block), pa.string()),
        "/",
    )
    first = {
        "source_key": pd.Series(pd.array(source_key, dtype="str"), index=index),
        "run_id": cols.pop("run_id"),
        "block_id": cols.pop("block_id"),
        "line_in_block": pd.Series(line_in_block.astype("int64"), index=index),
        "total_blocks": cols.pop("total_blocks"),
        "company": company,
    }
    return pd.DataFrame({**first, **cols, "ukg_account": account})
