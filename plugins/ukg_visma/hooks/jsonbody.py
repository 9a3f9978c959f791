"""JSON bodies in which money stays exact, both ways.

``json.dumps`` refuses ``Decimal`` and ``float()`` would round it, so request bodies are written
with Decimals as plain JSON numbers (``1000.10`` stays ``1000.10``). Answers are parsed with
``parse_float=Decimal`` so that amounts read back from Visma (journal lines) or UKG compare
exactly with what was sent; integers stay ``int``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def dumps(value: Any) -> str:
    """Compact JSON; ``Decimal`` as an exact number, dates as ISO 8601 strings."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return format(value, "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key))}:{dumps(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    return json.dumps(value, ensure_ascii=False)


def loads(content: bytes | str) -> Any:
    """Parse an answer; non-integer numbers become ``Decimal``."""
    return json.loads(content, parse_float=Decimal)
