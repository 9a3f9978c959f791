"""The durable webhook inbox and the record of rejected webhook requests.

The receiver must answer UKG within milliseconds and must never lose an accepted event, so it only
writes one row here; the employee sync drains the inbox later. ``EventId`` is the primary key and
the insert is ``ON CONFLICT DO NOTHING``: the database, not a read-then-write in Python, decides
which of many concurrent deliveries of the same event wins — on SQLite and PostgreSQL alike.

Rejections keep only what helps an operator (status, short reason, the body's size and SHA-256,
the remote address): never the body, never a header, never the secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, and_, func, select, update

from ukg_visma.audit.schema import inbox, webhook_rejections
from ukg_visma.audit.store import upsert, upsert_insert, utcnow

if TYPE_CHECKING:
    from ukg_visma.employees.models import WebhookEvent


def _as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC, so say so again on the way out."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def put_event(
    engine: Engine, event: WebhookEvent, *, received_at: dt.datetime | None = None
) -> bool:
    """Enqueue an event once; ``False`` when its ``EventId`` is already in the inbox."""
    row = {
        "event_id": event.EventId,
        "event_type": event.EventType,
        "event_time": event.EventTime.astimezone(dt.UTC),
        "employee_id": event.Payload.EeId,
        "company_id": event.Payload.CoId,
        "payload": event.model_dump(mode="json"),
        "received_at": received_at or utcnow(),
        "status": "new",
    }
    stmt = (
        upsert_insert(engine, inbox)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount == 1


def record_rejection(
    engine: Engine,
    status_code: int,
    reason: str,
    *,
    body: bytes | None = None,
    body_size: int | None = None,
    remote: str | None = None,
    at: dt.datetime | None = None,
    times: int = 1,
) -> int:
    """Count a refused request in its source's row for the minute; returns the minute's count.

    The first refusal of a source in a minute makes the row (status, reason, body hash and size
    — never what the body said); later ones only add to ``count`` and set ``last_*``.
    ``times`` counts several refusals at once (those a rate limit answered without a write).
    """
    now = at or utcnow()
    window = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    source = (remote or "")[:80]
    digest = hashlib.sha256(body).hexdigest() if body is not None else None
    row = {
        "received_at": now,
        "status_code": int(status_code),
        "reason": reason[:200],
        "body_sha256": digest,
        "body_size": len(body) if body is not None else body_size,
        "remote": source,
        "window_start": window,
        "count": times,
        "last_status_code": int(status_code),
        "last_reason": reason[:200],
    }
    stmt = upsert(
        engine,
        webhook_rejections,
        ["remote", "window_start"],
        replace=("last_status_code", "last_reason"),
        accumulate=("count",),
    )
    key = (webhook_rejections.c.remote == source) & (webhook_rejections.c.window_start == window)
    with engine.begin() as conn:
        conn.execute(stmt, row)
        return int(conn.execute(select(webhook_rejections.c.count).where(key)).scalar_one())


def _row(r: Any) -> dict[str, Any]:
    out = dict(r._mapping)
    for key in ("event_time", "received_at", "processed_at"):
        if key in out:
            out[key] = _as_utc(out[key])
    return out


def pending_events(
    engine: Engine, limit: int = 1000, *, type_prefix: str = ""
) -> list[dict[str, Any]]:
    """Unprocessed events, oldest first (``payload`` is the event as received, parsed).

    ``type_prefix`` keeps one family (``Employee``): a pile of another family's events (GL export
    events wait for the pay-period sensor) must never crowd a reader's page out.
    """
    q = (
        select(inbox)
        .where(inbox.c.status == "new", inbox.c.event_type.startswith(type_prefix))
        .order_by(inbox.c.received_at, inbox.c.event_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(q)]


def mark_processed(engine: Engine, event_ids: Iterable[str], run_id: str) -> int:
    """Mark events as drained by ``run_id``; already-processed ones keep their first run."""
    ids = list(dict.fromkeys(event_ids))
    done = 0
    now = utcnow()
    with engine.begin() as conn:
        for start in range(0, len(ids), 500):
            result = conn.execute(
                update(inbox)
                .where(
                    and_(inbox.c.event_id.in_(ids[start : start + 500]), inbox.c.status == "new")
                )
                .values(status="processed", processed_at=now, processed_by_run=run_id)
            )
            done += result.rowcount
    return done


def fetch_events(engine: Engine, event_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Inbox rows (all, or the given ids), for audits and tests."""
    q = select(inbox).order_by(inbox.c.received_at, inbox.c.event_id)
    if event_ids is not None:
        q = q.where(inbox.c.event_id.in_(list(event_ids)))
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(q)]


def count_events(engine: Engine, status: str | None = None) -> int:
    q = select(func.count()).select_from(inbox)
    if status is not None:
        q = q.where(inbox.c.status == status)
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def fetch_rejections(engine: Engine, limit: int = 1000) -> list[dict[str, Any]]:
    """Most recent rejections first."""
    q = select(webhook_rejections).order_by(webhook_rejections.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for row in rows:
        row["received_at"] = _as_utc(row["received_at"])
    return rows


def pending_summary(
    engine: Engine, type_prefix: str = "Employee"
) -> tuple[int, dt.datetime | None]:
    """How many unprocessed events of a kind wait, and when the newest of them arrived.

    One cheap aggregate (``ix_inbox_status``): what the inbox-watching trigger polls.
    """
    q = select(func.count(), func.max(inbox.c.received_at)).where(
        and_(inbox.c.status == "new", inbox.c.event_type.like(f"{type_prefix}%"))
    )
    with engine.connect() as conn:
        count, newest = conn.execute(q).one()
    return int(count or 0), _as_utc(newest)


def events_since(
    engine: Engine,
    event_type: str,
    since: dt.datetime | None = None,
    *,
    status: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Events of ``event_type`` received at or after ``since`` (any status, or ``status``),
    oldest first."""
    where = [inbox.c.event_type == event_type]
    if since is not None:
        since = since.astimezone(dt.UTC)
        if engine.dialect.name == "sqlite":  # stored naive (UTC): compare like with like
            since = since.replace(tzinfo=None)
        where.append(inbox.c.received_at >= since)
    if status is not None:
        where.append(inbox.c.status == status)
    q = (
        select(inbox)
        .where(and_(*where))
        .order_by(inbox.c.received_at, inbox.c.event_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(q)]
