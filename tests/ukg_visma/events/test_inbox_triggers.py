"""The inbox triggers, run as the triggerer runs them (their async generators) on a real inbox.

A real SQLite audit store, events written by ``put_event`` exactly as the receiver writes them;
the trigger finds the store as it does in the triggerer (``UKG_VISMA_AUDIT_URL`` here). The
end-to-end path through Airflow's processes is ``tests/distributed/test_webhooks_start_work.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib

import pytest

from ukg_visma.audit import inbox
from ukg_visma.audit.store import get_engine
from ukg_visma.employees.models import WebhookEvent
from ukg_visma.events.triggers import (
    GLExportEventTrigger,
    InboxEmployeeEventsTrigger,
    InboxGLExportEventsTrigger,
)

WAIT = 30  # an upper bound for "the trigger fires", never a measured duration


@pytest.fixture
def engine(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/audit.db"
    monkeypatch.setenv("UKG_VISMA_AUDIT_URL", url)
    return get_engine(url)


def event(event_id: str, event_type: str = "EmployeeHireEvent", **payload: str) -> WebhookEvent:
    if event_type.startswith("Employee"):
        payload.setdefault("EeId", f"ee-{event_id}")
    return WebhookEvent.model_validate(
        {
            "EventId": event_id,
            "EventTime": dt.datetime.now(dt.UTC),
            "EventType": event_type,
            "Operation": "Insert",
            "Payload": {"CoId": "C0001", **payload},
            "Tenant": "nordicmfg",
        }
    )


def roundtrip(trigger):
    """The trigger as the triggerer rebuilds it from the metadata DB (classpath + kwargs)."""
    classpath, kwargs = trigger.serialize()
    module, name = classpath.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)(**kwargs)


async def first(gen, timeout: float = WAIT):
    return (await asyncio.wait_for(anext(gen), timeout)).payload


async def collect(gen, into: list) -> None:
    async for fired in gen:
        into.append(fired.payload)


async def until(check, timeout: float = WAIT) -> None:
    async def poll():
        while not check():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


def test_a_burst_of_employee_events_is_one_announcement(engine):
    async def scenario():
        trigger = roundtrip(InboxEmployeeEventsTrigger(poll_s=0.05, settle_s=0.3))
        fired: list[dict] = []
        watcher = asyncio.ensure_future(collect(trigger.run(), fired))
        for n in range(100):  # a mass update: 100 webhooks while the trigger watches
            inbox.put_event(engine, event(f"burst-{n}"))
        await until(lambda: fired)
        await asyncio.sleep(1.0)  # many more looks at the inbox: nothing newer, nothing fired
        assert [f["pending"] for f in fired] == [100]  # one asset event for the whole burst

        inbox.put_event(engine, event("later-1"))  # a newer event is announced again
        await until(lambda: len(fired) == 2)
        assert fired[1]["pending"] == 101
        assert fired[1]["newest_received_at"] > fired[0]["newest_received_at"]
        watcher.cancel()

    asyncio.run(scenario())


def test_processed_and_payroll_events_start_no_employee_sync(engine):
    inbox.put_event(engine, event("done-1"))
    inbox.mark_processed(engine, ["done-1"], "run-1")
    inbox.put_event(engine, event("gl-1", "PayrollGLExportCompletedEvent", RunId="NMF-202611-R1"))

    async def scenario():
        fired: list[dict] = []
        watcher = asyncio.ensure_future(
            collect(InboxEmployeeEventsTrigger(poll_s=0.05, settle_s=0.1).run(), fired)
        )
        await asyncio.sleep(1.0)  # twenty looks at the inbox
        assert fired == [] and not watcher.done()
        watcher.cancel()

    asyncio.run(scenario())
    assert inbox.pending_summary(engine) == (0, None)


def test_unprocessed_events_are_announced_after_a_restart(engine):
    """A triggerer restart loses the trigger's memory, never an event: the inbox has them."""
    inbox.put_event(engine, event("before-restart"))

    async def scenario():
        gen = InboxEmployeeEventsTrigger(poll_s=0.05, settle_s=0.05).run()
        assert (await first(gen))["pending"] == 1
        await gen.aclose()

    asyncio.run(scenario())


def test_gl_trigger_fires_on_an_event_after_since_with_its_run_id(engine):
    inbox.put_event(engine, event("gl-old", "PayrollGLExportCompletedEvent", RunId="NMF-202610-R1"))
    since = dt.datetime.now(dt.UTC)

    async def scenario():
        trigger = roundtrip(GLExportEventTrigger(since=since.isoformat(), poll_s=0.05))
        gen = trigger.run()
        pending = asyncio.ensure_future(first(gen))
        inbox.put_event(engine, event("hire-x"))  # another kind: not this trigger's business
        inbox.put_event(
            engine, event("gl-new", "PayrollGLExportCompletedEvent", RunId="NMF-202611-R1")
        )
        fired = await pending
        assert fired["reason"] == "event"
        assert [(e["event_id"], e["run_id"]) for e in fired["events"]] == [
            ("gl-new", "NMF-202611-R1")
        ]

    asyncio.run(scenario())


def test_gl_trigger_skips_seen_events_and_falls_back_to_a_poke(engine):
    since = dt.datetime.now(dt.UTC)
    inbox.put_event(engine, event("gl-seen", "PayrollGLExportCompletedEvent", RunId="X-1"))

    async def scenario():
        gen = GLExportEventTrigger(
            since=since.isoformat(), seen=["gl-seen"], wait_s=0.3, poll_s=0.05
        ).run()
        assert await first(gen) == {"reason": "poke", "events": []}

    asyncio.run(scenario())


def test_events_since_filters_type_time_and_status(engine):
    inbox.put_event(engine, event("a", "PayrollGLExportCompletedEvent", RunId="R-1"))
    middle = dt.datetime.now(dt.UTC)
    inbox.put_event(engine, event("b", "PayrollGLExportCompletedEvent", RunId="R-2"))
    inbox.put_event(engine, event("c"))
    inbox.mark_processed(engine, ["b"], "run-9")
    gl = "PayrollGLExportCompletedEvent"
    assert [r["event_id"] for r in inbox.events_since(engine, gl)] == ["a", "b"]
    assert [r["event_id"] for r in inbox.events_since(engine, gl, middle)] == ["b"]
    assert [r["event_id"] for r in inbox.events_since(engine, gl, status="new")] == ["a"]
    count, newest = inbox.pending_summary(engine)
    assert count == 1 and newest is not None and newest.tzinfo is not None


def test_gl_watcher_announces_gl_events_left_unprocessed_and_nothing_else(engine):
    """The ``ukg_gl_export_events`` watcher: GL events no waiting run took, never employee
    events, never the ones a period's sensor already marked processed."""
    inbox.put_event(engine, event("hire-1"))
    inbox.put_event(engine, event("gl-taken", "PayrollGLExportCompletedEvent", RunId="R-1"))
    inbox.mark_processed(engine, ["gl-taken"], "payroll-run-1")  # the sensor took it

    async def scenario():
        trigger = roundtrip(InboxGLExportEventsTrigger(poll_s=0.05, settle_s=0.2))
        assert trigger.type_prefix == "PayrollGLExportCompletedEvent"
        fired: list[dict] = []
        watcher = asyncio.ensure_future(collect(trigger.run(), fired))
        await asyncio.sleep(0.6)
        assert fired == []  # an employee event and a taken GL event: nothing to announce
        inbox.put_event(
            engine, event("gl-past", "PayrollGLExportCompletedEvent", RunId="NMF-202608-R1")
        )
        await until(lambda: fired)
        await asyncio.sleep(0.4)
        assert [f["pending"] for f in fired] == [1]
        watcher.cancel()

    asyncio.run(scenario())
