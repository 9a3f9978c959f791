"""Reading what a response's headers say about rate limits, retry timing and request ids.

Kept apart from the hooks so that the retry policy, the error mapping and ``test_connection`` all
read the same headers the same way (a ``Retry-After`` in seconds *or* as an HTTP date; a
``X-RateLimit-Reset`` as seconds *or* as an epoch timestamp).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# Header names under which the two services (and their gateways) report a request id.
REQUEST_ID_HEADERS = (
    "VismaId",
    "X-VismaId",
    "X-Request-Id",
    "Request-Id",
    "X-Correlation-Id",
    "X-Trace-Id",
    "traceparent",
)

# Anything above this is an epoch timestamp, below it a number of seconds (about 31 years).
_EPOCH_THRESHOLD = 1_000_000_000


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` value, or ``None`` when absent/unreadable.

    RFC 9110 allows a delay in seconds or an HTTP date; both occur behind API gateways.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class RateLimitHeaders:
    """The ``X-RateLimit-*`` triple of one response (any part may be missing)."""

    limit: int | None
    remaining: int | None
    reset_in: float | None  # seconds from the moment the response arrived

    @classmethod
    def from_headers(
        cls, headers: Mapping[str, str], *, now: float | None = None
    ) -> RateLimitHeaders:
        limit = _number(headers.get("X-RateLimit-Limit"))
        remaining = _number(headers.get("X-RateLimit-Remaining"))
        reset = _number(headers.get("X-RateLimit-Reset"))
        if reset is not None and reset > _EPOCH_THRESHOLD:
            reset = max(0.0, reset - (time.time() if now is None else now))
        return cls(
            limit=None if limit is None else int(limit),
            remaining=None if remaining is None else int(remaining),
            reset_in=reset,
        )

    def describe(self) -> str:
        """Human-readable headroom for ``test_connection`` ("95/100 calls left, resets in 42 s")."""
        if self.remaining is None:
            return "no rate-limit headers"
        text = f"{self.remaining}/{self.limit if self.limit is not None else '?'} calls left"
        if self.reset_in is not None:
            text += f", resets in {self.reset_in:.0f} s"
        return text


def request_id(headers: Mapping[str, str]) -> str | None:
    """The request id a support case would quote, if the service sent one in a header."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value.strip()[:128]
    return None
