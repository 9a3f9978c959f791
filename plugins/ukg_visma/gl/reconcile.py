"""UKG totals vs what Visma holds, per account × subaccount × project.

Why read back instead of trusting our own POSTs: a response can be lost, a batch edited or voided
by hand, a retry can (in a broken world) post twice. Reconciliation compares the mapped UKG lines
of the latest version of every pay run with the net of our live batches for those runs, as Visma
lists them (:mod:`ukg_visma.gl.holdings` reads the listing's shapes) — other batches in the
period (manual entries, other systems) are ignored — and fails on any difference, on a journal
held twice, on a journal missing, and on a batch of ours the posting ledger does not know.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ukg_visma.gl.holdings import HeldBatch
from ukg_visma.gl.transform import segment_columns_of
from ukg_visma.money import format_ore

__all__ = ["ReconciliationReport", "expected_totals", "expected_totals_grouped", "reconcile_held"]

KEY = ["account", "subaccount", "project"]
TABLE_COLUMNS = [
    *KEY,
    "ukg_debit_ore",
    "ukg_credit_ore",
    "visma_debit_ore",
    "visma_credit_ore",
    "diff_debit_ore",
    "diff_credit_ore",
]


def expected_totals(mapped: pd.DataFrame) -> pd.DataFrame:
    """The mapped UKG lines summed per account × subaccount × project (øre)."""
    segs = segment_columns_of(mapped)
    sub = mapped[segs[0]].astype("str")
    for c in segs[1:]:
        sub = sub + "-" + mapped[c].astype("str")
    frame = pd.DataFrame(
        {
            "account": mapped["visma_account"].astype("str"),
            "subaccount": sub,
            "project": mapped["visma_project"].astype("str"),
            "debit": mapped["amount_ore"].where(mapped["side"] == "D", 0),
            "credit": mapped["amount_ore"].where(mapped["side"] == "C", 0),
        }
    )
    out = frame.groupby(KEY, sort=True)[["debit", "credit"]].sum().reset_index()
    return out.rename(columns={"debit": "ukg_debit_ore", "credit": "ukg_credit_ore"})


def expected_totals_grouped(groups: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """:func:`expected_totals` of the mapped lines handed over a group at a time.

    Why: a million-line run's mapped lines are staged in row groups; each group is summed on
    its own (a few hundred keys) and the partial sums added up, so reconcile holds one group,
    never the export (issue #24). Integer øre throughout: the sums equal the whole frame's.
    """
    partials = [expected_totals(g) for g in groups if len(g)]
    if not partials:
        return pd.DataFrame(columns=[*KEY, "ukg_debit_ore", "ukg_credit_ore"])
    both = pd.concat(partials, ignore_index=True)
    return both.groupby(KEY, sort=True)[["ukg_debit_ore", "ukg_credit_ore"]].sum().reset_index()


@dataclass(frozen=True, eq=False)
class ReconciliationReport:
    table: pd.DataFrame  # TABLE_COLUMNS, one row per account × subaccount × project
    batch_numbers: Mapping[str, tuple[str, ...]]  # journal key → batch number(s) found
    missing_journals: tuple[str, ...] = ()
    voided: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # batches of ours in Visma that the posting ledger does not know (posted by someone else)
    unknown_batches: tuple[str, ...] = ()
    # what each batch of each pay run contributes: one dict per batch (run, kind, version …)
    contributions: tuple[Mapping[str, Any], ...] = ()

    @property
    def differences(self) -> pd.DataFrame:
        t = self.table
        return t[(t["diff_debit_ore"] != 0) | (t["diff_credit_ore"] != 0)]

    @property
    def duplicate_journals(self) -> dict[str, tuple[str, ...]]:
        return {k: v for k, v in self.batch_numbers.items() if len(v) > 1}

    @property
    def ok(self) -> bool:
        return (
            self.differences.empty
            and not self.missing_journals
            and not self.duplicate_journals
            and not self.unknown_batches
        )

    def to_csv(self) -> str:
        buf = io.StringIO()
        self.table.to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue()

    def to_markdown(self, *, all_rows: bool = False) -> str:
        t = self.table
        status = "OK" if self.ok else "MISMATCH"
        out = [
            f"## Reconciliation UKG ↔ Visma: {status}",
            "",
            f"UKG debit {format_ore(int(t['ukg_debit_ore'].sum()))}, credit "
            f"{format_ore(int(t['ukg_credit_ore'].sum()))}; Visma debit "
            f"{format_ore(int(t['visma_debit_ore'].sum()))}, credit "
            f"{format_ore(int(t['visma_credit_ore'].sum()))} over {len(t)} account × "
            "subaccount × project combinations.",
        ]
        for key in self.missing_journals:
            out.append(f"- journal {key}: no batch in Visma")
        for key, numbers in self.duplicate_journals.items():
            out.append(f"- journal {key}: held by {len(numbers)} batches {', '.join(numbers)}")
        for key, numbers in self.voided.items():
            out.append(f"- journal {key}: voided batch(es) {', '.join(numbers)} not counted")
        for number in self.unknown_batches:
            out.append(
                f"- batch {number} carries one of our journal keys but the posting ledger does "
                "not know it: posted outside this run (another deployment or audit store?)"
            )
        if self.contributions:
            out += [
                "",
                "| UKG run | batch | kind | version | status | debit | note |",
                "|---|---|---|---|---|---:|---|",
            ]
            for c in self.contributions:
                out.append(
                    f"| {c['pay_run']} | {c['batch']} | {c['kind']} | {c['version']} | "
                    f"{c['status']} | {format_ore(int(c['debit_ore']))} | {c.get('note', '')} |"
                )
        shown = t if all_rows else self.differences
        if shown.empty:
            out += ["", "No differences."]
            return "\n".join(out) + "\n"
        out += [
            "",
            "| account | subaccount | project | UKG debit | UKG credit | Visma debit | "
            "Visma credit | Δ debit | Δ credit |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in shown.itertuples(index=False):
            out.append(
                f"| {r.account!s} | {r.subaccount!s} | {r.project or '-'!s} | "
                + " | ".join(
                    format_ore(int(v))  # type: ignore[arg-type]
                    for v in (
                        r.ukg_debit_ore,
                        r.ukg_credit_ore,
                        r.visma_debit_ore,
                        r.visma_credit_ore,
                        r.diff_debit_ore,
                        r.diff_credit_ore,
                    )
                )
                + " |"
            )
        return "\n".join(out) + "\n"


def _held_totals(batches: Sequence[HeldBatch]) -> pd.DataFrame:
    rows = [
        (line.account, line.subaccount, line.project, line.debit_ore, line.credit_ore)
        for b in batches
        if b.live
        for line in b.lines
    ]
    frame = pd.DataFrame(rows, columns=[*KEY, "visma_debit_ore", "visma_credit_ore"])
    frame[["visma_debit_ore", "visma_credit_ore"]] = frame[
        ["visma_debit_ore", "visma_credit_ore"]
    ].astype("int64")
    return (
        frame.groupby(KEY, sort=True)[["visma_debit_ore", "visma_credit_ore"]].sum().reset_index()
    )


def reconcile_held(
    mapped: pd.DataFrame | Iterable[pd.DataFrame] | None,
    held: Sequence[HeldBatch],
    *,
    runs: Iterable[tuple[str, str]],
    expected_keys: Iterable[str] = (),
    known_batches: Iterable[str] | None = None,
) -> ReconciliationReport:
    """UKG's latest version of every run in ``runs`` vs the net of our live batches for them.

    Compared net per account × subaccount × project (the table's debit/credit columns are the
    net's sides), so a reversal plus its original count as nothing, as they do in the ledger.

    ``held`` is every batch of ours in the period as Visma lists it (:mod:`ukg_visma.gl.holdings`);
    only the batches of ``runs`` (company, runId) count. ``mapped`` holds the latest version's
    mapped lines of the runs UKG still has (None or empty when every run was voided: Visma must
    then net to zero), or an iterable of its row groups (summed a group at a time,
    :func:`expected_totals_grouped`). Fails on a difference, on a key held by more than one
    live batch, on an expected key no live batch holds, and on a batch of ours the posting
    ledger does not know.
    """
    scope = set(runs)
    ours = [b for b in held if b.run in scope]
    live = [b for b in ours if b.live]
    if mapped is None:
        mapped = ()
    expected = expected_totals_grouped([mapped] if isinstance(mapped, pd.DataFrame) else mapped)
    table = expected.merge(_held_totals(live), on=KEY, how="outer").fillna(0)
    for c in TABLE_COLUMNS[3:7]:
        table[c] = table[c].astype("int64")
    # net per key on both sides: a reversal or an adjustment adds gross debit and credit to the
    # same account, and what must agree with UKG is what the account holds, not the turnover
    for side in ("ukg", "visma"):
        net = table[f"{side}_debit_ore"] - table[f"{side}_credit_ore"]
        table[f"{side}_debit_ore"] = net.clip(lower=0)
        table[f"{side}_credit_ore"] = (-net).clip(lower=0)
    table = table[(table[TABLE_COLUMNS[3:7]] != 0).any(axis=1)]
    table["diff_debit_ore"] = table["visma_debit_ore"] - table["ukg_debit_ore"]
    table["diff_credit_ore"] = table["visma_credit_ore"] - table["ukg_credit_ore"]
    table = table.sort_values(KEY).reset_index(drop=True)[TABLE_COLUMNS]
    numbers: dict[str, list[str]] = {}
    voided: dict[str, list[str]] = {}
    for b in ours:
        (numbers if b.live else voided).setdefault(b.journal_key, []).append(b.number)
    missing = tuple(k for k in dict.fromkeys(expected_keys) if k not in numbers)
    unknown: tuple[str, ...] = ()
    if known_batches is not None:
        known = set(known_batches)
        unknown = tuple(b.number for b in live if b.number not in known)
    contributions = tuple(
        {
            "pay_run": b.key.pay_run,
            "batch": b.number,
            "kind": b.kind + (f" of {b.reverses}" if b.reverses else ""),
            "version": b.base_version or "-",
            "status": b.status,
            "debit_ore": b.debit_ore,
            "note": "not counted (voided)" if not b.live else "",
        }
        for b in sorted(ours, key=lambda b: (b.key.pay_run, b.number))
    )
    return ReconciliationReport(
        table,
        {k: tuple(v) for k, v in numbers.items()},
        missing,
        {k: tuple(v) for k, v in voided.items()},
        unknown,
        contributions,
    )
