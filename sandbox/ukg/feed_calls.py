"""UKG's view of the change-feed call budget: every ``GET /personnel/v1/employee-changes`` poll
the sandbox answered, and whether the client kept "at most 8 a day, at least 3 hours apart".

Judged from the sandbox's own call log (what UKG would see), never from the client's records.
One call = one window read page by page: a request of page 1 (or without ``page``) starts a call;
later pages of the same ``startDate``/``endDate`` belong to it. ``employee-changes/{employeeId}``
is a by-id read, not a feed poll.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

FEED_PATH = "/personnel/v1/employee-changes"
MAX_PER_DAY = 8
MIN_APART = timedelta(hours=3)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def feed_calls(calls: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"calls": [{time, startDate, endDate, pages}], "violations": [text]}`` of a call log."""
    found: list[dict[str, Any]] = []
    for call in calls:
        if call.get("method") != "GET" or call.get("path") != FEED_PATH:
            continue
        query = {k: v[0] for k, v in parse_qs(str(call.get("query") or "")).items()}
        window = (query.get("startDate"), query.get("endDate"))
        page = query.get("page", "1")
        last = found[-1] if found else None
        if page != "1" and last is not None and last["window"] == window:
            last["pages"] += 1
            continue
        found.append({"time": call["time"], "window": window, "pages": 1})
    violations: list[str] = []
    for before, after in itertools.pairwise(found):
        gap = _moment(after["time"]) - _moment(before["time"])
        if gap < MIN_APART:
            violations.append(f"feed call at {after['time']} only {gap} after {before['time']}")
    per_day: dict[str, int] = {}
    for call in found:
        day = _moment(call["time"]).date().isoformat()
        per_day[day] = per_day.get(day, 0) + 1
    violations += [
        f"{n} feed calls on {day} (at most {MAX_PER_DAY})"
        for day, n in sorted(per_day.items())
        if n > MAX_PER_DAY
    ]
    return {
        "count": len(found),
        "calls": [
            {
                "time": c["time"],
                "startDate": c["window"][0],
                "endDate": c["window"][1],
                "pages": c["pages"],
            }
            for c in found
        ],
        "perDay": per_day,
        "violations": violations,
    }
