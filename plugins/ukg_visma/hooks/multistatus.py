"""UKG's published 207 Multi-Status answer, read into one outcome per item that was sent.

Why: ``POST /configuration/v1/org-levels`` takes an *array* and answers **207** with
``MultiStatusResponse`` — ``multistatus: [{"sequenceId", "status", "modelstate": {field:
[{"message", "type"}]}, "body"}]``, plus ``success_count``/``error_count`` and ``errors`` — so one
refused item does not fail the others, and a caller that read only the HTTP status would take a
refusal for a success. The contract does not say whether ``sequenceId`` counts from 0 or 1: a
zero anywhere means 0-based, else 1-based (our choice, docs/contracts.md). An item the answer
does not mention is *unknown*, never assumed written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ItemOutcome", "item_outcomes"]


@dataclass(frozen=True)
class ItemOutcome:
    """What UKG said about one item of the array: ``ok``, or the errors naming its fields."""

    item: Mapping[str, Any]
    ok: bool | None  # None: the answer does not mention this item
    status: str
    errors: tuple[str, ...] = ()

    @property
    def why(self) -> str:
        if self.ok is None:
            return "not in UKG's 207 answer (outcome unknown)"
        return "; ".join(self.errors) or f"refused (status {self.status})"


def _success(status: str) -> bool:
    text = status.strip().lower()
    return text.startswith("2") or text in {"success", "ok", "created"}


def _messages(entry: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    state = entry.get("modelstate")
    if isinstance(state, Mapping):
        for field, problems in state.items():
            for p in problems if isinstance(problems, list) else [problems]:
                message = p.get("message") if isinstance(p, Mapping) else p
                out.append(f"{field}: {message}")
    return tuple(out)


def item_outcomes(items: Sequence[Mapping[str, Any]], body: Any) -> list[ItemOutcome]:
    """One :class:`ItemOutcome` per item sent, in order, from a 207 ``MultiStatusResponse``."""
    entries = body.get("multistatus") if isinstance(body, Mapping) else None
    entries = [e for e in entries or [] if isinstance(e, Mapping)]
    ids = []
    for e in entries:
        try:
            ids.append(int(e.get("sequenceId")))
        except (TypeError, ValueError):
            ids.append(-1)
    base = 0 if 0 in ids else 1
    by_index = {i - base: e for i, e in zip(ids, entries, strict=True) if i >= base}
    out = []
    for n, item in enumerate(items):
        entry = by_index.get(n)
        if entry is None:
            out.append(ItemOutcome(item, None, ""))
            continue
        status = str(entry.get("status") or "")
        ok = _success(status) and not _messages(entry)
        out.append(ItemOutcome(item, ok, status, () if ok else _messages(entry)))
    return out
