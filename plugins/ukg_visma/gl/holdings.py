"""What Visma already holds for a pay period: our batches, read back from the period's listing.

Why this module exists: Visma's ledger is the truth and the posting ledger is only a lease and a
cache (design.md). Before anything is created for a period, and again when it is reconciled, the
period's journal transactions are listed once (``GET /v2/journaltransaction?periodId=``, every
page) and turned into :class:`HeldBatch` objects here. A batch is *ours* when its description
carries a journal key of this tenant (and company) and its lines carry the key's digest
(:func:`~ukg_visma.gl.journal.journal_key_from_batch`); everything else in the period (manual
entries, other systems) is ignored.

The kind of a batch is read from its key's version component, so that the chain survives a lost
audit store: ``20261021T151000Z`` a full posting of that GL run version, ``…-ADJ2`` the second
adjustment towards that version, ``REV-000123`` the reversal of batch 000123.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ukg_visma.gl.journal import JournalKey, journal_key_from_batch
from ukg_visma.money import parse_amount

__all__ = [
    "LOST_PREFIX",
    "HeldBatch",
    "HeldLine",
    "LineKey",
    "awaiting_release",
    "batch_kind",
    "batch_order",
    "drop_losers",
    "held_batches",
    "is_on_hold",
    "is_releasable",
    "is_released",
    "is_voided",
    "key_winner",
    "key_winners",
    "losers",
    "net_by_line",
    "run_tag",
    "run_tag_in",
    "search_periods",
    "tag_description",
]

Kind = Literal["full", "adjustment", "reversal"]
LineKey = tuple[str, tuple[tuple[int, str], ...], str, str]  # account, segments, project, task
NON_PROJECT = {"", "X"}  # Visma's non-project code reads back as X
# ``JournalTransactionDto.status``, classified once (published enum: Hold, Balanced, Unposted,
# Posted, Completed, Voided, Released, PartiallyReleased, Scheduled; the field's description also
# spells "On hold" and "Void"). Which of the released statuses a release leaves depends on the
# tenant: ``Posted`` when its GL preference "automatically post on release" is on, ``Unposted``
# when it is off (someone posts it in Visma later), ``Released``/``Completed``/
# ``PartiallyReleased`` on others. All of them are in the ledger and none can be released or
# changed again. ``Voided`` is gone (not in the ledger, holds no key). ``Hold`` and ``Balanced``
# are ours to release (Hold first taken off hold). ``Scheduled`` is a recurring-entry template
# (Acumatica's GL "Schedule"): the template itself is never in the ledger — each run of the
# schedule makes a *new* batch — and the release action does not apply to it, so it counts as not
# released: reconcile names it, and nothing here tries to release it.
RELEASED_STATUSES = frozenset({"released", "completed", "partiallyreleased", "posted", "unposted"})
VOID_STATUSES = frozenset({"voided", "void"})
HOLD_STATUSES = frozenset({"hold", "onhold"})
RELEASABLE_STATUSES = frozenset({"balanced"})  # the only status the release action accepts


def _status(status: object) -> str:
    """``"Partially Released"``, ``"partially_released"`` → ``"partiallyreleased"``."""
    return "".join(ch for ch in str(status or "").lower() if ch.isalnum())


def is_released(status: object) -> bool:
    """In the ledger: released, whatever the tenant calls it (see ``RELEASED_STATUSES``)."""
    return _status(status) in RELEASED_STATUSES


def is_voided(status: object) -> bool:
    """Voided: not in the ledger and holds no journal key any more."""
    return _status(status) in VOID_STATUSES


def is_on_hold(status: object) -> bool:
    """On hold: must be taken off hold (PUT ``hold: false``) before it can be released."""
    return _status(status) in HOLD_STATUSES


def is_releasable(status: object) -> bool:
    """``Balanced``: the release action applies now."""
    return _status(status) in RELEASABLE_STATUSES


_ADJ = re.compile(r"^(?P<base>.+)-ADJ(?P<n>\d+)$")
_REV = re.compile(r"^REV-(?P<batch>[A-Za-z0-9_.\-]+)$")


@functools.lru_cache(maxsize=4096)
def batch_kind(run_version: str) -> tuple[Kind, str, int, str | None]:
    """``(kind, base version, adjustment number, reversed batch)`` of a key's version part.

    Cached: the planner asks every held batch for its kind, base version and adjustment number
    many times per plan, and each property would otherwise run the regexes again.
    """
    if m := _REV.match(run_version):
        return "reversal", "", 0, m.group("batch")
    if m := _ADJ.match(run_version):
        return "adjustment", m.group("base"), int(m.group("n")), None
    return "full", run_version, 0, None


def _scalar(value: Any) -> Any:
    if isinstance(value, Mapping):
        for name in ("value", "number", "id", "accountCd", "accountCD"):
            if name in value:
                return value[name]
        return None
    return value


def _text(value: Any) -> str:
    value = _scalar(value)
    return "" if value is None else str(value).strip()


def _segments(value: Any) -> tuple[tuple[int, str], ...]:
    """Segment list, ``{"segments": [...]}`` or a bare ``10-110`` → ``((1, "10"), (2, "110"))``."""
    segments: Any = None
    if isinstance(value, list):
        segments = value
    elif isinstance(value, Mapping):
        segments = value.get("segments")
        if not segments:
            value = value.get("subaccountNumber") or value.get("subaccountCd") or ""
    if segments:
        pairs = [
            (int(_scalar(s.get("segmentId")) or 0), _text(s.get("segmentValue"))) for s in segments
        ]
        return tuple(sorted(pairs))
    text = _text(value)
    return tuple((n, part) for n, part in enumerate(text.split("-"), start=1)) if text else ()


def _amount(line: Mapping[str, Any], *names: str) -> int:
    for name in names:
        if line.get(name) is not None:
            value = _scalar(line[name])
            return 0 if value is None else parse_amount(value, allow_negative=True, what=name)
    return 0


@dataclass(frozen=True)
class HeldLine:
    account: str
    segments: tuple[tuple[int, str], ...]
    project: str
    task: str
    debit_ore: int
    credit_ore: int
    description: str = ""

    @property
    def key(self) -> LineKey:
        return (self.account, self.segments, self.project, self.task)

    @property
    def subaccount(self) -> str:
        return "-".join(v for _, v in self.segments)


@dataclass(frozen=True)
class HeldBatch:
    """One of our batches as Visma holds it (all its lines, merged across list pages)."""

    number: str
    key: JournalKey
    status: str
    period_id: str
    transaction_date: dt.date | None
    description: str
    lines: tuple[HeldLine, ...]

    @property
    def journal_key(self) -> str:
        return self.key.key

    @property
    def live(self) -> bool:
        """False for a voided batch: it is not in the ledger and holds no key any more."""
        return not is_voided(self.status)

    @property
    def released(self) -> bool:
        """In the ledger (any released status, :func:`is_released`): nothing left for us to do."""
        return is_released(self.status)

    @property
    def neutralised(self) -> bool:
        """A loser of the settle protocol, emptied: unreleased, no lines (or marked ``LOST``).

        It holds no money and no key: not a holder, never released (docs/ledger-truth.md).
        """
        return (
            self.live
            and not self.released
            and (not self.lines or self.description.startswith(LOST_PREFIX))
        )

    @property
    def holds_key(self) -> bool:
        """Live and not neutralised: a candidate for (or the holder of) its key in the ledger."""
        return self.live and not self.neutralised

    @property
    def tag(self) -> str | None:
        """The tag of the task attempt that created the batch (``run=`` in the description)."""
        return run_tag_in(self.description)

    @property
    def kind(self) -> Kind:
        return batch_kind(self.key.run_version)[0]

    @property
    def base_version(self) -> str:
        """The UKG GL run version a full posting or an adjustment moves the run towards."""
        return batch_kind(self.key.run_version)[1]

    @property
    def adjustment_number(self) -> int:
        return batch_kind(self.key.run_version)[2]

    @property
    def reverses(self) -> str | None:
        return batch_kind(self.key.run_version)[3]

    @property
    def run(self) -> tuple[str, str]:
        """The pay run's identity within the tenant: ``(company, runId)``."""
        return (self.key.company, self.key.pay_run)

    @property
    def debit_ore(self) -> int:
        return sum(line.debit_ore for line in self.lines)

    @property
    def credit_ore(self) -> int:
        return sum(line.credit_ore for line in self.lines)


def _date(value: Any) -> dt.date | None:
    text = _text(value)[:10]
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def held_batches(
    rows: Iterable[Mapping[str, Any]], *, tenant: str, company: str | None = None
) -> list[HeldBatch]:
    """Our batches (this tenant, and ``company`` when given) from a period listing.

    A list page counts lines, so one batch may come on several pages: rows are merged by
    ``batchNumber`` and lines by ``lineNumber``. Batches are returned in batch-number order.
    """
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        key_text = journal_key_from_batch(row)
        if key_text is None:
            continue
        try:
            key = JournalKey.parse(key_text)
        except ValueError:
            continue
        if key.tenant != tenant or (company is not None and key.company != company):
            continue
        number = _text(row.get("batchNumber"))
        if not number:
            continue
        entry = merged.setdefault(number, {"row": row, "key": key, "lines": {}})
        for n, line in enumerate(row.get("journalTransactionLines") or []):
            entry["lines"][_text(line.get("lineNumber")) or f"#{number}/{n}"] = line
    out = []
    for number, entry in sorted(merged.items()):
        row = entry["row"]
        lines = []
        for line in entry["lines"].values():
            project = _text(line.get("project"))
            lines.append(
                HeldLine(
                    account=_text(line.get("accountNumber")),
                    segments=_segments(line.get("subaccount")),
                    project="" if project in NON_PROJECT else project,
                    task="" if project in NON_PROJECT else _text(line.get("projectTask")),
                    debit_ore=_amount(line, "debitAmountInCurrency", "debitAmount"),
                    credit_ore=_amount(line, "creditAmountInCurrency", "creditAmount"),
                    description=_text(line.get("transactionDescription")),
                )
            )
        out.append(
            HeldBatch(
                number=number,
                key=entry["key"],
                status=_text(row.get("status")),
                period_id=_text(row.get("financialPeriod") or row.get("postPeriod")),
                transaction_date=_date(row.get("transactionDate")),
                description=_text(row.get("description")),
                lines=tuple(lines),
            )
        )
    return out


def net_by_line(batches: Sequence[HeldBatch]) -> dict[LineKey, int]:
    """Signed øre (debit − credit) per account × segments × project × task, zeros dropped."""
    net: dict[LineKey, int] = {}
    for batch in batches:
        if not batch.live:
            continue
        for line in batch.lines:
            net[line.key] = net.get(line.key, 0) + line.debit_ore - line.credit_ore
    return {k: v for k, v in net.items() if v}


def awaiting_release(held: Iterable[HeldBatch], runs: Iterable[tuple[str, str]]) -> list[HeldBatch]:
    """Our live batches of these pay runs (``(company, runId)``) that Visma holds unreleased:
    what the plan still releases, and what a reconcile with release on must not find."""
    scope = set(runs)
    return [b for b in held if b.live and not b.released and b.run in scope]


# -- one key, one batch: the settle protocol (docs/ledger-truth.md, docs/decisions/visma-as-the-
# lock.md). Batches are created on hold; after a read-back, exactly one holder of a key — the
# released one if any, else the lowest batch number among live holders — may be released, and the
# others are emptied (lines deleted, description "LOST to batch N"). Visma numbers batches in
# creation order, so the lowest live holder can only change when that batch is voided.

LOST_PREFIX = "LOST to batch"
_TAG = re.compile(r"\brun=([0-9a-f]{8})\b")
_KEY_TAIL = " key="


def run_tag(owner: str) -> str:
    """An 8-hex tag for the task that posts a key (stable across its retries)."""
    import hashlib

    return hashlib.sha256(owner.encode()).hexdigest()[:8]


def run_tag_in(description: str) -> str | None:
    m = _TAG.search(description)
    return m.group(1) if m else None


def tag_description(description: str, tag: str, *, head: str | None = None) -> str:
    """``description`` with ``run=<tag>`` before the key (the key still ends the text, ≤ 250).

    ``head`` replaces the human text (a loser's ``LOST to batch N``)."""
    text, sep, key = description.rpartition(_KEY_TAIL)
    if not sep:
        raise ValueError(f"no journal key in batch description {description!r}")
    text = _TAG.sub("", text).rstrip() if head is None else head
    room = 250 - len(key) - len(_KEY_TAIL) - len(" run=") - len(tag)
    return f"{text[:room]} run={tag}{_KEY_TAIL}{key}"


def batch_order(number: str) -> tuple[int, str]:
    """Sort key for batch numbers: numerically when they are digits (Visma's number series)."""
    return (int(number), number) if number.isdigit() else (10**18, number)


def key_winner(batches: Iterable[HeldBatch]) -> HeldBatch | None:
    """The one batch of a key that is (or may become) in the ledger; None when none holds it.

    A released holder wins (the lowest, should there be several: a duplicate a person must void);
    else the lowest batch number among live, not neutralised holders.
    """
    holders = sorted((b for b in batches if b.holds_key), key=lambda b: batch_order(b.number))
    released = [b for b in holders if b.released]
    return (released or holders)[0] if holders else None


def key_winners(held: Iterable[HeldBatch]) -> dict[str, HeldBatch]:
    """``journal_key`` → its winner (:func:`key_winner`), for every key some batch holds."""
    by_key: dict[str, list[HeldBatch]] = {}
    for b in held:
        by_key.setdefault(b.journal_key, []).append(b)
    return {k: w for k, v in by_key.items() if (w := key_winner(v)) is not None}


def losers(held: Iterable[HeldBatch]) -> list[HeldBatch]:
    """Unreleased holders of a key that are not its winner: to be emptied, never released."""
    held = list(held)
    winners = key_winners(held)
    return [
        b
        for b in held
        if b.holds_key and not b.released and winners[b.journal_key].number != b.number
    ]


def drop_losers(held: Iterable[HeldBatch]) -> list[HeldBatch]:
    """What the ledger holds or will hold: without losers and neutralised batches.

    Voided batches stay (they tell which adjustment numbers were used); two *released* holders
    of one key both stay — a real duplicate that plan and reconcile report.
    """
    held = list(held)
    lost = {b.number for b in losers(held)}
    return [b for b in held if b.number not in lost and not b.neutralised]


def search_periods(
    home: str, open_by_period: Mapping[str, bool], *, later: int = 2, extra: Iterable[str] = ()
) -> list[str]:
    """The Visma periods our batches of a pay period may live in, bounded.

    A journal goes into its home period, or — home closed, ``post_to_next_open_period`` — into
    the first open period after it *at posting time*. Periods close and reopen afterwards, so the
    current first open period is not enough: the scan runs from ``home`` to the first open period
    after it and ``later`` existing periods beyond (a batch moved further than that is found
    only through ``extra``: the periods this run targets and the store has seen).
    ``open_by_period``: every financial period Visma has (``YYYYPP`` → open).
    """
    after = sorted(p for p in open_by_period if p > home)
    first_open = next((i for i, p in enumerate(after) if open_by_period[p]), len(after) - 1)
    scan = after[: first_open + 1 + later] if open_by_period.get(home) is False else after[:later]
    return sorted({home, *scan, *(p for p in extra if p)})
