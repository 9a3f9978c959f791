"""Triggers that watch the webhook inbox, run by Airflow's triggerer.

The receiver stays what it was: authenticate, write one inbox row, answer 202. Work starts from
the inbox, the one durable record of what UKG announced — never from the HTTP request itself:

- :class:`InboxEmployeeEventsTrigger` is the ``AssetWatcher`` trigger of the ``ukg_employee_events``
  asset. It polls one aggregate (unprocessed ``Employee*`` events: how many, the newest arrival)
  and fires once when something newer than what it last announced is waiting, after a short
  settle time so that a burst (UKG's mass updates) is one asset event, not one per webhook.
  Airflow turns each firing into an asset event, and the employee-sync DAG, scheduled on
  ``AssetOrTimeSchedule``, gets a run.
- :class:`GLExportEventTrigger` is what the pay-period sensor defers to: it fires as soon as a
  ``PayrollGLExportCompletedEvent`` arrives after the sensor's last look at UKG (or when the poke
  interval has passed, the safety net for a webhook UKG never delivered).

Neither trigger holds a secret in its kwargs (they are stored in Airflow's metadata DB): the audit
store's URL is resolved in the triggerer from the ``ukg_visma_audit`` connection (or the
``UKG_VISMA_AUDIT_URL`` variable of the environment) at run time. Database work runs in a thread
so the triggerer's event loop never blocks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, BaseTrigger, TriggerEvent

from ukg_visma.ukg_events import GL_EXPORT_EVENT

if TYPE_CHECKING:  # the DAG files import this module at parse time: no SQLAlchemy there
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

AUDIT_CONN_ID = "ukg_visma_audit"
EMPLOYEE_PREFIX = "Employee"


def _sqlalchemy_url(uri: str) -> str:
    for scheme in ("postgres://", "postgresql://"):
        if uri.startswith(scheme):
            return "postgresql+psycopg2://" + uri[len(scheme) :]
    return uri


async def audit_engine_async(conn_id: str = AUDIT_CONN_ID) -> Engine:
    """The audit store's engine, found as the tasks find it (env, connection, default)."""
    from ukg_visma.audit.store import get_engine

    url = os.environ.get("UKG_VISMA_AUDIT_URL")
    if not url:
        from airflow.sdk import BaseHook

        try:
            url = _sqlalchemy_url((await BaseHook.aget_connection(conn_id)).get_uri())
        except Exception as exc:  # not defined: the default SQLite store, as the tasks use
            log.info("no %s connection (%s): the default audit store", conn_id, type(exc).__name__)
            url = None
    return await asyncio.to_thread(get_engine, url)


class InboxEmployeeEventsTrigger(BaseEventTrigger):
    """Fires when unprocessed employee events newer than the last announcement are waiting.

    ``poll_s``: seconds between two looks at the inbox; ``settle_s``: how long a burst may keep
    arriving before it is announced (the announcement then covers all of it). After a triggerer
    restart the first look announces whatever is still unprocessed: at least once, never lost —
    a run too many drains nothing and costs one poll of UKG's change feed.
    """

    type_prefix = EMPLOYEE_PREFIX  # the family of inbox events this trigger announces

    def __init__(
        self, *, poll_s: float = 2.0, settle_s: float = 3.0, conn_id: str = AUDIT_CONN_ID
    ) -> None:
        super().__init__()
        self.poll_s = float(poll_s)
        self.settle_s = float(settle_s)
        self.conn_id = conn_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"poll_s": self.poll_s, "settle_s": self.settle_s, "conn_id": self.conn_id},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from ukg_visma.audit.inbox import pending_summary

        engine: Engine | None = None
        announced: dt.datetime | None = None
        failures = 0
        while True:
            try:
                if engine is None:
                    engine = await audit_engine_async(self.conn_id)
                count, newest = await asyncio.to_thread(pending_summary, engine, self.type_prefix)
                if count and newest is not None and (announced is None or newest > announced):
                    await asyncio.sleep(self.settle_s)  # let the rest of a burst land
                    count, newest = await asyncio.to_thread(
                        pending_summary, engine, self.type_prefix
                    )
                    if count and newest is not None:
                        announced = newest
                        log.info("%d %s event(s) waiting in the inbox: announcing",
                                 count, self.type_prefix)  # fmt: skip
                        yield TriggerEvent(
                            {"pending": count, "newest_received_at": newest.isoformat()}
                        )
                failures = 0
            except Exception as exc:  # the store is down: keep watching, back off, say so once
                failures += 1
                if failures == 1:
                    log.warning("inbox not readable (%s); retrying", type(exc).__name__)
                await asyncio.sleep(min(60.0, self.poll_s * 2**failures))
                continue
            await asyncio.sleep(self.poll_s)


class InboxGLExportEventsTrigger(InboxEmployeeEventsTrigger):
    """Fires when ``PayrollGLExportCompletedEvent``s are left unprocessed in the inbox: the
    ``AssetWatcher`` trigger of ``ukg_gl_export_events`` (the GL events DAG).

    The long ``settle_s`` is deliberate: a period whose sensor is waiting takes its own events
    within seconds (``GLExportEventTrigger``, ``poll_s`` 2 s) and marks them processed; what is
    still unprocessed after the settle time belongs to no waiting run — a re-export of a past
    period, or a period whose run has not started — and the GL events DAG starts that period's
    run.
    """

    type_prefix = GL_EXPORT_EVENT

    def __init__(
        self, *, poll_s: float = 5.0, settle_s: float = 60.0, conn_id: str = AUDIT_CONN_ID
    ) -> None:
        super().__init__(poll_s=poll_s, settle_s=settle_s, conn_id=conn_id)


class GLExportEventTrigger(BaseTrigger):
    """Fires on the first ``PayrollGLExportCompletedEvent`` received at or after ``since`` that is
    not in ``seen``, or with ``{"reason": "poke"}`` once ``wait_s`` has passed."""

    def __init__(
        self,
        *,
        since: str,
        seen: list[str] | None = None,
        wait_s: float = 1800.0,
        poll_s: float = 2.0,
        conn_id: str = AUDIT_CONN_ID,
    ) -> None:
        super().__init__()
        self.since = since
        self.seen = list(seen or [])
        self.wait_s = float(wait_s)
        self.poll_s = float(poll_s)
        self.conn_id = conn_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "since": self.since,
                "seen": self.seen,
                "wait_s": self.wait_s,
                "poll_s": self.poll_s,
                "conn_id": self.conn_id,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from ukg_visma.audit.inbox import events_since

        since = dt.datetime.fromisoformat(self.since)
        seen = set(self.seen)
        deadline = time.monotonic() + self.wait_s
        engine: Engine | None = None
        while True:
            try:
                if engine is None:
                    engine = await audit_engine_async(self.conn_id)
                rows = await asyncio.to_thread(events_since, engine, GL_EXPORT_EVENT, since)
                fresh = [r for r in rows if r["event_id"] not in seen]
                if fresh:
                    yield TriggerEvent({"reason": "event", "events": [_brief(r) for r in fresh]})
                    return
            except Exception as exc:  # the store is down: the poke interval still ends the wait
                log.warning("inbox not readable (%s); retrying", type(exc).__name__)
            if time.monotonic() >= deadline:
                yield TriggerEvent({"reason": "poke", "events": []})
                return
            await asyncio.sleep(self.poll_s)


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    """What the sensor needs of an inbox row (no employee data: GL events carry a run id)."""
    payload = row.get("payload") or {}
    return {
        "event_id": row["event_id"],
        "run_id": (payload.get("Payload") or {}).get("RunId"),
        "received_at": row["received_at"].isoformat(),
    }
