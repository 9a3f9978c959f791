"""Employee numbers with leading zeros, end to end: UKG's employment-details and person-details
spell ``employeeNumber`` as a string (``"000971"``), the change feed as a JSON number (``971``);
Visma's ``employeeCd`` is the canonical form without zeros (``"971"``). Hires, a termination, a
rehire (by a webhook-started run that reads by id) and a transfer of such employees reach one
Visma employee each — judged from Visma's state — and a full resync creates nobody twice."""

from __future__ import annotations

import random

import pytest
from employee_sync_helpers import (
    RUNS_HOURS_APART,
    assert_converged,
    change_ukg,
    new_hire,
    receiver,
    rehire,
    subscribe,
    sync,
    termination,
    transfer,
    visma_calls,
    visma_employees,
)
from sandbox_fixture import configure

pytestmark = pytest.mark.e2e
PADDED = {"000971": "971", "0000972": "972", "00973": "973"}


def _feed_number(sandbox, employee_id):
    """What UKG's feed says for the employee (a JSON number), read with a plain client."""
    from ukg_visma.hooks import UkgHook

    (found,) = UkgHook().employee_change(employee_id)
    return found["employeeNumber"]


def test_leading_zero_numbers_hire_terminate_rehire_transfer(sandbox, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=41, employees=40, gl_runs=False)
    configure(monkeypatch, sandbox, tmp_path, employee_sync=RUNS_HOURS_APART)
    sync("initial")
    saved = change_ukg(sandbox, [new_hire(n, "110") for n in PADDED])["employees"]
    ids = {e["employeeNumber"]: e["employeeId"] for e in saved}
    assert set(ids) == set(PADDED)  # UKG keeps the zeros in its own records
    assert _feed_number(sandbox, ids["000971"]) == 971  # … the feed cannot

    hired = sync("hires", trigger="scheduled")
    assert hired["extracted"]["kinds"].get("hire") == 3, hired["extracted"]
    visma = visma_employees(sandbox)
    assert {n: visma[n]["status"] for n in PADDED.values()} == dict.fromkeys(
        PADDED.values(), "Active"
    )
    assert not set(PADDED) & set(visma)  # never the padded form as a second employee
    first_id = visma["971"]["employeeId"]

    moved = transfer({"employeeId": ids["0000972"], "orgLevel3Code": "110"}, random.Random(5))
    change_ukg(sandbox, [termination({"employeeId": ids["000971"]}), moved])
    sync("leave-and-move", trigger="scheduled")
    visma = visma_employees(sandbox)
    assert visma["971"]["status"] == "Inactive"
    assert visma["972"]["department"] == moved["orgLevel3Code"]

    with receiver(f"sqlite:///{tmp_path}/audit.db") as url:
        subscribe(sandbox, url)
        change_ukg(sandbox, [rehire({"employeeId": ids["000971"]})])
        back = sync("rehire", trigger="webhook")  # by id: employee-changes/{employeeId}
        sandbox.ukg_admin("DELETE", "webhooks")
    assert back["extracted"]["feed"]["polled"] is False
    assert back["extracted"]["kinds"].get("rehire") == 1, back["extracted"]
    visma = visma_employees(sandbox)
    assert visma["971"]["status"] == "Active" and visma["971"]["employeeId"] == first_id

    seq = visma_calls(sandbox)[-1]["seq"]
    resync = sync("resync", full_resync=True)
    assert resync["checked"]["mismatches"] == 0
    posts = [c for c in visma_calls(sandbox, since=seq) if c["method"] == "POST"
             and c["path"] == "/v1/employee"]  # fmt: skip
    assert posts == []  # the string and the number name the same employee: nobody created twice
    assert_converged(sandbox)
    numbers = [n for n in visma_employees(sandbox) if n.lstrip("0") in PADDED.values()]
    assert sorted(numbers) == sorted(PADDED.values())  # one Visma employee each
