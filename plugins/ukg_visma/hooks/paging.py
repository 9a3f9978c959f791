"""Paginators for the two services, as generators so that big exports stream page by page.

- UKG: ``page`` (1-based) + ``per_page`` (``per_Page`` on the GL export); follow ``Link:
  rel="next"`` when the service sends one, else the next page number; stop on an empty or short
  page.
- Visma.net: ``pageNumber`` + ``pageSize``; published lists are bare arrays with the page's
  ``metadata`` (``totalCount``, ``maxPageSize``) on every item; some tenants wrap them as
  ``{"metadata", "value": [...]}`` — both are read. Stop when ``totalCount`` items were read, on a
  short page, or on an empty page. On ``/v2/journaltransaction`` the page size and
  ``totalCount`` count journal *lines* while the items are batches (a batch may continue on the
  next page): there the caller passes ``size_of`` (lines of a row), and the walk ends at the
  first page holding fewer lines than the page size (``min(pageSize, maxPageSize)``) or an empty
  page — never on ``totalCount`` alone, because a tenant that counted batches there would end a
  read-back early, and a read-back that misses a batch posts it twice.

Both detect loops (meltano's habit): the same request twice, or the same page content twice in a
row, raises ``PaginationError`` instead of reading forever; and ``max_pages`` caps the walk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin

import requests

from ukg_visma.hooks.exceptions import PaginationError

Fetch = Callable[[str, dict[str, Any] | None], tuple[Any, requests.Response]]
"""GET a path (or a same-origin absolute URL) with params → (parsed JSON, response)."""

DEFAULT_MAX_PAGES = 100_000
_LIST_KEYS = ("value", "items", "data", "results")


class LoopGuard:
    """Remembers requests and the last page's items to notice a paginator going in circles.

    The last page is compared item by item (``==``), not by a digest of its JSON: two pages of a
    walk differ in their first item, so the comparison stops there, where serialising every
    page again cost a third of a GL export's read (10,000-line pages, issue #24). Holding the
    previous page costs one page at most (a block of the GL export is held whole anyway).
    """

    def __init__(self, service: str, path: str, max_pages: int) -> None:
        self.service = service
        self.path = path
        self.max_pages = max_pages
        self._requests: set[str] = set()
        self._last_items: list[Any] | None = None
        self.pages = 0

    def _fail(self, why: str) -> PaginationError:
        return PaginationError(why, service=self.service, method="GET", path=self.path)

    def before(self, url: str, params: dict[str, Any] | None) -> None:
        key = url + "?" + json.dumps(params or {}, sort_keys=True, default=str)
        if key in self._requests:
            raise self._fail(f"paging loop: page {self.pages + 1} repeats an earlier request")
        self._requests.add(key)
        self.pages += 1
        if self.pages > self.max_pages:
            raise self._fail(f"more than {self.max_pages} pages; refusing to read on")

    def after(self, items: list[Any]) -> None:
        if not items:
            return
        if items == self._last_items:
            raise self._fail(f"paging loop: page {self.pages} has the same items as the one before")
        self._last_items = items


def items_of(body: Any, *, service: str, path: str) -> list[Any]:
    """The list of records in a page body (a bare list, or under value/items/data/results)."""
    if body is None:
        return []
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in _LIST_KEYS:
            if isinstance(body.get(key), list):
                return body[key]
    raise PaginationError(
        "page body is neither a list nor an object with a list of records",
        service=service,
        method="GET",
        path=path,
    )


def _metadata(body: Any, items: list[Any]) -> dict[str, Any]:
    """Paging metadata of a Visma page: on the body (v2) or on each item (v1 lists)."""
    if isinstance(body, dict) and isinstance(body.get("metadata"), dict):
        return body["metadata"]
    if items and isinstance(items[0], dict) and isinstance(items[0].get("metadata"), dict):
        return items[0]["metadata"]
    return {}


def ukg_pages(
    fetch: Fetch,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    per_page: int = 200,
    page_param: str = "per_page",
    service: str = "UKG Pro",
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[list[Any]]:
    """Yield UKG pages (lists of records) until the service has no more."""
    guard = LoopGuard(service, path, max_pages)
    query: dict[str, Any] | None = {**(params or {}), "page": 1, page_param: per_page}
    url = path
    while True:
        guard.before(url, query)
        body, response = fetch(url, query)
        items = items_of(body, service=service, path=path)
        guard.after(items)
        if items:
            yield items
        next_link = response.links.get("next", {}).get("url")
        if not items:
            return
        if next_link:
            url, query = urljoin(response.url, next_link), None
            continue
        if len(items) < per_page:
            return
        if query is None:  # we were following links and they stopped: the last page was full
            return
        query = {**query, "page": int(query["page"]) + 1}


def visma_pages(
    fetch: Fetch,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    page_size: int = 500,
    service: str = "Visma.net",
    max_pages: int = DEFAULT_MAX_PAGES,
    size_of: Callable[[Any], int] | None = None,
) -> Iterator[list[Any]]:
    """Yield Visma pages (lists of records) until the last one.

    ``size_of(item)``: what one item counts towards ``pageSize`` when that is not 1 (the lines
    of a journal row); then only a short or empty page ends the walk (module docstring).
    """
    guard = LoopGuard(service, path, max_pages)
    page = 1
    seen = 0
    while True:
        query = {**(params or {}), "pageNumber": page, "pageSize": page_size}
        guard.before(path, query)
        body, _ = fetch(path, query)
        items = items_of(body, service=service, path=path)
        guard.after(items)
        if not items:
            return
        yield items
        size = sum(size_of(item) for item in items) if size_of else len(items)
        seen += size
        metadata = _metadata(body, items)
        total = metadata.get("totalCount")
        if size_of is None and total is not None:
            if seen >= int(total):
                return
        elif size < min(page_size, int(metadata.get("maxPageSize") or page_size)):
            return
        page += 1
