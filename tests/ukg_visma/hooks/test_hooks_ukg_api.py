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

JUNE_RUN = "NMF-202606-R1"


def _june_run(hook: UkgHook) -> dict:
    head = hook.gl_header(JUNE_RUN)
    assert head is not None and head["runId"] == JUNE_RUN
    return head


def test_gl_header_is_one_line_of_block_one_with_most_recent(box):
    hook = UkgHook()
    head = _june_run(hook)
    assert head["glRunDateTime"] and head["companyCode"] == "NMF" and head["payGroup"] == "NO-M"
    assert head["blockId"] == 1 and "payDate" not in head
    (call,) = api_calls(box, "ukg", "/payroll/v2/general-ledger")
    query = parse_qs(call["query"])
    assert query == {
        "runId": [JUNE_RUN], "blockId": ["1"], "mostRecent": ["true"], "page": ["1"],
        "per_Page": ["1"],
    }  # fmt: skip
    assert hook.gl_header("NMF-209901-R1") is None  # 404: no such run
    latest = hook.most_recent_gl_header()
    assert latest is not None and latest["runId"] == "NMF-202610-C1"
    assert not api_calls(box, "ukg", "/payroll/v1/payroll-runs")


def test_amounts_are_exact_decimals(box):
    from decimal import Decimal

    lines = UkgHook().gl_block(JUNE_RUN, 1, per_page=200)
    assert all(isinstance(x["debitAmt"], Decimal | int) for x in lines)
    assert any(isinstance(x["debitAmt"], Decimal) and x["debitAmt"] % 1 for x in lines)
    assert all(isinstance(x["systemId"], int) for x in lines)


def test_pay_periods_and_pay_register(box):
    hook = UkgHook()
    periods = hook.pay_periods(pay_group="NO-M", start_control="202610010", end_control="202610319")
    assert [(p["payDate"][:10], p["isPeriodClosed"]) for p in periods] == [
        ("2026-10-23", True),
        ("2026-10-30", True),
    ]
    (call,) = api_calls(box, "ukg", "/payroll/v1/paygroup-payperiods")
    assert parse_qs(call["query"])["startPerControl"] == ["202610010"]
    assert "per_Page=" in call["query"]
    checks = hook.pay_register(pay_group="NO-M", period_control="202610302")
    assert checks and not any(c["isVoided"] for c in checks)
    (reg,) = api_calls(box, "ukg", "/payroll/v1/pay-register")
    assert parse_qs(reg["query"])["periodControl"] == ["202610302"]


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
        hook.create_org_levels([{"level": 3, "code": "991", "description": "New centre"}])
    box.ukg_admin("POST", "/_sandbox/switches", {"org_level_writes": True})
    outcomes = hook.create_org_levels([
        {"level": 3, "code": "991", "description": "New centre"},
        {"level": 3, "code": "992", "description": "A description far longer than 25"},
        {"level": 3, "code": "991", "description": "Again"},
        {"level": 3, "code": "993", "description": "Third centre"},
    ])  # fmt: skip
    assert [(o.item["code"], o.ok, o.status) for o in outcomes] == [
        ("991", True, "201"), ("992", False, "400"), ("991", False, "409"), ("993", True, "201"),
    ]  # fmt: skip
    assert outcomes[1].why.startswith("description: ") and "25" in outcomes[1].why
    assert "exists" in outcomes[2].why
    posts = [c for c in api_calls(box, "ukg", "/configuration/v1/org-levels")
             if c["method"] == "POST"]  # fmt: skip
    assert [c["status"] for c in posts] == [403, 207]  # one array POST, one 207
    codes = {o["code"] for o in hook.org_levels() if int(o["level"]) == 3}
    assert {"991", "993"} <= codes and "992" not in codes
    hook.update_org_level(3, "991", {"description": "Renamed centre", "isActive": True})
    put = [
        c for c in api_calls(box, "ukg", "/configuration/v1/org-levels/") if c["method"] == "PUT"
    ]
    assert [c["status"] for c in put] == [200]
    assert {"Renamed centre"} == {
        o["description"] for o in hook.org_levels() if (int(o["level"]), o["code"]) == (3, "991")
    }
