"""VismaHook's named API methods over real HTTP against the Visma sandbox.

Each method is checked for what it returns and for the one route it calls (the sandbox's call
log), so that a task that says ``visma.journals(period)`` reads exactly what it used to read with
the route spelled out; POSTs are sent once and a lost answer is ``ResponseLostError``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qs

import pytest
from hooks_helpers import FAST, api_calls, journal

from ukg_visma.hooks import NotFoundError, ResponseLostError, ValidationError, VismaHook

pytestmark = pytest.mark.e2e


def _journal(key: str, period: str = "202606", amount: str = "1250.50") -> dict[str, Any]:
    return journal(period, amount, key, hold=True)


def _created(hook: VismaHook, payload: dict[str, Any]) -> str:
    """Create a journal as published (201 + ETag, no Location: no number) and find its batch
    by its description in the period's listing, as the posting step finds it by key."""
    assert hook.create_journal(payload) is None
    period, key = payload["financialPeriod"]["value"], payload["description"]["value"]
    (number,) = [r["batchNumber"] for r in hook.journals(period) if r["description"] == key]
    return number


def _employee(number: str, last_name: str = "Test") -> dict[str, Any]:
    return {
        "employeeCd": {"value": number}, "department": {"value": "10"},
        "employeeClass": {"value": "EMP"}, "branch": {"value": "1"},
        "calendar": {"value": "NO"},
        "contact": {"lastName": {"value": last_name}, "email": {"value": "e@x.no"}},
    }  # fmt: skip


def test_catalog_reads(box):
    hook = VismaHook()
    accounts = hook.accounts()
    assert {"5000", "2930"} <= {a["accountCD"] for a in accounts}
    dimension = hook.subaccount_dimension()
    assert [s["segmentId"] for s in dimension["segments"]] == [1, 2]
    assert hook.segment(2)["segmentId"] == 2
    assert hook.projects() and all("projectID" in p or "projectId" in p for p in hook.projects())
    periods = hook.financial_periods()
    assert "202606" in {p["period"] for p in periods}
    calls = Counter(c["path"] for c in box.calls("visma") if c["method"] == "GET")
    assert calls["/v1/account"] == 1
    assert calls["/v1/dimension/SUBACCOUNT"] == 1
    assert calls["/v1/dimension/SUBACCOUNT/2"] == 1
    assert calls["/v1/financialPeriod"] == 1
    assert calls["/v1/project"] >= 2


def test_update_segment_values_is_a_locked_update(box):
    hook = VismaHook()

    def add(segment: dict) -> dict | None:
        if "901" in {v["valueId"] for v in segment["segmentValues"]}:
            return None
        item = {"operation": "Insert", "value": "901", "description": {"value": "New centre"},
                "active": {"value": True}}  # fmt: skip
        return {"segmentValues": [item]}

    assert hook.update_segment_values(2, add) is not None
    assert hook.update_segment_values(2, add) is None  # in effect: no second PUT
    assert "901" in {v["valueId"] for v in hook.segment(2)["segmentValues"]}
    calls = api_calls(box, "visma", "/v1/dimension/SUBACCOUNT/2")
    puts = [c for c in calls if c["method"] == "PUT"]
    assert len(puts) == 1 and puts[0]["status"] in (200, 204)


def test_departments(box):
    hook = VismaHook()
    before = {d["departmentId"] for d in hook.departments()}
    assert "991" not in before
    with pytest.raises(NotFoundError):
        hook.department("991")
    body = {
        "departmentId": "991",
        "description": {"value": "Cost centre 991"},
        "expenseSubaccount": [
            {"segmentId": 1, "segmentValue": "10"},
            {"segmentId": 2, "segmentValue": "110"},
        ],
    }
    hook.create_department(body)
    assert hook.department("991")["departmentId"] == "991"
    assert "991" in {d["departmentId"] for d in hook.departments()}
    with pytest.raises(ValidationError):
        hook.create_department(body)  # Visma refuses a second insert of the same id
    posts = [c for c in api_calls(box, "visma", "/v1/department") if c["method"] == "POST"]
    assert [c["status"] for c in posts] == [201, 400]


def test_journal_lifecycle_create_take_off_hold_release(box):
    hook = VismaHook()
    number = _created(hook, _journal("API-1"))
    body, etag = hook.journal_with_etag(number)
    assert body["status"] == "Hold" and etag
    assert hook.take_off_hold(number) == {"hold": {"value": False}}
    assert hook.take_off_hold(number) is None  # no longer on hold: left alone
    body, etag = hook.journal_with_etag(number)
    assert body["status"] == "Balanced"
    hook.release_journal(number, etag=etag)
    assert hook.journal(number)["status"] == "Posted"
    with pytest.raises(NotFoundError):
        hook.journal("999999")
    release = [c for c in api_calls(box, "visma", f"/v2/journaltransaction/{number}/action")]
    assert len(release) == 1 and release[0]["method"] == "POST"


@pytest.mark.parametrize("wrapped", [False, True], ids=["bare-array", "wrapped"])
@pytest.mark.parametrize(
    ("batches", "pages"),
    [(4, [1, 2, 3]), (3, [1, 2, 3])],
    ids=["short-last-page", "exact-multiple"],
)
def test_journals_lists_every_page_of_a_period(box, wrapped, batches, pages):
    """Published: a bare array of JournalTransactionDto, each row carrying ``metadata``; some
    tenants wrap it. The page size counts lines: 4 batches of 2 lines over pages of 3 lines are
    pages of 3, 3, 2 lines, and the short third page ends the walk (no empty fourth); 3 batches
    (6 lines) fill two pages exactly, and the empty third page ends it."""
    if wrapped:
        box.visma_admin("POST", "api-variants", {"journal_list_wrapped": True})
    hook = VismaHook()
    numbers = {_created(hook, _journal(f"API-P{n}", period="202607")) for n in range(batches)}
    since = box.calls("visma")[-1]["seq"]  # the walk below, not the creates' read-backs
    rows = list(hook.journals("202607", page_size=3))
    assert {r["batchNumber"] for r in rows} == numbers
    lines = Counter()
    for r in rows:
        lines[r["batchNumber"]] += len(r["journalTransactionLines"])
    assert all(lines[n] == 2 for n in numbers)  # a batch split across pages is whole again
    gets = [c for c in api_calls(box, "visma", "/v2/journaltransaction")
            if c["method"] == "GET" and c["seq"] > since]  # fmt: skip
    assert all("periodId=202607" in c["query"] for c in gets)
    assert [parse_qs(c["query"])["pageNumber"] for c in gets] == [[str(p)] for p in pages]
    assert all(parse_qs(c["query"])["pageSize"] == ["3"] for c in gets)


def test_create_journal_takes_the_number_from_a_location_when_the_tenant_sends_one(box):
    box.visma_admin("POST", "api-variants", {"create_location": True})
    hook = VismaHook()
    number = hook.create_journal(_journal("API-LOC", period="202608"))
    assert number and hook.journal(number)["description"] == "API-LOC"
    posts = [c for c in api_calls(box, "visma", "/v2/journaltransaction") if c["method"] == "POST"]
    assert [c["status"] for c in posts] == [201]


def test_create_journal_is_sent_once_and_a_lost_answer_says_read_back(box):
    hook = VismaHook(retry_policy=FAST)
    box.faults("visma", {"method": "POST", "path": "^/v2/journaltransaction$",
                         "drop_response_after_commit": True})  # fmt: skip
    with pytest.raises(ResponseLostError, match="read back"):
        hook.create_journal(_journal("API-LOST", period="202608"))
    posts = [c for c in api_calls(box, "visma", "/v2/journaltransaction") if c["method"] == "POST"]
    assert len(posts) == 1
    box.clear_faults()
    described = [r["description"] for r in hook.journals("202608")]
    assert described.count("API-LOST") == 1  # it did happen, once


def test_employees(box):
    hook = VismaHook()
    hook.create_employee(_employee("9101", "Hansen"))
    hook.create_employee(_employee("9102", "Berg"))
    everyone = list(hook.employees(page_size=1))
    assert {"9101", "9102"} <= {e["employeeNumber"] for e in everyone}
    stamp = hook.employee("9102")["lastModifiedDateTime"]
    recent = list(hook.employees(modified_since=stamp))
    assert "9102" in {e["employeeNumber"] for e in recent}
    listed = [c for c in api_calls(box, "visma", "/v1/employee") if c["method"] == "GET"]
    assert any("lastModifiedDateTimeCondition" in c["query"] for c in listed)

    sent = hook.update_employee("9101", lambda cur: {"contact": {"lastName": {"value": "Dahl"}}})
    assert sent == {"contact": {"lastName": {"value": "Dahl"}}}
    assert hook.employee("9101")["contact"]["lastName"] == "Dahl"
    assert hook.update_employee("9101", lambda cur: None) is None
    with pytest.raises(NotFoundError):
        hook.employee("9199")
    puts = [c for c in api_calls(box, "visma", "/v1/employee/9101") if c["method"] == "PUT"]
    assert len(puts) == 1
