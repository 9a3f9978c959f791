"""The UKG payroll GL export as a frame, its line identities, and proof that it is complete.

Why prove completeness: a GL run comes in ``totalNrOfBlocks`` blocks, each read page by page; a
block or a page that was missed (or read twice) still *looks* like payroll. A complete run balances
and has every block; anything less must stop the run before a journal is built from it.

Identity of a line: each line is named by where it was read, ``{runId}/{blockId}/{n}`` (``n`` =
1-based position in its block, in UKG's page order), which a person can find again in UKG;
:func:`source_hashes` adds a content hash (over the published fields, ``systemId`` included) so
the audit notices when a re-read of the same position holds a different line.

The published line (``GeneralLedgerRunDetailsV2``) has no pay date, no employee and no pay codes:
it is at account × org × job × position × project level, so two legitimate lines may be alike in
every field but ``systemId``. Duplicates are therefore judged by ``systemId`` where the export
carries it (the same ``systemId`` twice in a run is a duplicate); only lines without one fall back
to "the same content twice in one block". The pay date comes from ``paygroup-payperiods``
(``gl.pay_runs``), handed in as ``pay_dates``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ukg_visma.errors import NotRetryable
from ukg_visma.gl.columns import from_codes, text_column
from ukg_visma.money import format_ore, ore_series

__all__ = [
    "CONTENT_COLUMNS",
    "CompletenessReport",
    "GLExportError",
    "IncompleteExportError",
    "MalformedExportError",
    "RunCompleteness",
    "check_complete",
    "gl_frame",
    "source_hashes",
]

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


class GLExportError(ValueError):
    """The GL export cannot be used as it is; retrying the transform will not help."""


class MalformedExportError(NotRetryable, GLExportError):
    """Lines miss required fields or carry amounts that are not exact decimals."""


class IncompleteExportError(NotRetryable, GLExportError):
    """Blocks are missing, lines repeat, or a run does not balance; ``report`` has the detail."""

    def __init__(self, report: CompletenessReport) -> None:
        self.report = report
        listing = "\n".join(f"  - {p}" for p in report.problems)
        super().__init__(f"the UKG GL export is not complete:\n{listing}")


@dataclass(frozen=True)
class RunCompleteness:
    run_id: str
    companies: tuple[str, ...]
    pay_groups: tuple[str, ...]
    pay_dates: tuple[str, ...]
    gl_run_datetimes: tuple[str, ...]
    total_blocks: tuple[int, ...]  # every totalNrOfBlocks seen (one value when consistent)
    blocks_seen: tuple[int, ...]
    missing_blocks: tuple[int, ...]
    lines: int
    debit_ore: int
    credit_ore: int

    @property
    def balanced(self) -> bool:
        return self.debit_ore == self.credit_ore


@dataclass(frozen=True)
class CompletenessReport:
    runs: tuple[RunCompleteness, ...]
    duplicates: tuple[str, ...] = ()  # source keys of lines that repeat an earlier line
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def lines(self) -> int:
        return sum(r.lines for r in self.runs)

    def to_markdown(self) -> str:
        rows = [
            "| UKG run | blocks | lines | debit | credit | balanced |",
            "|---|---|---|---:|---:|---|",
        ]
        for r in self.runs:
            total = "/".join(str(t) for t in r.total_blocks)
            rows.append(
                f"| {r.run_id} | {len(r.blocks_seen)} of {total} | {r.lines} | "
                f"{format_ore(r.debit_ore)} | {format_ore(r.credit_ore)} | "
                f"{'yes' if r.balanced else 'NO'} |"
            )
        status = "complete" if self.ok else "NOT complete"
        text = f"UKG GL export {status}: {self.lines} lines in {len(self.runs)} run(s).\n\n"
        text += "\n".join(rows) + "\n"
        if self.problems:
            text += "\n" + "\n".join(f"- {p}" for p in self.problems) + "\n"
        return text


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


def _listing(items: Iterable[str]) -> str:
    items = list(items)
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


def gl_frame(
    lines: Iterable[Mapping[str, Any]] | pd.DataFrame,
    pay_dates: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """UKG GL lines (as the API returns them, in read order) → the canonical frame.

    ``pay_dates``: run id → ISO pay date from ``paygroup-payperiods`` (discovery). A run not
    named there takes its lines' ``payPeriodEndDate`` (the stated fallback, which discovery
    reports as a finding); a ``payDate`` on a line (not published) is a hint used before it.

    Columns: ``source_key``, ``line_in_block``, ``block_id``, ``total_blocks``, the text fields
    (``run_id``, ``company`` …, ``ukg_account``), and amounts as ``int64`` øre ``debit_ore``/
    ``credit_ore`` (negative amounts are kept: a correction run may reverse). A frame that is
    already canonical is returned unchanged.
    """
    if isinstance(lines, pd.DataFrame) and "source_key" in lines.columns:
        return lines
    raw = lines if isinstance(lines, pd.DataFrame) else pd.DataFrame(list(lines), dtype=object)
    if raw.empty:
        raise MalformedExportError("the UKG GL export has no lines")
    n = len(raw)
    raw = raw.reset_index(drop=True)
    problems: list[str] = []
    missing_cols = [f for f in _REQUIRED if f not in raw.columns]
    if "baseSegment" not in raw.columns and "generalLedgerAccount" not in raw.columns:
        missing_cols.append("baseSegment/generalLedgerAccount")
    for f in _AMOUNT_FIELDS.values():
        if f not in raw.columns:
            missing_cols.append(f)
    if missing_cols:
        raise MalformedExportError(f"GL lines lack the field(s) {', '.join(missing_cols)}")

    for fld in (*_TEXT_FIELDS.values(), *_INT_FIELDS.values(), *_AMOUNT_FIELDS.values()):
        # a JSON list or object where a text or number belongs (found by fuzzing: it used to
        # raise a bare TypeError from pandas); typed columns skip the per-value check
        if fld not in raw.columns or pd.api.types.infer_dtype(raw[fld], skipna=True) in _SCALAR:
            continue
        nested = raw[fld].map(lambda v: isinstance(v, list | dict | set | tuple)).astype(bool)
        if nested.any():
            where = [
                f"line {i + 1} ({raw[fld].iloc[i]!r})" for i in nested[nested].index[: _SHOWN + 1]
            ]
            problems.append(f"{fld} is not a text or a number on {_listing(where)}")
    if problems:
        raise MalformedExportError(
            "the UKG GL export is malformed:\n" + "\n".join(f"  - {p}" for p in problems)
        )

    cols: dict[str, pd.Series] = {}
    blank_column: pd.Series | None = None  # one shared all-"" column for every absent field
    for col, fld in _TEXT_FIELDS.items():
        cut = 10 if col in _DATE_COLUMNS else None
        if fld in raw.columns:
            cols[col] = text_column(raw[fld], max_len=cut)
        else:
            blank_column = _blank(raw.index) if blank_column is None else blank_column
            cols[col] = blank_column
    pay_date = cols["pay_period_end"]
    if "payDate" in raw.columns:  # a hint some exports carry; never required
        hint = text_column(raw["payDate"], max_len=10)
        pay_date = hint.where(hint != "", pay_date)
    if pay_dates:
        known = {str(k): str(v) for k, v in pay_dates.items() if v}
        given = cols["run_id"].astype(object).map(known).fillna("").astype("str")
        pay_date = given.where(given != "", pay_date)
    cols["pay_date"] = pay_date.astype("str")
    for col, fld in _INT_FIELDS.items():
        num = pd.to_numeric(raw[fld], errors="coerce")
        bad = num.isna() | (num < 1) | (num != num.round())
        if bad.any():
            where = [f"line {i + 1}" for i in bad[bad].index[: _SHOWN + 1]]
            problems.append(f"{fld} is not a whole number ≥ 1 on {_listing(where)}")
        cols[col] = num.fillna(0).astype("int64")
    for col, fld in _AMOUNT_FIELDS.items():
        ore, bad = ore_series(raw[fld], allow_negative=True)
        if bad.any():
            where = [f"line {i + 1} ({raw[fld].iloc[i]!r})" for i in bad[bad].index[: _SHOWN + 1]]
            problems.append(f"{fld} is not an exact decimal amount on {_listing(where)}")
        cols[col] = ore

    # a line is named where a person finds it again in UKG: runId/blockId/position in block
    # (positions are only needed to name bad lines: computed when a line is bad)
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

    for col, fld in (("run_id", "runId"), ("gl_run_datetime", "glRunDateTime")):
        blank = cols[col] == ""
        if blank.any():
            problems.append(f"{fld} is blank on {named(blank)}")
    no_pay_date = cols["pay_date"] == ""
    if no_pay_date.any():
        problems.append(
            "no pay date (no pay period in paygroup-payperiods, no payPeriodEndDate) on "
            f"{named(no_pay_date)}"
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
        problems.append(f"the pay date is not an ISO date on {named(bad_pay)}")
    system = cols["system_id"]
    bad_system = (system != "") & ~system.str.fullmatch(r"\d+").fillna(False).astype(bool)
    if bad_system.any():
        problems.append(f"systemId is not a whole number on {named(bad_system, 'systemId')}")
    bad_stamp = _bad_values(cols["gl_run_datetime"].astype("str"), _not_iso_datetime)
    if bad_stamp.any():
        problems.append(
            f"glRunDateTime is not an ISO date-time on {named(bad_stamp, 'glRunDateTime')}"
        )
    account = cols["base_segment"]
    no_base = account == ""
    if no_base.any():  # older exports: the base account is the first part of the full string
        account = account.copy()
        account[no_base] = cols["gl_account"][no_base].str.split("-").str[0].fillna("")
    if (account == "").any():
        blank = account == ""
        problems.append(f"neither baseSegment nor generalLedgerAccount is set on {named(blank)}")
    if problems:
        raise MalformedExportError(
            "the UKG GL export is malformed:\n" + "\n".join(f"  - {p}" for p in problems)
        )

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
        "source_key": pd.Series(pd.array(source_key, dtype="str"), index=raw.index),
        "run_id": cols.pop("run_id"),
        "block_id": cols.pop("block_id"),
        "line_in_block": pd.Series(line_in_block.astype("int64"), index=raw.index),
        "total_blocks": cols.pop("total_blocks"),
        "company": company,
    }
    out = pd.DataFrame({**first, **cols, "ukg_account": account})
    assert len(out) == n
    return out


def check_complete(
    lines: Iterable[Mapping[str, Any]] | pd.DataFrame, *, block_size: int | None = None
) -> CompletenessReport:
    """Prove the export complete, or raise :class:`IncompleteExportError` saying what is wrong.

    Per ``runId``: every block ``1..totalNrOfBlocks`` seen and none beyond, one
    ``totalNrOfBlocks`` and one ``glRunDateTime``, Σdebit = Σcredit; with ``block_size``
    (``payroll.gl_block_size``, unpublished, so a setting) every block but the last holds exactly
    that many lines and the last at most that many. Duplicates: the same ``systemId`` twice in
    a run; for lines without ``systemId``, the same content twice in one block (a page read
    twice). Malformed lines raise :class:`MalformedExportError`.
    """
    frame = gl_frame(lines)
    problems: list[str] = []
    runs: list[RunCompleteness] = []
    for run_id, g in frame.groupby("run_id", sort=True):
        totals = tuple(sorted(int(t) for t in g["total_blocks"].unique()))
        seen = tuple(sorted(int(b) for b in g["block_id"].unique()))
        expected = set(range(1, max(totals) + 1))
        missing = tuple(sorted(expected - set(seen)))
        run = RunCompleteness(
            run_id=str(run_id),
            companies=tuple(sorted(g["company"].unique())),
            pay_groups=tuple(sorted(g["pay_group"].unique())),
            pay_dates=tuple(sorted(g["pay_date"].unique())),
            gl_run_datetimes=tuple(sorted(g["gl_run_datetime"].unique())),
            total_blocks=totals,
            blocks_seen=seen,
            missing_blocks=missing,
            lines=len(g),
            debit_ore=int(g["debit_ore"].sum()),
            credit_ore=int(g["credit_ore"].sum()),
        )
        runs.append(run)
        if len(totals) > 1:
            problems.append(
                f"run {run_id}: lines disagree on totalNrOfBlocks ({', '.join(map(str, totals))})"
            )
        if missing:
            problems.append(
                f"run {run_id}: block(s) {', '.join(map(str, missing))} of {max(totals)} not read"
            )
        beyond = [b for b in seen if b not in expected]
        if beyond:
            problems.append(
                f"run {run_id}: block(s) {', '.join(map(str, beyond))} beyond totalNrOfBlocks "
                f"{max(totals)}"
            )
        if len(run.gl_run_datetimes) > 1:
            problems.append(
                f"run {run_id}: lines from {len(run.gl_run_datetimes)} GL run versions mixed "
                f"(glRunDateTime {', '.join(run.gl_run_datetimes)}): re-read the run"
            )
        if block_size is not None and not missing:
            sizes = g.groupby("block_id").size()
            last = max(seen)
            counts = {int(b): int(n) for b, n in zip(sizes.index, sizes.to_numpy(), strict=True)}
            wrong = [
                f"{b} ({n} lines)"
                for b, n in counts.items()
                if (b < last and n != block_size) or n > block_size
            ]
            if wrong:
                problems.append(
                    f"run {run_id}: block(s) {', '.join(wrong)} do not hold the block size "
                    f"{block_size} (payroll.gl_block_size): a block was cut or read twice"
                )
        if not run.balanced:
            problems.append(
                f"run {run_id}: debit {format_ore(run.debit_ore)} ≠ credit "
                f"{format_ore(run.credit_ore)} (difference "
                f"{format_ore(run.debit_ore - run.credit_ore)}): the run is incomplete or not "
                "balanced in UKG"
            )
    has_id = frame["system_id"] != ""
    by_id = has_id & frame.duplicated(subset=["run_id", "system_id"], keep="first")
    by_content = ~has_id & frame.duplicated(
        subset=["run_id", "block_id", *CONTENT_COLUMNS], keep="first"
    )
    duplicates = tuple(frame.loc[by_id | by_content, "source_key"])
    if by_id.any():
        named_ids = [
            f"runId {r} blockId {b} systemId {sid}"
            for r, b, sid in frame.loc[by_id, ["run_id", "block_id", "system_id"]].itertuples(
                index=False
            )
        ]
        problems.append(
            f"{int(by_id.sum())} line(s) repeat a systemId already read in the run (a page "
            f"read twice?): {_listing(named_ids)}"
        )
    if by_content.any():
        problems.append(
            f"{int(by_content.sum())} line(s) without systemId repeat an earlier line of the "
            f"same block (a page read twice?): {_listing(frame.loc[by_content, 'source_key'])}"
        )
    report = CompletenessReport(tuple(runs), duplicates, tuple(problems))
    if problems:
        raise IncompleteExportError(report)
    return report


def source_hashes(frame: pd.DataFrame) -> pd.Series:
    """sha256 (hex) of each line's content, aligned with ``frame`` (for the audit's source_hash).

    Computed over the canonical columns (amounts in øre), so a number sent as ``41250`` or
    ``"41250.00"`` hashes the same.
    """
    text = frame[list(CONTENT_COLUMNS)].astype("str")
    # the same "\x1f"-joined text ``Series.str.cat`` built (every value is a str here), joined
    # in one pass: str.cat's object-array sums took ~3 s of a 490k-line extract
    columns = [text[c].tolist() for c in text.columns]
    digests = [
        hashlib.sha256("\x1f".join(values).encode()).hexdigest()
        for values in zip(*columns, strict=True)
    ]
    return pd.Series(digests, index=frame.index, dtype="str")
