"""Fault rules, the fault book, the per-minute quota and the token issuer, without HTTP."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sandbox.common import FaultBook, FaultRule, RateLimiter, StateStore, TokenIssuer


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_rule_needs_an_effect_and_a_valid_regex():
    with pytest.raises(ValidationError):
        FaultRule(path="/v1/account")
    with pytest.raises(ValidationError):
        FaultRule(path="(", status=500)
    with pytest.raises(ValidationError):
        FaultRule(status=500, drop_response_after_commit=True)
    assert FaultRule(method="*", status=503).method is None
    assert FaultRule(method="post", status=503).method == "POST"


def test_fault_book_consumes_times_then_falls_through():
    book = FaultBook()
    book.add([FaultRule(method="POST", path="^/v2/journal", status=503, times=2)])
    book.add([FaultRule(path="journal", latency_ms=5, times=None)])
    assert book.take("GET", "/v2/journaltransaction").status is None  # method filter
    assert book.take("POST", "/v2/journaltransaction").status == 503
    assert book.take("POST", "/v2/journaltransaction").status == 503
    assert book.take("POST", "/v2/journaltransaction").latency_ms == 5  # the 503 is used up
    assert book.take("POST", "/v1/account") is None
    assert [item.hits for item in book.list()] == [2]  # the GET and the third POST
    book.clear()
    assert book.take("POST", "/v2/journaltransaction") is None


def test_rate_limiter_refuses_over_quota_until_next_minute():
    clock = Clock(60 * 16_667 + 20.0)  # 20 s into a minute window
    limiter = RateLimiter(limit=2, clock=clock)
    first, second, third = limiter.hit(), limiter.hit(), limiter.hit()
    assert (first.allowed, first.remaining) == (True, 1)
    assert (second.allowed, second.remaining) == (True, 0)
    assert (third.allowed, third.remaining, third.reset_seconds) == (False, 0, 40)
    assert third.retry_after == 40
    clock.now += 40
    assert limiter.hit().allowed
    limiter.configure(None)
    assert all(limiter.hit().allowed for _ in range(100))


def test_tokens_expire_and_can_be_revoked():
    clock = Clock(1000.0)
    issuer = TokenIssuer(StateStore(None), clock=clock)
    token = issuer.issue("client", 2, scope="read")
    assert issuer.validate(token)["scope"] == "read"
    assert issuer.validate("not-a-token") is None
    clock.now += 2
    assert issuer.validate(token) is None
    fresh = issuer.issue("client", 60)
    assert issuer.revoke_all() == 1  # the expired one was pruned on issue
    assert issuer.validate(fresh) is None


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("", None), (None, None)],
)
def test_bearer_header_parsing(header, token):
    assert TokenIssuer.bearer(header) == token
