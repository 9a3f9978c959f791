"""Read the two sides' raw API bodies into comparable values, once, in one place.

Why a module of its own: UKG and Visma spell the same facts differently (``isActive`` vs
``active``, a level number vs ``orgLevel3``, a missing description), and the planner, the drift
check and the in-memory simulation must agree on every one of those readings; otherwise a plan
that looks applied would be re-planned forever.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ukg_visma.alignment.models import DESCRIPTION_MAX, OrgValue
from ukg_visma.errors import NotRetryable

__all__ = [
    "AlignmentInputError",
    "UkgLevelValues",
    "VismaSegment",
    "comparable_description",
    "mapping_targets",
    "parse_level",
    "read_ukg_org_levels",
    "read_visma_segments",
    "segment_value_code",
]


class AlignmentInputError(NotRetryable, ValueError):
    """An input that no plan can be made from (a mapped segment missing in Visma, a bad body)."""


@dataclass(frozen=True)
class VismaSegment:
    segment_id: int
    description: str
    length: int | None
    values: dict[str, OrgValue]


@dataclass
class UkgLevelValues:
    """One UKG org level's codes; ``conflicting`` holds codes listed twice with different data."""

    values: dict[str, OrgValue] = field(default_factory=dict)
    conflicting: set[str] = field(default_factory=set)
    blank: int = 0


def parse_level(raw: Any) -> int:
    """``3``, ``3.0``, ``"3"``, ``"orgLevel3"``, ``"OrgLevel3Code"`` → ``3``.

    UKG publishes ``level`` as a JSON *number* (not an integer), and the hooks read JSON numbers
    with a fraction as ``Decimal``: a tenant answering ``3.0`` is level 3, not "no level"."""
    if isinstance(raw, bool):
        raise AlignmentInputError(f"org level {raw!r} is not a level number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float | Decimal):
        try:
            whole: int | None = int(raw)
        except (ValueError, OverflowError):  # NaN, infinity
            whole = None
        if whole is None or whole != raw:
            raise AlignmentInputError(f"org level {raw!r} is not a level number")
        return whole
    match = re.fullmatch(
        r"\s*(?:org\s*level)?\s*(\d+)(?:\.0+)?\s*(?:code)?\s*", str(raw), re.IGNORECASE
    )
    if not match:
        raise AlignmentInputError(f"org level {raw!r} is not a level number")
    return int(match.group(1))


def _flag(raw: Any, default: bool = True) -> bool:
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, Mapping) and "value" in raw:  # Visma's {"value": true} wrapper
        return _flag(raw["value"], default)
    text = str(raw).strip().lower()
    if text in {"true", "1", "yes", "y"}:
        return True
    if text in {"false", "0", "no", "n"}:
        return False
    raise AlignmentInputError(f"active flag {raw!r} is not a boolean")


def _text(raw: Any) -> str:
    if isinstance(raw, Mapping) and "value" in raw:
        raw = raw["value"]
    return "" if raw is None else str(raw).strip()


def segment_value_code(item: Mapping[str, Any]) -> str:
    """A segment value's code: Visma reads it back as ``valueId`` (``DtoSegmentValue``) while the
    update body and older notes say ``value``; ``valueId`` wins when both are present."""
    raw = item.get("valueId")
    return _text(item.get("value") if raw is None else raw)


def comparable_description(description: str, code: str) -> str:
    """The description as Visma would store it: trimmed, the code when blank, at most 60 chars."""
    return (description.strip() or code)[:DESCRIPTION_MAX]


def read_ukg_org_levels(
    items: Iterable[Mapping[str, Any]], levels: Iterable[int]
) -> dict[int, UkgLevelValues]:
    """The org levels the settings map, by level. Identical duplicates collapse silently."""
    wanted = set(levels)
    out = {level: UkgLevelValues() for level in wanted}
    for item in items:
        level = parse_level(item.get("level"))
        if level not in wanted:
            continue
        bucket = out[level]
        code = _text(item.get("code"))
        if not code:
            bucket.blank += 1
            continue
        value = OrgValue(
            code=code,
            description=_text(item.get("description")),
            active=_flag(item.get("isActive")),
        )
        seen = bucket.values.get(code)
        if seen is not None and seen != value:
            bucket.conflicting.add(code)
        bucket.values.setdefault(code, value)
    return out


def read_visma_segments(
    body: Mapping[str, Any] | Iterable[Mapping[str, Any]],
) -> dict[int, VismaSegment]:
    """``GET /v1/dimension/SUBACCOUNT`` (or its ``segments`` list) by segment id."""
    if isinstance(body, Mapping):
        if "segments" not in body:
            raise AlignmentInputError("the Visma dimension body has no 'segments'")
        raw_segments = body["segments"]
    else:
        raw_segments = body
    out: dict[int, VismaSegment] = {}
    for seg in raw_segments:
        try:
            segment_id = int(seg["segmentId"])
        except (KeyError, TypeError, ValueError) as exc:
            raise AlignmentInputError(f"a Visma segment has no segmentId: {exc}") from exc
        values: dict[str, OrgValue] = {}
        for item in seg.get("segmentValues") or []:
            code = segment_value_code(item)
            if not code:
                continue
            values[code] = OrgValue(
                code=code,
                description=_text(item.get("description")),
                active=_flag(item.get("active")),
            )
        length = seg.get("length")
        out[segment_id] = VismaSegment(
            segment_id=segment_id,
            description=_text(seg.get("description")),
            length=int(length) if length not in (None, "") else None,
            values=values,
        )
    return out


def _field(row: Any, name: str) -> Any:
    """A field of a mapping row given as a dict or as an object."""
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name)


def mapping_targets(mapping: Any) -> dict[tuple[int, str], tuple[str, str]]:
    """``{(ukg_level, ukg_code): (segment_value, where)}`` from whatever mapping form is given.

    Accepts ``ukg_visma.mappings.Mappings``, its ``segments`` dict of ``SegmentMapping``, a plain
    ``{(level, code): value}`` dict, or rows shaped like ``cost_centers.csv``. ``where`` is the
    file and line when known, so a report can send finance to the row.
    """
    if mapping is None:
        return {}
    entries = getattr(mapping, "segments", mapping)
    out: dict[tuple[int, str], tuple[str, str]] = {}
    if isinstance(entries, Mapping):
        for (level, code), target in entries.items():
            value = getattr(target, "segment_value", target)
            where = getattr(target, "source", "") or "the cost-centre mapping"
            out[(int(level), str(code))] = (str(value), where)
        return out
    for row in entries:
        key = (int(_field(row, "ukg_level")), str(_field(row, "ukg_code")))
        out[key] = (str(_field(row, "segment_value")), "the cost-centre mapping")
    return out
