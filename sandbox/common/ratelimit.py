"""A per-minute request quota shared by all callers of one sandbox server.

Why fixed windows: both real services publish "N calls per period" quotas and answer 429 until the
period rolls over; a fixed window aligned to the wall-clock minute reproduces that, and lets
``X-RateLimit-Reset`` say exactly when the quota comes back.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    """The outcome of one hit. ``limit`` is None when the server is unlimited."""

    allowed: bool
    limit: int | None
    remaining: int | None
    reset_seconds: int
    window_start: float

    @property
    def retry_after(self) -> int:
        """Whole seconds until the window rolls over (at least 1)."""
        return max(1, self.reset_seconds)


class RateLimiter:
    """Counts hits in the current ``window_seconds`` window; ``limit=None`` never refuses."""

    def __init__(
        self,
        limit: int | None = None,
        window_seconds: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._wall_clock = clock
        self._window_start = 0.0
        self._used = 0

    @property
    def limit(self) -> int | None:
        return self._limit

    def configure(self, limit: int | None) -> None:
        """Change the quota and start a fresh window (tests set a small quota, then exercise it)."""
        with self._lock:
            self._limit = limit
            self._used = 0
            self._window_start = self._current_window()

    def set_clock(self, at: float | None) -> None:
        """Stop the quota's clock at ``at`` (seconds since the epoch), or back to the wall clock
        with ``None``: a test then knows where in the window it is, without sleeping."""
        with self._lock:
            self._clock = self._wall_clock if at is None else (lambda: at)
            self._used = 0
            self._window_start = self._current_window()

    @property
    def clock_frozen_at(self) -> float | None:
        return None if self._clock is self._wall_clock else self._clock()

    def reset(self) -> None:
        with self._lock:
            self._used = 0

    def _current_window(self) -> float:
        now = self._clock()
        return now - (now % self.window_seconds)

    def hit(self) -> RateDecision:
        """Count one call and say whether it is within the quota."""
        with self._lock:
            window = self._current_window()
            if window != self._window_start:
                self._window_start = window
                self._used = 0
            reset = math.ceil(window + self.window_seconds - self._clock())
            if self._limit is None:
                self._used += 1
                return RateDecision(True, None, None, reset, window)
            if self._used >= self._limit:
                return RateDecision(False, self._limit, 0, reset, window)
            self._used += 1
            return RateDecision(True, self._limit, self._limit - self._used, reset, window)
