"""Journals as Visma will hold them, their deterministic keys, and the exact POST body.

The journal key is what makes posting exactly-once possible although Visma has no idempotency
key: it is derived only from the UKG run (tenant, company, pay run, GL run version, split index),
so every retry, re-run or backfill of the same period computes the same key, finds it in the
posting ledger or in the batch read back from Visma, and does not post again. The key is written
into the batch ``description`` (where :func:`journal_key_from_batch` finds it again) and a short
digest of it into every line's ``referenceNumber`` (Visma's reference field is short).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, computed_field, model_validator

from ukg_visma.money import dumps, to_decimal
from ukg_visma.periods import PayPeriod
from ukg_visma.settings import Settings

__all__ = [
    "Journal",
    "JournalKey",
    "JournalLine",
    "as_period",
    "dump_journals",
    "journal_key_from_batch",
    "journal_ref",
    "load_journals",
    "payload_hash",
    "run_version",
    "to_visma_payload",
]

_SAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
_KEY_IN_TEXT = re.compile(r"key=((?:[A-Za-z0-9_.\-]+:){4}\d+)")


def _safe(text: str) -> str:
    """Key components keep letters, digits, ``_ . -``; anything else becomes ``_``."""
    return _SAFE.sub("_", text.strip()) or "_"


def run_version(gl_run_datetime: str) -> str:
    """UKG ``glRunDateTime`` → the compact GL run version in the key (``20261021T151000Z``).

    Why part of the key: UKG regenerates a run's GL export with a new ``glRunDateTime``; a new
    version is a different set of journals and must not be mistaken for the one already posted.
    """
    text = (gl_run_datetime or "").strip()
    if not text:
        raise ValueError("glRunDateTime is empty: the GL run version cannot be determined")
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return _safe(text)
    suffix = ""
    if moment.tzinfo is not None:
        moment, suffix = moment.astimezone(dt.UTC).replace(tzinfo=None), "Z"
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return moment.strftime("%Y%m%dT%H%M%S") + fraction + suffix


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class JournalKey(_Frozen):
    """``tenant:company:pay_run:run_version:split_index``, e.g.
    ``nordicmfg:NMF:NMF-202610-R1:20261021T151000Z:0``."""

    tenant: str
    company: str
    pay_run: str
    run_version: str
    split_index: int = Field(ge=0)

    @property
    def key(self) -> str:
        parts = (self.tenant, self.company, self.pay_run, self.run_version)
        return ":".join(_safe(p) for p in parts) + f":{self.split_index}"

    def __str__(self) -> str:
        return self.key

    @classmethod
    def parse(cls, text: str) -> JournalKey:
        parts = text.split(":")
        if len(parts) != 5 or not parts[4].isdigit():
            raise ValueError(f"{text!r} is not a journal key")
        return cls(
            tenant=parts[0],
            company=parts[1],
            pay_run=parts[2],
            run_version=parts[3],
            split_index=int(parts[4]),
        )


class JournalLine(_Frozen):
    """One Visma journal line: one account × subaccount × project × task × side."""

    line_number: int = Field(ge=1)
    account: str
    segments: tuple[tuple[int, str], ...]  # ((segment_id, value), ...) in segment order
    project: str = ""
    task: str = ""
    side: Literal["D", "C"]
    amount_ore: int = Field(ge=0)
    description: str = ""
    ukg_accounts: tuple[str, ...] = ()
    source_lines: int = 0  # UKG lines aggregated into this line's key (all parts, if it was cut)

    @property
    def subaccount(self) -> str:
        """``10-110``: the segment values joined, as Visma shows a subaccount."""
        return "-".join(value for _, value in self.segments)

    @property
    def debit_ore(self) -> int:
        return self.amount_ore if self.side == "D" else 0

    @property
    def credit_ore(self) -> int:
        return self.amount_ore if self.side == "C" else 0

    @property
    def mapped(self) -> bool:
        """False while any value is an unmapped marker (``?360``): such a line is never sent."""
        values = (self.account, self.project, self.task, *(v for _, v in self.segments))
        return not any(v.startswith("?") for v in values)


class Journal(_Frozen):
    """One Visma batch: a company × pay run × pay date, or one balanced part of it."""

    key: JournalKey
    company: str
    pay_run: str
    pay_groups: tuple[str, ...]
    pay_date: dt.date
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    gl_run_datetime: str
    part: int = Field(1, ge=1)  # 1-based part of the company × run × pay date group
    parts: int = Field(1, ge=1)
    lines: tuple[JournalLine, ...]
    # full: a GL run version as UKG exported it; adjustment: the difference between that version
    # and what Visma already holds for the run; reversal: an earlier batch with sides swapped
    kind: Literal["full", "adjustment", "reversal"] = "full"
    reverses: str | None = None  # the batch number a reversal undoes
    note: str = ""  # why (a void, a request, a re-export), shown in the batch description
    visma_period: str | None = None  # YYYYPP when not the pay period's (reversal, moved period)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def journal_key(self) -> str:
        return self.key.key

    @model_validator(mode="before")
    @classmethod
    def _check_dumped_key(cls, data: Any) -> Any:
        """A dumped journal carries ``journal_key``; reloading checks it instead of refusing it."""
        if isinstance(data, Mapping) and "journal_key" in data:
            data = dict(data)
            given = data.pop("journal_key")
            key = data.get("key")
            actual = key.key if isinstance(key, JournalKey) else JournalKey.model_validate(key).key
            if given != actual:
                raise ValueError(f"journal_key {given!r} does not match its key {actual!r}")
        return data

    @property
    def debit_ore(self) -> int:
        return sum(line.debit_ore for line in self.lines)

    @property
    def credit_ore(self) -> int:
        return sum(line.credit_ore for line in self.lines)

    @property
    def balanced(self) -> bool:
        return self.debit_ore == self.credit_ore

    def description(self, period: PayPeriod) -> str:
        """Batch text a controller reads, ending with the key a read-back matches on."""
        part = f" part {self.part}/{self.parts}" if self.parts > 1 else ""
        groups = "/".join(self.pay_groups) or "-"
        note = f" ({self.note})" if self.note else ""
        if self.kind == "reversal":
            head = f"Reversal of batch {self.reverses} payroll {groups} {period.key}"
        elif self.kind == "adjustment":
            head = f"Payroll adjustment {groups} {period.key}"
        else:
            head = f"Payroll {groups} {period.key}"
        text = f"{head} UKG run {self.pay_run}{part}{note}"
        # the key always ends the text: a long note is cut, never the key
        return f"{text[: 250 - len(self.journal_key) - 5]} key={self.journal_key}"


_JOURNALS = TypeAdapter(tuple[Journal, ...])


def dump_journals(journals: Sequence[Journal]) -> str:
    """Journals as JSON for a staging file (XCom carries the file's URI, not the journals)."""
    return _JOURNALS.dump_json(tuple(journals)).decode()


def load_journals(text: str | bytes) -> tuple[Journal, ...]:
    """The journals :func:`dump_journals` wrote, validated again (keys re-checked)."""
    return _JOURNALS.validate_json(text)


def as_period(period: PayPeriod | str) -> PayPeriod:
    """``PayPeriod``, ``"2026-10"`` or Visma's ``"202610"`` → ``PayPeriod``."""
    if isinstance(period, PayPeriod):
        return period
    text = period.strip()
    if len(text) == 6 and text.isdigit():
        text = f"{text[:4]}-{text[4:]}"
    return PayPeriod.parse(text)


def journal_ref(journal_key: str) -> str:
    """A 15-character reference for the line ``referenceNumber`` (``UV`` + 13 hex digits).

    Why a digest and not the key: Visma's line reference field is short (15 characters in the
    Acumatica engine underneath); the full key lives in the batch description.
    """
    return "UV" + hashlib.sha256(journal_key.encode()).hexdigest()[:13].upper()


def _v(value: Any) -> dict[str, Any]:
    return {"value": value}


def to_visma_payload(
    journal: Journal,
    settings: Settings,
    period: PayPeriod | str,
    hold: bool = True,
    *,
    transaction_date: dt.date | None = None,
) -> dict[str, Any]:
    """The ``POST /v2/journaltransaction`` body for ``journal`` (amounts as ``Decimal``).

    Send it with :func:`ukg_visma.money.dumps` (or any encoder that writes ``Decimal`` exactly).
    ``period`` is the pay period the description names; the batch goes into
    ``journal.visma_period`` when set (a reversal, or a closed period moved on), else into it.
    Refuses a journal that does not balance or still holds an unmapped value: validation should
    have stopped the run, and this is the last line of defence before money moves.
    """
    p = as_period(period)
    target = as_period(journal.visma_period) if journal.visma_period else p
    if not journal.balanced:
        raise ValueError(
            f"journal {journal.journal_key} does not balance "
            f"(debit {journal.debit_ore} øre, credit {journal.credit_ore} øre): not sending it"
        )
    unmapped = [line.line_number for line in journal.lines if not line.mapped]
    if unmapped:
        raise ValueError(
            f"journal {journal.journal_key} has unmapped values on lines {unmapped}: not sending it"
        )
    ref = journal_ref(journal.journal_key)
    day = transaction_date or journal.pay_date
    if target != p and not target.start <= day <= target.end:
        day = target.start  # moved into a later period (closed period, reversal): its first day
    lines = []
    for line in journal.lines:
        body: dict[str, Any] = {
            "operation": "Insert",
            "accountNumber": _v(line.account),
            "subaccount": [
                {"segmentId": segment_id, "segmentValue": value}
                for segment_id, value in line.segments
            ],
        }
        if line.project:
            body["project"] = _v(line.project)
            if line.task:
                body["projectTask"] = _v(line.task)
        body["debitAmountInCurrency"] = _v(to_decimal(line.debit_ore))
        body["creditAmountInCurrency"] = _v(to_decimal(line.credit_ore))
        text = (
            f"{line.description} - UKG {journal.pay_run}" if line.description else journal.pay_run
        )
        body["transactionDescription"] = _v(text[:255])
        body["referenceNumber"] = _v(ref)
        lines.append(body)
    return {
        "transactionDate": _v(f"{day.isoformat()}T00:00:00"),
        "postPeriod": _v(target.visma_post_period),
        "financialPeriod": _v(target.visma_period_id),
        "ledger": _v(settings.company.ledger),
        "currencyId": _v(settings.company.currency),
        "branch": _v(settings.company.visma_branch),
        "transactionCode": _v(settings.payroll.transaction_code),
        "description": _v(journal.description(p)),
        "hold": _v(hold),
        "controlTotalInCurrency": _v(to_decimal(journal.debit_ore)),
        "journalTransactionLines": lines,
    }


def payload_hash(payload: Mapping[str, Any]) -> str:
    """sha256 of the exact body sent: the posting ledger notices a journal that changed."""
    return hashlib.sha256(dumps(payload).encode()).hexdigest()


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        value = value.get("value")
    return value if isinstance(value, str) else ""


def journal_key_from_batch(batch: Mapping[str, Any]) -> str | None:
    """Our journal key in a batch read back from Visma, or None for anybody else's batch.

    Reads the ``description`` (plain or ``{"value": ...}`` form). If the batch's lines carry a
    reference, at least one must be the key's digest — a description someone copied by hand
    onto an unrelated batch is not taken for ours.
    """
    m = _KEY_IN_TEXT.search(_text(batch.get("description")))
    if not m:
        return None
    key = m.group(1)
    refs = {
        _text(line.get("referenceNumber"))
        for line in batch.get("journalTransactionLines") or []
        if isinstance(line, Mapping)
    } - {""}
    if refs and journal_ref(key) not in refs:
        return None
    return key
