"""UKG's published contract, independently of the package: every request the UKG sandbox
received must be a published operation (path template + method) with published query parameter
names only (each operation's own spelling: ``per_page`` vs ``per_Page``).

The operations come from ``ukg_published_operations.json``, a trimmed copy of UKG's published
OpenAPI document (konfig-sdks/ukg-java-sdk ``api/openapi.yaml``). Nothing of ``ukg_visma`` is
imported here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

PUBLISHED = json.loads(
    (Path(__file__).with_name("ukg_published_operations.json")).read_text(encoding="utf-8")
)["operations"]


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$"
    )


# literal paths before templated ones, so that /employee-changes/{id} never hides a literal path
_TEMPLATES = sorted(PUBLISHED, key=lambda t: (t.count("{"), -len(t)))
_PATTERNS = [(t, _pattern(t)) for t in _TEMPLATES]


def operation_of(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The published operation a request is, or None."""
    for template, pattern in _PATTERNS:
        if pattern.match(path) and method.upper() in PUBLISHED[template]:
            return template, PUBLISHED[template][method.upper()]
    return None


def unpublished(calls: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every request (of a sandbox call log) that is not published as sent, one line each."""
    out = []
    for call in calls:
        method, path = str(call["method"]), str(call["path"])
        found = operation_of(method, path)
        if found is None:
            out.append(f"{method} {path}: no published operation")
            continue
        template, op = found
        names = {k for k, _ in parse_qsl(str(call.get("query") or ""), keep_blank_values=True)}
        extra = sorted(names - set(op["query"]))
        if extra:
            out.append(
                f"{method} {path}?{call.get('query')}: {', '.join(extra)} not published for "
                f"{op['operationId']} ({template}; published: {', '.join(op['query']) or '-'})"
            )
    return sorted(set(out))
