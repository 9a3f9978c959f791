"""UkgHook's named API methods over real HTTP against the UKG sandbox.

Each method is checked for what it returns and for the route and query it sends (the sandbox's
call log): the tasks that used to spell these routes now call the methods.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from urllib.parse import parse_qs

import pytest
from hooks_helpers import api_calls

from ukg_visma.hooks import NotFoundError, PermissionDeniedError, UkgHook
from ukg_visma.hooks.ukg import ukg_instant

pytestmark = pytest.mark.e2e

JUNE = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))


def _june_run(hook: UkgHook) -> dict:
    runs = list(hook.payroll_runs(pay_date_from=JUNE[0], pay_date_to=JUNE[1]))
    assert runs and all(JUNE[0].isoformat() <= r["payDate"] <= JUNE[1].isoformat() for r in runs)
    return runs[0]


def test_payroll_runs_of_a_pay_date_window(box):
    hook = UkgHook()
    run = _june_run(hook)
    assert run["runId"] and run["glRunDateTime"] and run["companyCode"] == "NMF"
    (call,) = api_calls(box, "ukg", "/payroll/v1/payroll-runs")
    query = parse_qs(call["query"])
    assert query["payDateFrom"] == ["2026-06-01"] and query["payDateTo"] == ["2026-06-30"]


def test_gl_block_reads_all_pages_and_a_missing_block_is_empty(box):
    hook = UkgHook()
    run_id = _june_run(hook)["runId"]
    first = hook.gl_block(run_id, 1, per_page=700)
    assert len(first) == 2000 and {line["blockId"] for line in first} == {1}  # sandbox block
    total = int(first[0]["totalNrOfBlocks"])
    assert hook.gl_block(run_id, total + 1) == []  # UKG answers 404 past the last block
    calls = api_calls(box, "ukg", "/payroll/v2/general-ledger")
    assert all("per_Page=" in c["query"] for c in calls)
    assert [c["status"] for c in calls][-1] == 404


def test_employee_changes_of_a_window_on_the_published_path(box):
    hook = UkgHook()
    start = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    end = dt.datetime(2026, 4, 30, 23, 59, 59, tzinfo=dt.UTC)
    changed = hook.employee_changes(start=start, end=end)
    assert changed and len({e["employeeId"] for e in changed}) == len(changed)
    assert all(isinstance(e["employeeNumber"], int) for e in changed)
    (call,) = api_calls(box, "ukg", "/personnel/v1/employee-changes")
    query = parse_qs(call["query"])
    assert query["startDate"] == [ukg_instant(start)] and query["per_page"] == ["200"]
    assert ukg_instant(start) == "2026-04-01T00:00:00.000000Z"
    one = hook.employee_change(changed[0]["employeeId"])
    assert one == [changed[0]]
    assert hook.employee_change("no-such-employee") == []
    # the marketing alias is not published: a 404 on the feed is an error, not a fallback
    box.faults("ukg", {"method": "GET", "path": "^/personnel/v1/employee-changes$",
                       "status": 404, "times": None})  # fmt: skip
    with pytest.raises(NotFoundError):
        hook.employee_changes(start=start, end=end)
    assert api_calls(box, "ukg", "/personnel/v1/employees/changed") == []


def test_employment_and_person_details(box):
    hook = UkgHook()
    everyone = list(hook.employment_details())
    assert len(everyone) == 1200  # the scenario's employees
    one = everyone[0]
    by_id = list(hook.employment_details(employee_id=one["employeeID"]))
    by_number = list(hook.employment_details(employee_number=one["employeeNumber"]))
    assert by_id == by_number == [one]
    person = list(hook.person_details(employee_id=one["employeeID"]))
    assert len(person) == 1 and person[0]["employeeId"] == one["employeeID"]
    recent = list(hook.person_details(changed_since=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))
    assert 0 < len(recent) < 1200
    assert all(p["datetimeChanged"] > "2026-06-01" for p in recent)
    queries = [parse_qs(c["query"]) for c in api_calls(box, "ukg", "/personnel/v1/")]
    assert {"employeeId", "employeeNumber", "dateTimeChanged"} <= {k for q in queries for k in q}
    assert all("per_Page" in q and "per_page" not in q for q in queries)
    assert {v for q in queries for v in q.get("dateTimeChanged", [])} == {
        ">2026-06-01T00:00:00.000000Z"  # the contract's "greater than"
    }


def test_org_levels_and_the_one_write(box):
    hook = UkgHook()
    levels = list(hook.org_levels())
    assert Counter(int(o["level"]) for o in levels)[3] > 0
    with pytest.raises(PermissionDeniedError):  # sandbox switch org_level_writes is off
        hook.write_org_level(3, "991", {"description": "New centre"}, create=True)
    box.ukg_admin("POST", "/_sandbox/switches", {"org_level_writes": True})
    created = hook.write_org_level(3, "991", {"description": "New centre"}, create=True)
    assert (created["level"], created["code"]) == (3, "991")
    hook.write_org_level(3, "991", {"description": "Renamed centre"}, create=False)
    assert {"Renamed centre"} == {
        o["description"] for o in hook.org_levels() if (int(o["level"]), o["code"]) == (3, "991")
    }
