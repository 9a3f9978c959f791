"""UKG's change-feed budget (at most 8 calls a day, at least 3 hours apart), with the default
settings, judged from the **sandbox's** call log (``GET /_sandbox/feed-calls``: what UKG saw),
not from our own ``feed_calls`` record; the changes are judged from Visma's state.

A busy day compressed into seconds: the initial load, a scheduled run that polls, a burst of
webhook-started runs (hires, a termination, a transfer) that must reach Visma without a poll, a
scheduled run inside the 3 h window that defers its poll and says so, and — "3 hours later" —
the next scheduled poll that still finds the change whose webhook UKG never sent.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from employee_sync_helpers import (
    change_ukg,
    engine,
    new_hire,
    receiver,
    subscribe,
    sync,
    termination,
    transfer,
    ukg_employees,
    visma_employees,
)
from sandbox_fixture import configure, override_settings

from ukg_visma.audit import employees as state
from ukg_visma.audit import feed_calls

pytestmark = pytest.mark.e2e


def _feed(sandbox):
    return sandbox.ukg_admin("GET", "feed-calls")


def test_a_busy_day_keeps_the_feed_budget_and_still_reaches_visma(sandbox, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=31, employees=80, gl_runs=False)
    mappings = configure(monkeypatch, sandbox, tmp_path)  # default budget: 8 a day, 3 h apart
    first = sync("initial")
    assert first["extracted"]["mode"] == "full"
    assert _feed(sandbox)["count"] == 0  # the initial load reads the lists, not the feed

    polled = sync("scheduled-1", trigger="scheduled")
    assert polled["extracted"]["feed"]["polled"] is True
    assert polled["extracted"]["feed"]["calls_today"] == 1
    assert _feed(sandbox)["count"] == 1
    mark = state.get_watermark(engine())

    people = [e for e in ukg_employees(sandbox).values()
              if e["employeeStatus"] == "A" and e["emailAddress"]]  # fmt: skip
    leaver, mover = people[0], people[1]
    with receiver(f"sqlite:///{tmp_path}/audit.db") as url:
        subscribe(sandbox, url)
        for i, batch in enumerate(
            [
                [new_hire(f"97{i:04d}", "110") for i in range(5)],
                [termination(leaver)],
                [transfer(mover, random.Random(3))],
            ]
        ):
            change_ukg(sandbox, batch)
            run = sync(f"webhook-{i}", trigger="webhook")
            feed = run["extracted"]["feed"]
            assert feed["polled"] is False and "webhook-started" in feed["reason"]
            assert run["extracted"]["mode"] == "events"
            assert run["checked"]["mismatches"] == 0, run["checked"]
            text = Path(run["checked"]["report"]).read_text(encoding="utf-8")
            assert "## UKG change-feed calls" in text
            assert "- Feed calls today (UTC): 1; last call: " in text
            assert "- This run polled the feed: no — webhook-started run" in text
        sandbox.ukg_admin("DELETE", "webhooks")

    # every change reached Visma, with no feed poll beyond the first (UKG's view)
    assert _feed(sandbox)["count"] == 1
    visma = visma_employees(sandbox)
    assert all(visma[f"97{i:04d}"]["status"] == "Active" for i in range(5))
    assert visma[leaver["employeeNumber"]]["status"] == "Inactive"
    assert (
        visma[mover["employeeNumber"]]["department"]
        == ukg_employees(sandbox)[mover["employeeId"]]["orgLevel3Code"]
    )
    assert state.get_watermark(engine()) == mark  # by-id runs do not move it

    # a change UKG sends no webhook for (the subscription is gone), then a scheduled run inside
    # the 3 h window: it defers its poll, says so, and keeps the watermark
    lost = new_hire("979999", "120")
    change_ukg(sandbox, [lost])
    deferred = sync("scheduled-2", trigger="scheduled")
    feed = deferred["extracted"]["feed"]
    assert feed["polled"] is False and feed["reason"].startswith("deferred: the last feed call")
    assert feed["next_allowed"] is not None
    text = Path(deferred["checked"]["report"]).read_text(encoding="utf-8")
    assert "- This run polled the feed: no — deferred: the last feed call was" in text
    assert "- Next poll allowed from: " in text
    seen = _feed(sandbox)
    assert seen["count"] == 1 and seen["violations"] == []
    assert "979999" not in visma_employees(sandbox)
    assert state.get_watermark(engine()) == mark
    # our record agrees with UKG's view
    (call,) = feed_calls.calls_since(engine(), mark.replace(year=mark.year - 1))
    assert call["pages"] == seen["calls"][0]["pages"] and call["run_id"].endswith("scheduled-1")

    # "3 hours later": the next scheduled run may poll again (the gap setting stands in for
    # the wait) and finds the change without a webhook, from the watermark kept above
    override_settings(mappings, employee_sync={"feed_min_hours_apart": 0})
    later = sync("scheduled-3", trigger="scheduled")
    assert later["extracted"]["feed"]["polled"] is True
    assert later["extracted"]["window_start"] <= polled["extracted"]["window_end"]
    assert visma_employees(sandbox)["979999"]["status"] == "Active"
    assert _feed(sandbox)["count"] == 2
    assert later["extracted"]["feed"]["calls_today"] == 2


def test_the_daily_limit_defers_a_scheduled_poll(sandbox, monkeypatch, tmp_path):
    """``feed_max_calls_per_day`` caps polls per UTC day even when the gap would allow one."""
    sandbox.reset(scenario="manufacturer", seed=31, employees=30, gl_runs=False)
    configure(
        monkeypatch,
        sandbox,
        tmp_path,
        employee_sync={"feed_min_hours_apart": 0, "feed_max_calls_per_day": 2},
    )
    sync("initial")
    assert [
        sync(f"s{i}", trigger="scheduled")["extracted"]["feed"]["polled"] for i in range(3)
    ] == [
        True,
        True,
        False,
    ]
    assert _feed(sandbox)["count"] == 2
    last = sync("s3", trigger="scheduled")["extracted"]["feed"]
    assert last["reason"] == "deferred: 2 feed call(s) today already (at most 2 a day)"
