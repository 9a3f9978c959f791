"""Proof that a UKG GL export is complete, tallied block by block.

Why prove completeness: a GL run comes in ``totalNrOfBlocks`` blocks, each read page by page; a
block or a page that was missed (or read twice) still *looks* like payroll. A complete run balances
and has every block; anything less must stop the run before a journal is built from it.

Duplicates are judged by ``systemId`` where the export carries it (the same ``systemId`` twice in
a run is a duplicate); only lines without one fall back to "the same content twice in one block".

Why a tally: a million-line run is read and staged one block at a time, and no task may hold all
its lines. :class:`CompletenessTally` keeps per block only what the proof needs — counts, sums,
the header values seen — and per line only its ``systemId`` and position (a few bytes), so the
checks stay exact while the lines themselves are let go. :func:`check_complete` is the same proof
over a whole frame at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ukg_visma.gl.export_frame import CONTENT_COLUMNS, gl_frame
from ukg_visma.gl.extract import IncompleteExportError
from ukg_visma.money import format_ore

__all__ = [
    "BLOCK_KIND",
    "LINE_KIND",
    "CompletenessReport",
    "CompletenessTally",
    "RunCompleteness",
    "block_keys",
    "check_complete",
]

_SHOWN = 10  # problems listed per kind in an error message

# The audit's record kind of one block of a GL run (its lines are in the staged Parquet).
BLOCK_KIND = "gl_block"
# A single line's record: only a line with a finding (invalid) has one.
LINE_KIND = "gl_line"


def block_keys(lines: pd.DataFrame) -> list[str]:
    """The audit keys (``{runId}/{blockId}``) of the blocks ``lines`` come from."""
    blocks = lines[["run_id", "block_id"]].drop_duplicates()
    return [f"{r}/{b}" for r, b in blocks.itertuples(index=False)]


def _listing(items: Iterable[str]) -> str:
    items = list(items)
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


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


@dataclass
class _RunTally:
    totals: set[int] = field(default_factory=set)
    block_lines: dict[int, int] = field(default_factory=dict)
    companies: set[str] = field(default_factory=set)
    pay_groups: set[str] = field(default_factory=set)
    pay_dates: set[str] = field(default_factory=set)
    datetimes: set[str] = field(default_factory=set)
    lines: int = 0
    debit_ore: int = 0
    credit_ore: int = 0


class CompletenessTally:
    """The completeness proof, fed one canonical frame (a block, or a whole export) at a time.

    Every block must come whole in one :meth:`add` (the content-duplicate check is per block);
    the frames must come in read order (the first of two equal ``systemId`` is the original).
    """

    def __init__(self) -> None:
        self._runs: dict[str, _RunTally] = {}
        self._ids = _SystemIds()  # per line with a systemId: a few integers, no text
        self._content_dups: list[pd.DataFrame] = []  # position, source key
        self._seen = 0  # lines added so far (the position of the next)

    def add(self, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        n = len(frame)
        positions = np.arange(self._seen, self._seen + n, dtype=np.int64)
        self._seen += n
        debit = frame["debit_ore"].to_numpy()
        credit = frame["credit_ore"].to_numpy()
        per_block = pd.DataFrame(
            {
                "run": frame["run_id"].to_numpy(dtype=object),
                "block": frame["block_id"].to_numpy(),
                "debit": debit,
                "credit": credit,
            }
        ).groupby(["run", "block"], sort=False)
        sums = per_block.agg(
            lines=("debit", "size"), debit=("debit", "sum"), credit=("credit", "sum")
        )
        keys = sums.index.tolist()
        counts, debits, credits = (sums[c].tolist() for c in ("lines", "debit", "credit"))
        for (run_id, block), lines, debit_ore, credit_ore in zip(
            keys, counts, debits, credits, strict=True
        ):
            tally = self._runs.setdefault(str(run_id), _RunTally())
            tally.block_lines[int(block)] = tally.block_lines.get(int(block), 0) + int(lines)
            tally.lines += int(lines)
            tally.debit_ore += int(debit_ore)
            tally.credit_ore += int(credit_ore)
        header = frame[
            ["run_id", "total_blocks", "company", "pay_group", "pay_date", "gl_run_datetime"]
        ].drop_duplicates()
        for run_id, total, company, group, date, stamp in header.itertuples(index=False):
            tally = self._runs[str(run_id)]
            tally.totals.add(int(total))
            tally.companies.add(str(company))
            tally.pay_groups.add(str(group))
            tally.pay_dates.add(str(date))
            tally.datetimes.add(str(stamp))
        has_id = (frame["system_id"] != "").to_numpy(dtype=bool)
        if has_id.any():
            self._ids.add(frame, has_id, positions[has_id])
        if not has_id.all():
            content = frame.loc[~has_id, ["run_id", "block_id", *CONTENT_COLUMNS]]
            dup = content.duplicated(keep="first").to_numpy(dtype=bool)
            if dup.any():
                self._content_dups.append(
                    pd.DataFrame(
                        {
                            "position": positions[~has_id][dup],
                            "source_key": frame["source_key"].to_numpy(dtype=object)[~has_id][dup],
                        }
                    )
                )

    def report(self, *, block_size: int | None = None) -> CompletenessReport:
        """The proof over everything added; raises :class:`IncompleteExportError` when it fails.

        ``block_size`` (``payroll.gl_block_size``, unpublished, so a setting): every block but
        the last holds exactly that many lines and the last at most that many.
        """
        problems: list[str] = []
        runs: list[RunCompleteness] = []
        for run_id in sorted(self._runs):
            t = self._runs[run_id]
            totals = tuple(sorted(t.totals))
            seen = tuple(sorted(t.block_lines))
            expected = set(range(1, max(totals) + 1))
            missing = tuple(sorted(expected - set(seen)))
            run = RunCompleteness(
                run_id=run_id,
                companies=tuple(sorted(t.companies)),
                pay_groups=tuple(sorted(t.pay_groups)),
                pay_dates=tuple(sorted(t.pay_dates)),
                gl_run_datetimes=tuple(sorted(t.datetimes)),
                total_blocks=totals,
                blocks_seen=seen,
                missing_blocks=missing,
                lines=t.lines,
                debit_ore=t.debit_ore,
                credit_ore=t.credit_ore,
            )
            runs.append(run)
            problems += _run_problems(run, t.block_lines, expected, block_size)
        by_id = self._ids.repeated()
        content = (
            pd.concat(self._content_dups, ignore_index=True)
            if self._content_dups
            else pd.DataFrame(columns=["position", "source_key"])
        )
        both = pd.concat(
            [by_id[["position", "source_key"]], content[["position", "source_key"]]],
            ignore_index=True,
        ).sort_values("position", kind="stable")
        duplicates = tuple(str(k) for k in both["source_key"])
        if len(by_id):
            named_ids = [
                f"runId {r} blockId {b} systemId {sid}"
                for r, b, sid in by_id[["run_id", "block_id", "system_id"]].itertuples(index=False)
            ]
            problems.append(
                f"{len(by_id)} line(s) repeat a systemId already read in the run (a page "
                f"read twice?): {_listing(named_ids)}"
            )
        if len(content):
            problems.append(
                f"{len(content)} line(s) without systemId repeat an earlier line of the "
                f"same block (a page read twice?): "
                f"{_listing(str(k) for k in content['source_key'])}"
            )
        out = CompletenessReport(tuple(runs), duplicates, tuple(problems))
        if problems:
            raise IncompleteExportError(out)
        return out


class _SystemIds:
    """Every line's ``systemId`` in a run, held as integers for the duplicate check.

    Why not the text: at two million lines the per-line strings (run, block, systemId, source
    key) were the extract's growing share (~150 MB); here a line costs 28 bytes — run, block and
    position in block as int32, systemId and read position as int64 — and the names are rebuilt
    for the few repeated lines only. ``gl_frame`` has made sure a systemId is digits; ids with a
    leading zero (``007`` ≠ ``7``) or beyond int64 are kept as text instead, judged alike.
    """

    def __init__(self) -> None:
        self._runs: dict[str, int] = {}
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._text: list[pa.Array] = []  # the systemIds as text, once any is not a plain int64
        self._as_text = False

    def add(self, frame: pd.DataFrame, has_id: np.ndarray, positions: np.ndarray) -> None:
        run_codes, runs = pd.factorize(frame["run_id"].to_numpy(dtype=object)[has_id])
        codes = np.array(
            [self._runs.setdefault(str(r), len(self._runs)) for r in runs], dtype=np.int32
        )[run_codes]
        text = pa.array(frame["system_id"].array).filter(pa.array(has_id)).cast(pa.string())
        if not self._as_text and _plain_ints(text):
            ids = np.asarray(pc.cast(text, pa.int64()), dtype=np.int64)
        else:
            ids = np.zeros(len(text), dtype=np.int64)
            self._as_text = True
        self._text.append(text if self._as_text else pa.array([], pa.string()))
        self._parts.append(
            (
                codes,
                frame["block_id"].to_numpy()[has_id].astype(np.int32),
                frame["line_in_block"].to_numpy()[has_id].astype(np.int32),
                ids,
                np.asarray(positions, dtype=np.int64),
            )
        )

    def repeated(self) -> pd.DataFrame:
        """The lines whose systemId an earlier line of the same run had: run, block, systemId,
        position and source key (``{run}/{block}/{n}``), in read order."""
        columns = ["run_id", "block_id", "system_id", "source_key", "position"]
        if not self._parts:
            return pd.DataFrame(columns=columns)
        run, block, line, ids, position = (
            np.concatenate([p[i] for p in self._parts]) for i in range(5)
        )
        if self._as_text:
            # some part was read as int64 before a text id came: its text was not kept, so
            # the text of every part is rebuilt from what was kept (ints print as they read)
            texts = [
                t if len(t) == len(p[3]) else pc.cast(pa.array(p[3]), pa.string())
                for t, p in zip(self._text, self._parts, strict=True)
            ]
            text = pa.concat_arrays(texts)
            ids = np.asarray(pd.factorize(pd.array(text, dtype="str"))[0], dtype=np.int64)
        order = np.lexsort((position, ids, run))  # by run, then systemId, then read order
        same = (run[order][1:] == run[order][:-1]) & (ids[order][1:] == ids[order][:-1])
        repeat = np.sort(order[1:][same])  # all but the first of each run × systemId
        names = {code: name for name, code in self._runs.items()}
        if self._as_text:
            sid = [str(v) for v in text.take(pa.array(repeat)).to_pylist()]
        else:
            sid = [str(v) for v in ids[repeat].tolist()]
        runs = [names[int(c)] for c in run[repeat]]
        blocks, lines = block[repeat].tolist(), line[repeat].tolist()
        return pd.DataFrame(
            {
                "run_id": runs,
                "block_id": blocks,
                "system_id": sid,
                "source_key": [f"{r}/{b}/{n}" for r, b, n in zip(runs, blocks, lines, strict=True)],
                "position": position[repeat],
            },
            columns=columns,
        )


def _plain_ints(text: pa.Array) -> bool:
    """Whether every id reads back from int64 as written: digits, no leading zero, < 2**63."""
    if not len(text):
        return True
    lengths = pc.utf8_length(text)
    if pc.max(lengths).as_py() > 18:
        return False
    leading = pc.and_(pc.starts_with(text, "0"), pc.greater(lengths, 1))
    return not pc.any(leading).as_py() and bool(
        pc.all(pc.match_substring_regex(text, r"^\d+$")).as_py()
    )


def _run_problems(
    run: RunCompleteness,
    block_lines: Mapping[int, int],
    expected: set[int],
    block_size: int | None,
) -> list[str]:
    run_id, totals, seen = run.run_id, run.total_blocks, run.blocks_seen
    missing = run.missing_blocks
    problems: list[str] = []
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
        last = max(seen)
        wrong = [
            f"{b} ({n} lines)"
            for b, n in sorted(block_lines.items())
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
    return problems


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
    tally = CompletenessTally()
    tally.add(gl_frame(lines))
    return tally.report(block_size=block_size)
