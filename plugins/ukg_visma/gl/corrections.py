"""Which journals a pay period still needs, judged from what Visma already holds.

Why: Visma has no idempotency key and the posting ledger can be lost, replaced or simply belong
to another worker. So the run decides what to create by comparing, per pay run, the latest UKG
GL version with the batches of ours that Visma holds for that run (:mod:`ukg_visma.gl.holdings`):

- nothing held → post the version in full (``new``);
- some journals of this very version held, the rest missing, nothing else live → post the rest
  (``resume``);
- held, and the net per account × subaccount × project × task equals the version → nothing
  (``posted``, or ``unchanged`` when UKG re-exported the run without changing it);
- held, and different (UKG regenerated the run, or a mapping changed):
  ``correction_mode: delta`` posts one adjustment journal for the difference (``adjust``);
  ``reverse_and_repost`` reverses every earlier live batch of the run and posts the version in
  full (``repost``);
- voided in UKG → reverse every live batch of the run that is not reversed yet (``void``).

A journal key already held by a live batch is never planned again, whatever happens, and more
than one live batch for one key stops the period (``duplicates``): someone has to void the extra
batch in Visma before anything else is posted on top of it.

Pay-run identity is company + pay group + ``runId``; the journal key names the company and the
run (UKG run ids are unique within a company) and the batch description names the pay group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ukg_visma.gl.holdings import HeldBatch, LineKey, net_by_line
from ukg_visma.gl.journal import Journal, JournalKey, JournalLine
from ukg_visma.gl.split import split_balanced
from ukg_visma.money import format_ore

__all__ = [
    "CorrectionMode",
    "PostingPlan",
    "RunPlan",
    "VoidedRun",
    "adjustment_journals",
    "plan_postings",
    "reversal_journal",
]

CorrectionMode = Literal["delta", "reverse_and_repost"]
Outcome = Literal["new", "resume", "posted", "unchanged", "adjust", "repost", "void", "voided"]


@dataclass(frozen=True)
class VoidedRun:
    """A pay run UKG reports as voided: Visma must end up holding nothing for it."""

    company: str
    pay_run: str
    pay_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunPlan:
    company: str
    pay_run: str
    pay_groups: tuple[str, ...]
    version: str | None  # the latest UKG version (None: voided)
    outcome: Outcome
    message: str
    held: tuple[HeldBatch, ...]  # live batches of ours for the run before this DAG run
    create: tuple[Journal, ...]  # what this DAG run creates for it

    @property
    def run(self) -> tuple[str, str]:
        return (self.company, self.pay_run)


@dataclass(frozen=True)
class PostingPlan:
    runs: tuple[RunPlan, ...]
    duplicates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    out_of_scope: tuple[HeldBatch, ...] = ()  # ours, in the period, for runs not planned here

    @property
    def journals(self) -> tuple[Journal, ...]:
        return tuple(j for r in self.runs for j in r.create)

    @property
    def held(self) -> tuple[HeldBatch, ...]:
        return tuple(b for r in self.runs for b in r.held)

    def to_markdown(self) -> str:
        out = ["## What Visma already holds, and what this run posts", ""]
        if self.duplicates:
            out.append("**Stopped: a journal key is held by more than one live batch.**")
            for key, numbers in self.duplicates.items():
                out.append(f"- {key}: batches {', '.join(numbers)} — void all but one in Visma")
            out.append("")
        out += [
            "| UKG run | version | outcome | held batches | creates | why |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.runs:
            held = ", ".join(f"{b.number} ({b.kind})" for b in r.held) or "-"
            creates = ", ".join(f"{j.kind} {j.journal_key}" for j in r.create) or "-"
            out.append(
                f"| {r.pay_run} | {r.version or 'voided'} | {r.outcome} | {held} | {creates} | "
                f"{r.message} |"
            )
        for b in self.out_of_scope:
            out.append(f"\nNot in this run's scope: batch {b.number} ({b.journal_key}).")
        return "\n".join(out) + "\n"


def _journal_net(journals: Iterable[Journal]) -> dict[LineKey, int]:
    net: dict[LineKey, int] = {}
    for j in journals:
        for line in j.lines:
            key = (line.account, line.segments, line.project, line.task)
            net[key] = net.get(key, 0) + line.debit_ore - line.credit_ore
    return {k: v for k, v in net.items() if v}


def _delta(target: Mapping[LineKey, int], held: Mapping[LineKey, int]) -> dict[LineKey, int]:
    keys = set(target) | set(held)
    out = {k: target.get(k, 0) - held.get(k, 0) for k in keys}
    return {k: v for k, v in out.items() if v}


def _lines(amounts: Sequence[tuple[LineKey, str, int]], text: str) -> tuple[JournalLine, ...]:
    return tuple(
        JournalLine(
            line_number=n,
            account=key[0],
            segments=key[1],
            project=key[2],
            task=key[3],
            side=side,  # type: ignore[arg-type]
            amount_ore=amount,
            description=text,
        )
        for n, (key, side, amount) in enumerate(amounts, start=1)
    )


def reversal_journal(
    batch: HeldBatch, *, pay_groups: Sequence[str] = (), note: str = ""
) -> Journal:
    """``batch`` with debits and credits swapped, same dimensions, keyed ``REV-<batch>``.

    The key depends only on the batch reversed, so a void after a requested reversal (or two
    requests) finds the reversal already held and never reverses twice.
    """
    key = JournalKey(
        tenant=batch.key.tenant,
        company=batch.key.company,
        pay_run=batch.key.pay_run,
        run_version=f"REV-{batch.number}",
        split_index=0,
    )
    amounts = []
    for line in batch.lines:
        net = line.debit_ore - line.credit_ore
        if net:
            amounts.append((line.key, "C" if net > 0 else "D", abs(net)))
    amounts.sort(key=lambda t: (t[0], t[1]))
    return Journal(
        key=key,
        company=batch.key.company,
        pay_run=batch.key.pay_run,
        part=1,
        parts=1,
        pay_groups=tuple(pay_groups),
        pay_date=batch.transaction_date or dt.date.today(),
        gl_run_datetime="",
        lines=_lines(amounts, f"Reversal of batch {batch.number}"),
        kind="reversal",
        reverses=batch.number,
        note=note,
        visma_period=batch.period_id or None,
    )


def adjustment_journals(
    delta: Mapping[LineKey, int],
    *,
    like: Journal,
    number: int,
    line_limit: int,
    note: str = "",
) -> tuple[Journal, ...]:
    """The difference ``delta`` (signed øre per line key) as balanced adjustment journals.

    ``like`` is a journal of the version the run moves to: company, run, pay date and version.
    """
    debits = sorted((k, v) for k, v in delta.items() if v > 0)
    credits = sorted((k, -v) for k, v in delta.items() if v < 0)
    if sum(v for _, v in debits) != sum(v for _, v in credits):
        raise ValueError(
            f"run {like.pay_run}: the difference to Visma does not balance — a batch of ours in "
            "Visma was edited by hand; reverse it in Visma and run the period again"
        )
    chunks = split_balanced(debits, credits, line_limit)
    out = []
    for index, chunk in enumerate(chunks):
        amounts = sorted(((p.item, p.side, p.amount) for p in chunk), key=lambda t: (t[0], t[1]))
        out.append(
            Journal(
                key=like.key.model_copy(
                    update={
                        "run_version": f"{like.key.run_version}-ADJ{number}",
                        "split_index": index,
                    }
                ),
                company=like.company,
                pay_run=like.pay_run,
                pay_groups=like.pay_groups,
                pay_date=like.pay_date,
                period_start=like.period_start,
                period_end=like.period_end,
                gl_run_datetime=like.gl_run_datetime,
                part=index + 1,
                parts=len(chunks),
                lines=_lines(amounts, f"Adjustment to UKG version {like.key.run_version}"),  # type: ignore[arg-type]
                kind="adjustment",
                note=note,
                visma_period=like.visma_period,
            )
        )
    return tuple(out)


def _numbers(batches: Iterable[HeldBatch]) -> str:
    return ", ".join(b.number for b in batches) or "-"


@dataclass(frozen=True)
class _Held:
    """What Visma holds of one pay run, as the plan reads it."""

    live: tuple[HeldBatch, ...]
    every: Sequence[HeldBatch]
    groups: tuple[str, ...]
    reversed_: frozenset[str | None]  # the batches a live reversal undoes

    @classmethod
    def of(
        cls, every: Sequence[HeldBatch], journals: Sequence[Journal], voided: VoidedRun | None
    ) -> _Held:
        live = tuple(b for b in every if b.live)
        groups = journals[0].pay_groups if journals else (voided.pay_groups if voided else ())
        reversed_ = frozenset(b.reverses for b in live if b.kind == "reversal")
        return cls(live, every, tuple(groups), reversed_)

    @property
    def keys(self) -> set[str]:
        return {b.journal_key for b in self.live}

    def unreversed(self, batches: Iterable[HeldBatch]) -> list[HeldBatch]:
        """Batches that still count in the run's net: not undone by a live reversal, and not
        a reversal whose original was voided by hand (that one is reversed in turn)."""
        live_numbers = {b.number for b in self.live}
        return [
            b
            for b in batches
            if b.number not in self.reversed_
            and (b.kind != "reversal" or b.reverses not in live_numbers)
        ]

    def reverse(self, batches: Iterable[HeldBatch], note: str) -> tuple[Journal, ...]:
        return tuple(reversal_journal(b, pay_groups=self.groups, note=note) for b in batches)

    def missing(self, journals: Sequence[Journal]) -> tuple[Journal, ...]:
        """The planned journals whose key Visma does not hold."""
        keys = self.keys
        return tuple(j for j in journals if j.journal_key not in keys)


def _plan_run(
    run: tuple[str, str],
    journals: Sequence[Journal],
    voided: VoidedRun | None,
    every: Sequence[HeldBatch],
    mode: CorrectionMode,
    line_limit: int,
) -> RunPlan:
    held = _Held.of(every, journals, voided)
    if voided is not None or (not journals and held.live):
        return _plan_void(run, held, voided_in_ukg=voided is not None)
    version = journals[0].key.run_version if journals else ""
    if not held.live:
        return RunPlan(
            *run, held.groups, version, "new",
            f"not in Visma yet: posting version {version} in {len(journals)} journal(s)",
            held.live, tuple(journals),
        )  # fmt: skip
    delta = _delta(_journal_net(journals), net_by_line(held.live))
    own = [b for b in held.live if b.kind == "full" and b.base_version == version]
    by_key = {j.journal_key: j for j in journals}
    # the held journals of this version are the planned ones only if each holds exactly what
    # its key's planned journal holds (a mapping or line-limit change re-cuts the same version)
    own_match = all(
        b.journal_key in by_key and net_by_line([b]) == _journal_net([by_key[b.journal_key]])
        for b in own
    )
    if not delta:
        return _plan_no_difference(run, held, journals, version, own)
    others = [b for b in held.live if b not in own]
    if own and own_match and not net_by_line(others) and held.missing(journals):
        message = (
            f"partly posted: {len(own)} of {len(journals)} journal(s) of version {version} "
            f"in Visma ({_numbers(own)}); posting the rest"
        )
        return RunPlan(
            *run, held.groups, version, "resume", message, held.live, held.missing(journals)
        )
    debit = sum(v for v in delta.values() if v > 0)
    if mode == "reverse_and_repost" and own_match:
        return _plan_repost(run, held, journals, version, own, others, debit)
    return _plan_adjust(run, held, journals, version, own, own_match, delta, line_limit)


def _plan_void(run: tuple[str, str], held: _Held, *, voided_in_ukg: bool) -> RunPlan:
    """UKG voided the run, or its latest version is empty: reverse what still counts."""
    gone = held.unreversed(held.live)
    why = "run voided in UKG" if voided_in_ukg else "UKG's latest version is empty"
    if gone:
        message = f"{why}: reversing batch(es) {_numbers(gone)}"
    else:
        message = f"{why}; every batch of it in Visma is reversed already"
    outcome: Outcome = "void" if gone else "voided"
    return RunPlan(*run, held.groups, None, outcome, message, held.live, held.reverse(gone, why))


def _plan_no_difference(
    run: tuple[str, str],
    held: _Held,
    journals: Sequence[Journal],
    version: str,
    own: Sequence[HeldBatch],
) -> RunPlan:
    """Visma nets to the version already: posted as planned, or an unchanged re-export."""
    if own and not held.missing(journals):
        message = f"already in Visma as batch(es) {_numbers(own)}: nothing to post"
        return RunPlan(*run, held.groups, version, "posted", message, held.live, ())
    message = (
        f"re-export unchanged: version {version} equals what Visma holds "
        f"(batches {_numbers(held.live)}); nothing posted"
    )
    return RunPlan(*run, held.groups, version, "unchanged", message, held.live, ())


def _plan_repost(
    run: tuple[str, str],
    held: _Held,
    journals: Sequence[Journal],
    version: str,
    own: Sequence[HeldBatch],
    others: Sequence[HeldBatch],
    debit: int,
) -> RunPlan:
    """``reverse_and_repost``: undo everything but this version's own journals, post the rest.

    Also a live reversal of one of its own is undone (the version mapped to nothing once, then
    back): reversing it restores the batch."""
    own_numbers = {b.number for b in own}
    todo: list[HeldBatch] = held.unreversed(others) + [
        b
        for b in others
        if b.kind == "reversal" and b.reverses in own_numbers and b.number not in held.reversed_
    ]
    reversals = held.reverse(todo, f"superseded by {version}")
    message = (
        f"version {version} differs from Visma by {format_ore(debit)} debit: reversing "
        f"batch(es) {_numbers(todo)} and posting the version in full"
    )
    return RunPlan(
        *run, held.groups, version, "repost", message, held.live,
        (*reversals, *held.missing(journals)),
    )  # fmt: skip


def _plan_adjust(
    run: tuple[str, str],
    held: _Held,
    journals: Sequence[Journal],
    version: str,
    own: Sequence[HeldBatch],
    own_match: bool,
    delta: Mapping[LineKey, int],
    line_limit: int,
) -> RunPlan:
    """Adjustment journals for the difference between the version and what Visma holds."""
    number = 1 + max((b.adjustment_number for b in held.every), default=0)
    adjustments = adjustment_journals(
        delta,
        like=journals[0],
        number=number,
        line_limit=line_limit,
        note=f"to version {version}",
    )
    if own and not own_match:
        why = (
            f"version {version} is in Visma (batches {_numbers(own)}) but cut or mapped "
            "differently now (mapping or line limit changed)"
        )
    else:
        why = f"version {version} differs from what Visma holds (batches {_numbers(held.live)})"
    debit = sum(v for v in delta.values() if v > 0)
    message = f"{why}: {format_ore(debit)} debit, adjustment journal(s) for the difference"
    return RunPlan(*run, held.groups, version, "adjust", message, held.live, adjustments)


def plan_postings(
    journals: Sequence[Journal],
    held: Sequence[HeldBatch],
    *,
    voided: Sequence[VoidedRun] = (),
    mode: CorrectionMode = "delta",
    line_limit: int = 1000,
    runs: Iterable[tuple[str, str]] = (),
) -> PostingPlan:
    """Decide, per pay run, what to create so that Visma ends up holding UKG's latest version.

    ``journals`` are the full journals of the latest version of every run in scope (as
    :func:`~ukg_visma.gl.transform.build_journals` makes them); ``held`` every batch of ours in the
    period's listing (voided ones included: they still tell which adjustment numbers were used).
    ``runs`` names (company, runId) of every live run UKG exported, so that a run whose latest
    version nets to nothing (no journals) is still planned: what Visma holds of it is reversed.
    """
    by_run: dict[tuple[str, str], list[Journal]] = {}
    for j in journals:
        by_run.setdefault((j.company, j.pay_run), []).append(j)
    voids = {(v.company, v.pay_run): v for v in voided}
    held_by_run: dict[tuple[str, str], list[HeldBatch]] = {}
    for b in held:
        held_by_run.setdefault(b.run, []).append(b)
    live_keys: dict[str, list[str]] = {}
    for b in held:
        if b.live:
            live_keys.setdefault(b.journal_key, []).append(b.number)
    duplicates = {k: tuple(v) for k, v in sorted(live_keys.items()) if len(v) > 1}
    scope = sorted(set(by_run) | set(voids) | set(runs))
    plans = tuple(
        _plan_run(
            run,
            by_run.get(run, []),
            voids.get(run),
            held_by_run.get(run, []),
            mode,
            line_limit,
        )
        for run in scope
    )
    if duplicates:  # nothing is created on top of a duplicated journal
        plans = tuple(
            RunPlan(r.company, r.pay_run, r.pay_groups, r.version, r.outcome, r.message, r.held, ())
            for r in plans
        )
    planned = set(scope)
    out_of_scope = tuple(b for b in held if b.live and b.run not in planned)
    return PostingPlan(plans, duplicates, out_of_scope)
