"""The record of UKG change-feed calls (``feed_calls``): when, by which run, how many pages.

The employee sync keeps UKG's call budget for ``GET /personnel/v1/employee-changes``
(``employees.feed_budget``) from this record. It counts only the calls made by deployments that
share this audit store: two deployments on one tenant with separate stores each keep their own
budget and together can exceed UKG's (docs/contracts.md §4).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ukg_visma.audit.schema import feed_calls


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def start_call(
    engine: Engine,
    *,
    called_at: dt.datetime,
    run_id: str,
    window_start: dt.datetime | None,
    window_end: dt.datetime | None,
) -> int:
    """Record a feed call about to be made (before it: a lost answer still counted at UKG)."""
    with engine.begin() as conn:
        result = conn.execute(
            insert(feed_calls).values(
                called_at=_utc(called_at),
                run_id=run_id[:250],
                window_start=_utc(window_start),
                window_end=_utc(window_end),
            )
        )
        (key,) = result.inserted_primary_key or (0,)
    return int(key or 0)


def finish_call(engine: Engine, call_id: int, *, pages: int, snapshots: int) -> None:
    """What the call read, once it has."""
    with engine.begin() as conn:
        conn.execute(
            update(feed_calls)
            .where(feed_calls.c.id == call_id)
            .values(pages=pages, snapshots=snapshots)
        )


def calls_since(engine: Engine, since: dt.datetime) -> list[dict[str, Any]]:
    """Feed calls made at or after ``since``, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(feed_calls)
            .where(feed_calls.c.called_at >= _utc(since))
            .order_by(feed_calls.c.called_at, feed_calls.c.id)
        ).mappings()
        return [
            {
                **row,
                "called_at": _utc(row["called_at"]),
                "window_start": _utc(row["window_start"]),
                "window_end": _utc(row["window_end"]),
            }
            for row in rows
        ]
