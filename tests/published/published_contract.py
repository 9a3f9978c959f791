"""The services' published contracts, independently of the package: every request a sandbox
received must be a published operation (path template + method) with published query parameter
names only (each operation's own spelling: ``per_page`` vs ``per_Page``).

UKG's operations come from ``ukg_published_operations.json``, a trimmed copy of UKG's published
OpenAPI document (konfig-sdks/ukg-java-sdk ``api/openapi.yaml``); Visma's from
``visma_published_operations.json``, read from the generated client of Visma's published
document (CaesarDev/visma-erp-client ``lib/Api/*.php``). Nothing of ``ukg_visma`` is imported
here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl


def _load(name: str) -> dict[str, dict[str, Any]]:
    return json.loads(Path(__file__).with_name(name).read_text(encoding="utf-8"))["operations"]


PUBLISHED = _load("ukg_published_operations.json")
VISMA_PUBLISHED = _load("visma_published_operations.json")


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$"
    )


def _patterns(operations: Mapping[str, Any]) -> list[tuple[str, re.Pattern[str]]]:
    # literal paths before templated ones, so that /employee-changes/{id} never hides a literal
    templates = sorted(operations, key=lambda t: (t.count("{"), -len(t)))
    return [(t, _pattern(t)) for t in templates]


_PATTERNS = {id(PUBLISHED): _patterns(PUBLISHED), id(VISMA_PUBLISHED): _patterns(VISMA_PUBLISHED)}


def operation_of(
    method: str, path: str, operations: Mapping[str, Any] = PUBLISHED
) -> tuple[str, dict[str, Any]] | None:
    """The published operation a request is (UKG's unless ``operations`` says), or None."""
    patterns = _PATTERNS.get(id(operations)) or _patterns(operations)
    for template, pattern in patterns:
        if pattern.match(path) and method.upper() in operations[template]:
            return template, operations[template][method.upper()]
    return None


def unpublished(
    calls: Iterable[Mapping[str, Any]], operations: Mapping[str, Any] = PUBLISHED
) -> list[str]:
    """Every request (of a sandbox call log) that is not published as sent, one line each;
    ``operations``: :data:`PUBLISHED` (UKG, the default) or :data:`VISMA_PUBLISHED`."""
    out = []
    for call in calls:
        method, path = str(call["method"]), str(call["path"])
        found = operation_of(method, path, operations)
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
