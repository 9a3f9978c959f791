"""Quarantine, not stop (issue #14), over real HTTP against both sandboxes: one bad UKG record
among 50 good changes — the 50 reach Visma, the bad one is named and kept, re-read every run, and
applied once it is fixed in UKG. Judged from the sandboxes' state."""

from __future__ import annotations

from pathlib import Path

import pytest
from employee_sync_helpers import (
    COST_CENTRES,
    RUNS_HOURS_APART,
    assert_converged,
    change_ukg,
    engine,
    last_seq,
    new_hire,
    no_email_in_ukg,
    sync,
    ukg_employees,
    visma_employees,
)
from sandbox_fixture import configure

from ukg_visma.audit import employees as state
from ukg_visma.audit import records

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(sandbox, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=31, employees=120, gl_runs=False)
    # No overlap: the run after the bad one does not see it in the feed window, so the test
    # proves the quarantine is re-read from UKG by employee id, not found again by chance.
    configure(
        monkeypatch, sandbox, tmp_path, employee_sync={**RUNS_HOURS_APART, "overlap_minutes": 0}
    )
    return sandbox


def test_bad_record_among_fifty_good_is_quarantined_named_and_applied_once_fixed(env):
    sync("initial")
    people = {e["employeeNumber"]: e for e in ukg_employees(env).values()}
    victim = sorted(n for n, e in people.items() if e["employeeStatus"] == "A")[0]
    centres = sorted(COST_CENTRES)
    hires = [new_hire(f"98{i:04d}", centres[i % len(centres)]) for i in range(50)]
    bad = {"employeeId": people[victim]["employeeId"], "employeeStatus": "T",
           "terminationDate": "31.12.2026"}  # fmt: skip
    change_ukg(env, [*hires[:20], bad, *hires[20:]])

    result = sync("with-bad-record")  # succeeds: headcount included

    visma = visma_employees(env)
    hired = {h["employeeNumber"] for h in hires}
    assert hired <= set(visma)
    assert all(visma[n]["status"] == "Active" for n in hired)
    assert all(visma[h["employeeNumber"]]["department"] == h["orgLevel3Code"] for h in hires)
    assert visma[victim]["status"] == "Active"  # the bad termination was not applied
    no_email = {f"employee {n}" for n in no_email_in_ukg(ukg_employees(env), visma)}
    assert result["extracted"]["quarantined"] == sorted({f"employee {victim}"} | no_email)
    assert result["applied"]["applied"] == {"created": 50}
    assert result["checked"]["mismatches"] == 0
    assert result["checked"]["quarantined"] == 1 + len(no_email)
    (kept,) = [q for q in state.list_rejections(engine()) if q["employee_number"] == victim]
    assert kept["employee_number"] == victim
    assert kept["employee_id"] == people[victim]["employeeId"]
    assert kept["findings"] == [{"field": "terminationDate", "value": '"31.12.2026"',
                                 "rule": "not an ISO date (YYYY-MM-DD)"}]  # fmt: skip
    assert kept["payload"]["terminationDate"] == "31.12.2026"  # the raw payload
    assert "emailAddress" not in kept["payload"]
    rows = records.fetch_records(engine(), source_kind="employee_change")
    rejected = [r for r in rows if r["status"] == "rejected" and r["target_key"] not in no_email]
    assert [r["target_key"] for r in rejected] == [f"employee {victim}"]
    assert "terminationDate" in rejected[0]["error"] and "31.12.2026" in rejected[0]["error"]
    report = Path(result["checked"]["report"]).read_text(encoding="utf-8")
    assert f"| {victim} |" in report and "31.12.2026" in report
    # the watermark moved: every good change of the window was applied
    assert state.get_watermark(engine()).isoformat() == result["applied"]["watermark"]
    assert state.list_pending(engine()) == []

    seq = last_seq(env, "ukg")
    again = sync("still-bad")  # not in this run's feed window: re-read from UKG by id
    assert again["extracted"]["quarantined"] == sorted({f"employee {victim}"} | no_email)
    assert again["extracted"]["snapshots"] == 0  # nothing parseable changed in the window
    reread = [c for c in env.calls("ukg", since=seq)
              if c["path"] == f"/personnel/v1/employee-changes/{people[victim]['employeeId']}"
              ]  # fmt: skip
    assert reread
    assert [q["failed_runs"] for q in state.list_rejections(engine())
            if q["employee_number"] == victim] == [2]  # fmt: skip
    assert visma_employees(env)[victim]["status"] == "Active"

    change_ukg(env, [{"employeeId": people[victim]["employeeId"],
                      "terminationDate": "2026-12-31"}])  # fmt: skip
    fixed = sync("fixed")
    assert fixed["extracted"]["quarantined"] == sorted(no_email)
    assert fixed["extracted"]["released_from_quarantine"] == 1
    assert {f"employee {q['employee_number']}" for q in state.list_rejections(engine())} == (
        no_email)  # fmt: skip
    assert visma_employees(env)[victim]["status"] == "Inactive"
    assert_converged(env)
