"""UKG paging: ``page`` (1-based) and ``per_page`` (``per_Page`` on the GL export), ``Link`` next.

An out-of-range ``per_page`` is refused with a 400 instead of being clamped: a clamped page would
look "short" to a client that asked for more, and it would stop reading too early.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from sandbox.ukg.errors import bad_request, json_response


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    size_param: str

    def slice(self, items: Sequence[Any]) -> Sequence[Any]:
        start = (self.number - 1) * self.size
        return items[start : start + self.size]

    def has_next(self, total: int) -> bool:
        return self.number * self.size < total


def _int(value: str | None, field: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise bad_request(field, f"'{value}' is not an integer") from None


def read_page(
    request: Request,
    *,
    default_size: int = 100,
    max_size: int = 200,
    size_param: str = "per_page",
    strict: bool = False,
) -> Page:
    """The requested page. ``strict``: only the operation's own spelling (``per_page`` on
    employee-changes, ``per_Page`` on employment- and person-details) counts; the other is an
    unknown parameter, ignored as the real service ignores it (the default size applies).
    Otherwise both spellings are accepted."""
    query = request.query_params
    spellings = (size_param,) if strict else (size_param, "per_page", "per_Page")
    name = next((n for n in spellings if n in query), size_param)
    number = _int(query.get("page"), "page", 1)
    size = _int(query.get(name), name, default_size)
    if number < 1:
        raise bad_request("page", "must be 1 or more")
    if not 1 <= size <= max_size:
        raise bad_request(name, f"must be between 1 and {max_size}")
    return Page(number, size, name)


def next_link(request: Request, page: Page) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    params.append(("page", str(page.number + 1)))
    if not any(k == page.size_param for k, _ in params):
        params.append((page.size_param, str(page.size)))
    return f"{str(request.url).split('?')[0]}?{urlencode(params)}"


def paged_response(request: Request, page: Page, items: Sequence[Any]) -> Response:
    """A JSON list of one page, with ``Link: <...>; rel="next"`` while more pages exist."""
    headers = {}
    if page.has_next(len(items)):
        headers["Link"] = f'<{next_link(request, page)}>; rel="next"'
    return json_response(list(page.slice(items)), headers=headers)
