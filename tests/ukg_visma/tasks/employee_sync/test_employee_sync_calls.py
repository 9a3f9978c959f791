"""Calls to Visma grow with the number of changes, not with the number of employees.

5,000 employees are loaded once (seeded through the sandbox's admin routes, then the real first
sync finds them all in place: ``seed_initial_load``); then 10 changes are synced and every Visma
call of that run is counted from the sandbox's call log. The bound (a few calls per change plus a
handful per run) does not mention 5,000: reading the employee list, or one GET per employee,
would break it. A first sync that creates everyone over HTTP is ``test_employee_sync.py``'s.

The seeded employees carry Visma stamps an hour old, so the mirror's re-read overlap (seconds
before its cursor) holds none of them: the count no longer depends on how fast the machine made
the load (it once read 1,000+ employees in that overlap and paged twice more: 28 > 26 calls).
"""

from __future__ import annotations

import collections
import random

import pytest
from employee_sync_helpers import (
    RUNS_HOURS_APART,
    assert_converged,
    change_ukg,
    last_seq,
    new_hire,
    rehire,
    seed_initial_load,
    sync,
    termination,
    transfer,
    ukg_employees,
    visma_calls,
)
from sandbox_fixture import configure

pytestmark = [pytest.mark.e2e, pytest.mark.journey]
EMPLOYEES = 5000
CHANGES = 10
PER_CHANGE = 2  # GET + PUT (If-Match) for an update, one POST for a hire
PER_RUN = 6  # mirror delta before and after, SUBACCOUNT (drift), departments, and slack


@pytest.fixture
def big(sandbox, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=5, employees=EMPLOYEES, gl_runs=False)
    configure(monkeypatch, sandbox, tmp_path, employee_sync={**RUNS_HOURS_APART, "batch_size": 200})
    seed_initial_load(sandbox)
    return sandbox


def test_ten_changes_among_5000_employees_cost_calls_per_change(big):
    people = list(ukg_employees(big).values())
    assert sum(e["employeeStatus"] != "T" for e in people) > 4500
    rng = random.Random(3)
    active = [e for e in people if e["employeeStatus"] == "A"]
    gone = [e for e in people if e["employeeStatus"] == "T"]
    rng.shuffle(active)
    batch = [
        new_hire("970001", "210"),
        new_hire("970002", "320"),
        new_hire("970003", "150"),
        termination(active[0]),
        termination(active[1]),
        termination(active[2]),
        transfer(active[3], rng),
        transfer(active[4], rng),
        transfer(active[5], rng),
        rehire(gone[0]),
    ]
    assert len(batch) == CHANGES
    change_ukg(big, batch)

    seq = last_seq(big, "visma")
    result = sync("ten-changes")
    calls = visma_calls(big, seq)
    assert result["extracted"]["queued"] == CHANGES
    # the mirror's delta re-read only the few seeded employees inside its overlap: one page
    assert result["applied"]["mirror"]["full"] is False
    assert result["applied"]["mirror"]["read"] <= 10, result["applied"]["mirror"]
    assert_converged(big)

    by_kind = collections.Counter(f"{c['method']} {c['path']}" for c in calls)
    assert len(calls) <= PER_CHANGE * CHANGES + PER_RUN, by_kind
    # what the bound means: no full employee list, and per-employee calls only for the changed
    lists = [c for c in calls if c["path"] == "/v1/employee" and c["method"] == "GET"]
    assert lists and all("lastModifiedDateTime" in (c.get("query") or "") for c in lists), lists
    touched = {c["path"].rsplit("/", 1)[1] for c in calls if c["path"].startswith("/v1/employee/")}
    changed = {b["employeeNumber"] for b in batch if "employeeNumber" in b} | {
        e["employeeNumber"] for e in active[:6] + gone[:1]
    }
    assert touched <= changed
