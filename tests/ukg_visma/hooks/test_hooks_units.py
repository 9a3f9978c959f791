"""Pure pieces of the hooks: header parsing, error bodies, retry decisions, pacing, loop guard.

No HTTP here — everything that talks to a server is tested against the sandbox in the other
modules of this directory.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest

from ukg_visma.hooks import jsonbody
from ukg_visma.hooks.exceptions import (
    ConcurrentUpdateError,
    ConnectionFailedError,
    PaginationError,
    RateLimitError,
    ResponseLostError,
    TransientError,
    ValidationError,
    parse_error_body,
)
from ukg_visma.hooks.headers import RateLimitHeaders, parse_retry_after, request_id
from ukg_visma.hooks.paging import LoopGuard, items_of, visma_pages
from ukg_visma.hooks.retry import RateLimitPacer, RetryPolicy


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7.0), (" 2.5 ", 2.5), ("-3", 0.0), ("", None), (None, None), ("soon", None)],
    ids=["int", "float", "negative", "empty", "absent", "garbage"],
)
def test_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_retry_after_http_date():
    now = datetime(2026, 5, 31, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(30.0)
    assert parse_retry_after(format_datetime(now - timedelta(minutes=5), usegmt=True),
                             now=now.timestamp()) == 0.0  # fmt: skip


def test_rate_limit_headers_reset_as_delta_or_epoch():
    now = time.time()
    delta = RateLimitHeaders.from_headers(
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "42"}
    )
    epoch = RateLimitHeaders.from_headers({"X-RateLimit-Reset": str(int(now) + 42)}, now=now)
    assert (delta.limit, delta.remaining, delta.reset_in) == (100, 3, 42.0)
    assert epoch.reset_in == pytest.approx(42, abs=1)
    assert "3/100 calls left" in delta.describe()
    assert RateLimitHeaders.from_headers({}).describe() == "no rate-limit headers"


def test_request_id_from_headers():
    assert request_id({"X-Request-Id": "abc-123"}) == "abc-123"
    assert request_id({}) is None


@pytest.mark.parametrize(
    ("body", "message", "rid"),
    [
        (
            {"ExceptionType": "PXException", "ExceptionMessage": "Period 202603 is closed"},
            "Period 202603 is closed",
            None,
        ),
        (
            {"message": "VismaId: 0f8fad5b-d9cb-469f-a165-70867728950e. Error validating"},
            "VismaId: 0f8fad5b-d9cb-469f-a165-70867728950e. Error validating",
            "0f8fad5b-d9cb-469f-a165-70867728950e",
        ),
        (
            {"title": "Bad Request", "status": 400, "detail": "invalid page",
             "errors": {"per_page": ["must be <= 200"]}, "traceId": "00-ab-01"},
            "invalid page (per_page: must be <= 200)",
            "00-ab-01",
        ),
        ({"code": "E42", "message": "unknown runId"}, "E42: unknown runId", None),
        ({"error": "invalid_client"}, "invalid_client", None),
        ("not a dict", None, None),
    ],
    ids=["visma-exception", "visma-gateway", "ukg-problem", "ukg-code", "oauth", "text"],
)  # fmt: skip
def test_error_bodies(body, message, rid):
    assert parse_error_body(body) == (message, rid)


@pytest.mark.parametrize(
    ("exc", "idempotent", "retried"),
    [
        (RateLimitError("x", service="s"), False, True),
        (TransientError("x", service="s", status=503), True, True),
        (TransientError("x", service="s", status=503), False, False),
        (ConnectionFailedError("x", kind="reset", service="s"), True, True),
        (ConnectionFailedError("x", kind="reset", service="s"), False, False),
        (ConnectionFailedError("x", kind="refused", service="s"), False, True),
        (ConnectionFailedError("x", kind="tls", service="s"), True, False),
        (ResponseLostError("x", service="s"), False, False),
        (ValidationError("x", service="s", status=400), True, False),
        (ConcurrentUpdateError("x", service="s", status=412), True, False),
    ],
    ids=[
        "429-post", "503-get", "503-post", "reset-get", "reset-post", "refused-post",
        "tls", "lost", "400", "412",
    ],
)  # fmt: skip
def test_what_is_retried(exc, idempotent, retried):
    assert RetryPolicy().should_retry(exc, idempotent=idempotent) is retried


def test_token_failures_are_retried_even_for_a_post():
    exc = TransientError("token endpoint 503", service="s", status=503)
    exc.during_auth = True
    assert RetryPolicy().should_retry(exc, idempotent=False)


def test_backoff_is_full_jitter_capped_and_retry_after_wins():
    policy = RetryPolicy(backoff_initial=1.0, backoff_max=8.0)
    waits = [policy.wait_seconds(None, attempt) for attempt in range(1, 9) for _ in range(50)]
    assert min(waits) > 0 and max(waits) <= 8.0
    assert max(policy.wait_seconds(None, 1) for _ in range(200)) <= 1.0
    limited = RateLimitError("x", service="s", retry_after=3.0)
    assert 3.0 <= policy.wait_seconds(limited, 1) <= 3.0 + policy.retry_after_jitter


def test_pacer_waits_only_near_the_wall():
    pacer = RateLimitPacer()
    assert pacer.pause_before_request() == 0.0  # nothing known yet
    pacer.observe(RateLimitHeaders(limit=100, remaining=50, reset_in=30))
    assert pacer.pause_before_request() == 0.0
    pacer.observe(RateLimitHeaders(limit=100, remaining=2, reset_in=30))
    assert 5 < pacer.pause_before_request() <= 15  # 30 s left for the last 2 calls
    pacer.observe(RateLimitHeaders(limit=100, remaining=0, reset_in=4))
    assert pacer.pause_before_request() == pytest.approx(4, abs=0.1)
    pacer.observe(RateLimitHeaders(limit=100, remaining=0, reset_in=0))
    assert pacer.pause_before_request() == 0.0  # window already rolled over


def test_loop_guard():
    guard = LoopGuard("UKG Pro", "/x", max_pages=3)
    guard.before("/x", {"page": 1})
    guard.after([{"id": 1}])
    guard.before("/x", {"page": 2})
    with pytest.raises(PaginationError, match="same items"):
        guard.after([{"id": 1}])
    with pytest.raises(PaginationError, match="repeats an earlier request"):
        guard.before("/x", {"page": 1})
    guard.before("/x", {"page": 3})
    with pytest.raises(PaginationError, match="more than 3 pages"):
        guard.before("/x", {"page": 4})


def test_items_of_accepts_lists_and_wrapped_lists():
    assert items_of([1], service="s", path="/") == [1]
    assert items_of({"value": [2], "metadata": {}}, service="s", path="/") == [2]
    assert items_of(None, service="s", path="/") == []
    with pytest.raises(PaginationError):
        items_of({"unexpected": 1}, service="s", path="/")


def _line_pages(batches: list[int], *, total: int, max_page_size: int, wrapped: bool = False):
    """A fetch that pages ``batches`` (line counts) by lines as the journal listing does, with
    the given ``totalCount``; records which page numbers and sizes were asked for."""
    asked: list[tuple[int, int]] = []
    flat = [(n, i) for n, count in enumerate(batches) for i in range(count)]

    def fetch(path, params):
        number, size = params["pageNumber"], min(params["pageSize"], max_page_size)
        asked.append((number, params["pageSize"]))
        chunk = flat[(number - 1) * size : number * size]
        rows: dict[int, list] = {}
        for batch, i in chunk:
            rows.setdefault(batch, []).append({"lineNumber": i + 1})
        meta = {"totalCount": total, "maxPageSize": max_page_size}
        items = [
            {"batchNumber": f"{b:06d}", "journalTransactionLines": ln} for b, ln in rows.items()
        ]
        if wrapped:
            return {"metadata": meta, "value": items}, None
        return [{**item, "metadata": meta} for item in items], None

    return fetch, asked


def _lines(row):
    return len(row["journalTransactionLines"])


@pytest.mark.parametrize("wrapped", [False, True])
def test_journal_pages_end_on_the_first_short_page_of_lines(wrapped):
    fetch, asked = _line_pages([4, 4, 4], total=12, max_page_size=1000, wrapped=wrapped)
    pages = list(visma_pages(fetch, "/j", {"periodId": "p"}, page_size=5, size_of=_lines))
    assert [sum(map(_lines, p)) for p in pages] == [5, 5, 2]
    assert [n for n, _ in asked] == [1, 2, 3]


def test_journal_pages_read_on_when_total_count_counts_batches():
    """A tenant whose totalCount counted batches (3) must not end the read-back after page 1:
    only a short page of *lines* ends it."""
    fetch, asked = _line_pages([4, 4, 4], total=3, max_page_size=1000)
    pages = list(visma_pages(fetch, "/j", None, page_size=5, size_of=_lines))
    assert sum(len(p) for p in pages) == 5 and [n for n, _ in asked] == [1, 2, 3]


def test_journal_pages_are_full_at_max_page_size():
    """Asked for 500 lines a page, the tenant caps at 4 (metadata.maxPageSize): a page of 4
    lines is full, not the last."""
    fetch, asked = _line_pages([3, 3, 3], total=9, max_page_size=4)
    pages = list(visma_pages(fetch, "/j", None, page_size=500, size_of=_lines))
    assert [sum(map(_lines, p)) for p in pages] == [4, 4, 1]
    assert asked == [(1, 500), (2, 500), (3, 500)]


def test_json_bodies_keep_money_exact():
    body = {"a": Decimal("1000.10"), "b": [Decimal("0.01"), Decimal("-0.00")], "c": Decimal("1E+2"),
            "d": date(2026, 5, 31), "e": "ø", "f": None, "g": 3}  # fmt: skip
    text = jsonbody.dumps(body)
    assert text == ('{"a":1000.10,"b":[0.01,-0.00],"c":100,"d":"2026-05-31","e":"ø",'
                    '"f":null,"g":3}')  # fmt: skip
    back = jsonbody.loads(text)
    assert back["a"] == Decimal("1000.10") and isinstance(back["g"], int)
    assert json.loads(text)["d"] == "2026-05-31"
    with pytest.raises(ValueError, match="not a JSON number"):
        jsonbody.dumps(Decimal("NaN"))
