"""The call log: every non-admin request a sandbox server saw, for tests and benchmarks."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any


class CallLog:
    """A bounded, thread-safe list of calls, each with a sequence number.

    ``status`` is the HTTP status the client received, or None when the connection was dropped
    (then ``committed_status`` says what the endpoint answered before the drop).
    """

    def __init__(self, maxlen: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._calls: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._seq = itertools.count(1)

    def record(
        self,
        *,
        method: str,
        path: str,
        query: str,
        status: int | None,
        duration_ms: float,
        fault: str | None = None,
        committed_status: int | None = None,
    ) -> None:
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "status": status,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "duration_ms": round(duration_ms, 2),
            "fault": fault,
            "dropped": fault == "drop_response_after_commit",
            "committed_status": committed_status,
        }
        with self._lock:
            entry["seq"] = next(self._seq)
            self._calls.append(entry)

    def list(self, since: int = 0) -> list[dict[str, Any]]:
        """Calls with ``seq > since``, oldest first."""
        with self._lock:
            return [dict(call) for call in self._calls if call["seq"] > since]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
