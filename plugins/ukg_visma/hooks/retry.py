"""One retry policy for both services, and the pacer that slows down before the rate-limit wall.

What is retried, and why:
- **429** on any method: the service refused the request before doing anything, so even a POST
  may be repeated. Wait what ``Retry-After`` says (seconds or HTTP date); without it (UKG usually
  omits it) exponential backoff with full jitter from ~1 s, capped.
- **502/503/504 and connection failures** only for idempotent methods (GET, PUT with If-Match, …).
  A POST that creates a journal is never repeated blindly: a lost answer may mean the journal
  exists. Connect-phase failures (DNS, refused, TLS) are the exception — nothing was sent.
- Everything is bounded twice: by attempts and by total time (including the next sleep), so a
  503 storm ends in a ``TransientError`` and a long ``Retry-After`` in a ``RateLimitError`` that
  the Airflow task's own retry can take over.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import tenacity

from ukg_visma.hooks.exceptions import (
    ConnectionFailedError,
    RateLimitError,
    TransientError,
)
from ukg_visma.hooks.headers import RateLimitHeaders

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds and backoff of the hooks' retries (hook argument ``retry_policy``)."""

    max_attempts: int = 8
    max_total_seconds: float = 300.0
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    retry_after_jitter: float = 0.25  # seconds added to Retry-After so clients do not stampede
    # reads of a GET whose 2xx answer was unusable (HTML page, empty, cut JSON, wrong shape)
    malformed_attempts: int = 3

    def should_retry(self, exc: BaseException, *, idempotent: bool) -> bool:
        if isinstance(exc, RateLimitError):
            return True
        idempotent = idempotent or getattr(exc, "during_auth", False)
        if isinstance(exc, ConnectionFailedError):
            return exc.kind != "tls" and (idempotent or exc.kind in ("dns", "refused"))
        return isinstance(exc, TransientError) and idempotent

    def wait_seconds(self, exc: BaseException | None, attempt: int) -> float:
        """Retry-After when the service gave one, else full jitter: U(0, min(cap, base·2^n))."""
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            return exc.retry_after + random.uniform(0, self.retry_after_jitter)
        ceiling = min(self.backoff_max, self.backoff_initial * 2 ** max(0, attempt - 1))
        # Full jitter, but never a zero wait: a floor of a tenth of the base keeps some spacing.
        return random.uniform(min(ceiling, self.backoff_initial / 10), ceiling)

    def retrying(
        self,
        *,
        idempotent: bool,
        before_sleep: Callable[[BaseException, int, float], None],
        sleep: Callable[[float], None] = time.sleep,
    ) -> tenacity.Retrying:
        """A tenacity ``Retrying`` for one logical request."""

        def _wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.wait_seconds(exc, state.attempt_number)

        def _before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if exc is not None:
                before_sleep(exc, state.attempt_number, state.upcoming_sleep)

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(
                lambda exc: self.should_retry(exc, idempotent=idempotent)
            ),
            wait=_wait,
            stop=tenacity.stop_any(
                tenacity.stop_after_attempt(self.max_attempts),
                tenacity.stop_before_delay(self.max_total_seconds),
            ),
            before_sleep=_before_sleep,
            sleep=sleep,
            reraise=True,
        )


class RateLimitPacer:
    """Spreads the calls left in a rate-limit window instead of running into 429s.

    Fed with every response's ``X-RateLimit-*`` headers; asked before every request how long to
    wait. Shared by all hooks of one connection in a process (the quota is the client's, not the
    hook's). With more than ``low_water`` calls left it never waits.
    """

    def __init__(self, *, low_water_fraction: float = 0.05, max_pause: float = 30.0) -> None:
        self.low_water_fraction = low_water_fraction
        self.max_pause = max_pause
        self._lock = threading.Lock()
        self._limit: int | None = None
        self._remaining: int | None = None
        self._reset_at: float | None = None
        self.last: RateLimitHeaders | None = None

    def observe(self, headers: RateLimitHeaders) -> None:
        if headers.remaining is None or headers.limit == 0:
            return  # no quota reported (a limit of 0 is how an unlimited server says so)
        with self._lock:
            self.last = headers
            self._limit = headers.limit
            self._remaining = headers.remaining
            self._reset_at = (
                None if headers.reset_in is None else time.monotonic() + headers.reset_in
            )

    def pause_before_request(self) -> float:
        """Seconds to sleep before the next request (and count it as spent)."""
        with self._lock:
            if self._remaining is None:
                return 0.0
            now = time.monotonic()
            if self._reset_at is not None and now >= self._reset_at:
                self._remaining = None  # a new window: nothing known until the next answer
                return 0.0
            low_water = max(2, int((self._limit or 0) * self.low_water_fraction))
            remaining = self._remaining
            self._remaining = max(0, remaining - 1)
            if remaining > low_water:
                return 0.0
            window_left = (self._reset_at - now) if self._reset_at is not None else 1.0
            if remaining <= 0:
                return min(self.max_pause, window_left)
            return min(self.max_pause, window_left / (remaining + 1))


_pacers: dict[str, RateLimitPacer] = {}
_pacers_lock = threading.Lock()


def pacer_for(conn_id: str) -> RateLimitPacer:
    """The process-wide pacer of a connection."""
    with _pacers_lock:
        return _pacers.setdefault(conn_id, RateLimitPacer())


def reset_pacers() -> None:
    """Forget every connection's rate-limit state (tests; a changed quota)."""
    with _pacers_lock:
        _pacers.clear()
