"""The change feed's call budget: may this run poll ``GET /personnel/v1/employee-changes``?

UKG asks that the feed be called at most 8 times a day and at least 3 hours apart
(``employee_sync.feed_max_calls_per_day`` / ``feed_min_hours_apart``). A webhook burst starts a
run within seconds, so polling on every run would spend a day's budget before noon. The rule,
pure (times in, a verdict out):

- a **webhook-started** run never polls: it reads the employees its events name by id
  (``employee-changes/{employeeId}``), which is not a feed poll;
- any other run (scheduled, manual) polls when the last feed call is at least
  ``feed_min_hours_apart`` ago and fewer than ``feed_max_calls_per_day`` were made this UTC day;
  otherwise it **defers** its poll (the watermark stays, so the next run's window covers it).

One feed call = one paged read of one window (its pages are one call: the pages are the same
question asked page by page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

WEBHOOK = "webhook"


@dataclass(frozen=True)
class FeedVerdict:
    """Whether to poll now, why not, and the figures the run report shows."""

    poll: bool
    reason: str
    calls_today: int
    last_call: dt.datetime | None
    next_allowed: dt.datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "polled": self.poll,
            "reason": self.reason,
            "calls_today": self.calls_today,
            "last_call": _iso(self.last_call),
            "next_allowed": _iso(self.next_allowed),
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds") if moment else None


def _day_start(moment: dt.datetime) -> dt.datetime:
    utc = moment.astimezone(dt.UTC)
    return dt.datetime.combine(utc.date(), dt.time.min, tzinfo=dt.UTC)


def decide(
    calls: Iterable[dt.datetime],
    now: dt.datetime,
    *,
    trigger: str,
    min_hours_apart: float,
    max_per_day: int,
) -> FeedVerdict:
    """The verdict for a run started by ``trigger`` at ``now``, given earlier feed calls."""
    past = sorted(c for c in calls if c <= now)
    last = past[-1] if past else None
    today = sum(1 for c in past if c >= _day_start(now))
    gap = dt.timedelta(hours=min_hours_apart)
    after_gap = last + gap if last else None
    tomorrow = _day_start(now) + dt.timedelta(days=1)
    if trigger == WEBHOOK:
        return FeedVerdict(
            False,
            "webhook-started run: reads the employees its events name by id, no feed poll",
            today,
            last,
            after_gap,
        )
    if today >= max_per_day:
        later = max(tomorrow, after_gap) if after_gap else tomorrow
        return FeedVerdict(
            False,
            f"deferred: {today} feed call(s) today already (at most {max_per_day} a day)",
            today,
            last,
            later,
        )
    if after_gap is not None and now < after_gap:
        return FeedVerdict(
            False,
            f"deferred: the last feed call was {_iso(last)}, less than {min_hours_apart:g} h ago",
            today,
            last,
            after_gap,
        )
    return FeedVerdict(True, "polled the change feed", today, last, None)
