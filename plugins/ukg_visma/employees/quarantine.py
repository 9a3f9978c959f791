"""Quarantine, not stop: a UKG employee snapshot that cannot be parsed becomes a named finding.

One bad record (``terminationDate: "31.12.2026"``, a blank ``employeeNumber``) used to stop the
whole employee sync with a pydantic error that named nobody, and every good change in the window
waited. Here each raw snapshot is parsed alone: the good ones go on, a bad one becomes a
:class:`Rejection` — which employee (number, else UKG id), which field, what value, which rule —
that the sync keeps in the audit store with the raw payload and re-reads from UKG on every later
run until it parses (see ``tasks.employee_sync.extract``).

Pure logic: plain dicts in, models and findings out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ukg_visma.employees.models import EmployeeSnapshot
from ukg_visma.errors import NotRetryable

_VALUE_CHARS = 60


@dataclass(frozen=True)
class Finding:
    """One broken field: ``field`` (UKG name), ``value`` (as sent, shortened), ``rule``."""

    field: str
    value: str
    rule: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "value": self.value, "rule": self.rule}


@dataclass(frozen=True)
class Rejection:
    """A snapshot that cannot be parsed, with what names it and why (the raw payload kept)."""

    employee_id: str | None
    employee_number: str | None
    findings: tuple[Finding, ...]
    raw: Mapping[str, Any]

    @property
    def key(self) -> str:
        """Identity in the quarantine: the UKG id, else the number, else the payload's hash."""
        if self.employee_id:
            return self.employee_id
        if self.employee_number:
            return f"number:{self.employee_number}"
        text = json.dumps(self.raw, sort_keys=True, default=str)
        return "payload:" + hashlib.sha256(text.encode()).hexdigest()[:32]

    @property
    def label(self) -> str:
        """How a human finds the record: ``employee 1042`` or ``UKG employee id …``."""
        if self.employee_number:
            return f"employee {self.employee_number}"
        if self.employee_id:
            return f"UKG employee id {self.employee_id} (no employee number)"
        return "a UKG employee snapshot with neither employeeId nor employeeNumber"

    @property
    def message(self) -> str:
        broken = "; ".join(f"{f.field}={f.value}: {f.rule}" for f in self.findings)
        return f"{self.label} quarantined: {broken}"


class SnapshotRejected(NotRetryable, ValueError):
    """Raised where one snapshot must parse (e.g. re-reading a stored one); carries the finding."""

    def __init__(self, rejection: Rejection) -> None:
        self.rejection = rejection
        super().__init__(rejection.message)


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def shown(value: Any) -> str:
    """A value as a finding shows it: JSON, shortened."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _rule(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def _findings(raw: Mapping[str, Any], exc: ValidationError) -> tuple[Finding, ...]:
    out = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error.get("loc", ())]
        field = ".".join(loc) or "(snapshot)"
        value = raw.get(loc[0], None) if loc else raw
        if error.get("type") == "missing":
            value = None
        out.append(Finding(field=field, value=shown(value), rule=_rule(error)))
    return tuple(out)


def parse_snapshot(raw: Any) -> EmployeeSnapshot | Rejection:
    """The snapshot as a model, or the :class:`Rejection` that names it."""
    if not isinstance(raw, Mapping):
        finding = Finding("(snapshot)", shown(raw), "a snapshot is a JSON object")
        return Rejection(None, None, (finding,), {"value": shown(raw)})
    try:
        return EmployeeSnapshot.model_validate(dict(raw))
    except ValidationError as exc:
        return Rejection(
            employee_id=_text(raw.get("employeeId")),
            employee_number=_text(raw.get("employeeNumber")),
            findings=_findings(raw, exc),
            raw=dict(raw),
        )


def parse_snapshots(raws: Iterable[Any]) -> tuple[list[EmployeeSnapshot], list[Rejection]]:
    """Good snapshots and rejections, in input order; one bad record never stops the others."""
    good: list[EmployeeSnapshot] = []
    bad: list[Rejection] = []
    for raw in raws:
        parsed = parse_snapshot(raw)
        (bad if isinstance(parsed, Rejection) else good).append(parsed)  # type: ignore[arg-type]
    return good, bad
