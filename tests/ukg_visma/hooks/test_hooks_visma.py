"""VismaHook over real HTTP against the Visma sandbox: tokens, 429, ETag updates, lost answers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from hooks_helpers import FAST, QUOTA_CLOCK, api_calls, journal, token_calls

from ukg_visma.hooks import (
    AuthenticationError,
    ConcurrentUpdateError,
    NotFoundError,
    PermissionDeniedError,
    ResponseLostError,
    TransientError,
    ValidationError,
    VismaHook,
)
from ukg_visma.hooks.retry import RateLimitPacer

pytestmark = pytest.mark.e2e

JOURNALS = "/v2/journaltransaction"
SEGMENT = "/v1/dimension/SUBACCOUNT/2"


def batches(hook: VismaHook, period: str = "202606") -> dict[str, dict]:
    """Journals of a period by batch number (a batch may continue on the next page)."""
    found: dict[str, dict] = {}
    for item in hook.journals(period, page_size=3):
        found.setdefault(item["batchNumber"], {**item, "lines": []})
        found[item["batchNumber"]]["lines"] += item["journalTransactionLines"]
    return found


def test_reads_and_etag(box):
    hook = VismaHook()
    accounts = hook.get_json("/v1/account")
    assert {"5000", "2930", "1920"} <= {a["accountCD"] for a in accounts}
    # the ETag read itself is under test (no named segment read returns one): private on purpose
    segment, etag = hook._get_with_etag(SEGMENT)
    assert segment["segmentId"] == 2 and etag.startswith('"')
    with pytest.raises(NotFoundError) as err:
        hook.get_json("/v1/account/9999")
    assert err.value.status == 404 and "9999" in str(err.value) and err.value.request_id


def test_post_journal_decimal_exact_and_paginate_across_pages(box):
    hook = VismaHook()
    for n in range(4):
        # published 201: an ETag and no Location, so no batch number to hand back
        assert hook.create_journal(journal(amount=f"{n + 1}000.10", key=f"T-{n}")) is None
    found = batches(hook)
    assert len(found) == 4  # 8 lines over pages of 3 lines: batches split across pages
    amounts = sorted(line["debitAmountInCurrency"] for b in found.values() for line in b["lines"])
    assert amounts[-4:] == [Decimal("1000.10"), Decimal("2000.10"), Decimal("3000.10"),
                            Decimal("4000.10")]  # fmt: skip
    pages = [c for c in api_calls(box, "visma", JOURNALS) if c["method"] == "GET"]
    numbers = sorted(int(parse_qs(c["query"])["pageNumber"][0]) for c in pages)
    # pages of 3 lines counted by line (journals()): 3, 3, 2, and the short third page ends it
    assert numbers == [1, 2, 3]


def test_paginate_v1_list_stops_at_total_count(box):
    hook = VismaHook()
    for n in range(7):
        hook.create_employee({
            "employeeCd": {"value": f"90{n:02d}"}, "department": {"value": "10"},
            "employeeClass": {"value": "EMP"}, "branch": {"value": "1"},
            "calendar": {"value": "NO"},
            "contact": {"lastName": {"value": f"Test{n}"}, "email": {"value": f"t{n}@x.no"}},
        })  # fmt: skip
    employees = list(hook.employees(page_size=3))
    assert sorted(e["employeeNumber"] for e in employees) == [f"90{n:02d}" for n in range(7)]
    assert len(api_calls(box, "visma", "/v1/employee")) == 7 + 3  # 3 pages, no empty 4th


def test_429_retry_after_is_honoured(box):
    hook = VismaHook()
    hook.get_json("/v1/account")  # token first, so the wait measured is the 429's
    box.faults("visma", {"path": "^/v1/account$", "status": 429, "retry_after": 2, "times": 1})
    started = time.monotonic()
    assert hook.get_json("/v1/account")
    assert time.monotonic() - started >= 2.0
    assert hook.stats.rate_limited == 1 and hook.stats.retries == 1


def test_401_renews_and_wrong_tenant_is_named(box, set_conn):
    hook = VismaHook()
    hook.get_json("/v1/account")
    box.faults("visma", {"path": "^/v1/account$", "status": 401, "times": 1})
    assert hook.get_json("/v1/account")
    assert hook.stats.reauthentications == 1 and hook.stats.token_requests == 2
    bad = VismaHook(visma_conn_id=set_conn("visma", "visma_tenant", extra={"tenant_id": "other"}))
    with pytest.raises(AuthenticationError, match="tenant_id 'other' is not granted"):
        bad.get_json("/v1/account")


def test_missing_scope_is_a_permission_error(box, set_conn):
    read_only = set_conn("visma", "visma_ro", extra={"scopes": "vismanet_erp_service_api:read"})
    hook = VismaHook(visma_conn_id=read_only)
    with pytest.raises(PermissionDeniedError) as err:
        hook.create_journal(journal())
    assert err.value.status == 403 and "scope" in str(err.value)


def test_closed_period_is_a_validation_error_with_the_message(box):
    with pytest.raises(ValidationError) as err:
        VismaHook().create_journal(journal(period="202603"))
    assert err.value.status == 400 and "202603" in str(err.value)
    assert err.value.request_id  # Visma's ExceptionMessageID, for the audit


def test_response_lost_after_commit_is_not_retried(box):
    hook = VismaHook(retry_policy=FAST)
    box.faults("visma", {"method": "POST", "path": f"^{JOURNALS}$",
                         "drop_response_after_commit": True})  # fmt: skip
    with pytest.raises(ResponseLostError, match="read back"):
        hook.create_journal(journal(key="LOST-1"))
    posts = [c for c in api_calls(box, "visma", JOURNALS) if c["method"] == "POST"]
    assert len(posts) == 1 and posts[0]["dropped"] and posts[0]["committed_status"] == 201
    assert [b["description"] for b in batches(hook).values()] == ["LOST-1"]  # it did happen


@pytest.mark.parametrize(
    ("status", "error"), [(503, TransientError), (502, ResponseLostError)], ids=["503", "502"]
)
def test_post_is_not_blindly_retried(box, status, error):
    box.faults("visma", {"method": "POST", "path": f"^{JOURNALS}$", "status": status})
    with pytest.raises(error):
        VismaHook(retry_policy=FAST).create_journal(journal())
    assert len([c for c in box.calls("visma") if c["method"] == "POST" and
                c["path"] == JOURNALS]) == 1  # fmt: skip


def test_post_is_retried_after_429_and_created_once(box):
    box.faults("visma", {"method": "POST", "path": f"^{JOURNALS}$", "status": 429,
                         "retry_after": 0})  # fmt: skip
    hook = VismaHook(retry_policy=FAST)
    assert hook.create_journal(journal(key="AFTER-429")) is None  # 201, no Location
    assert [b["description"] for b in batches(hook).values()] == ["AFTER-429"]


def test_get_survives_a_dropped_connection(box):
    box.faults("visma", {"path": "^/v1/account$", "drop_response_after_commit": True})
    hook = VismaHook(retry_policy=FAST)
    assert hook.get_json("/v1/account")
    assert hook.stats.retries == 1


def test_post_read_timeout_is_response_lost(box):
    box.faults("visma", {"method": "POST", "path": f"^{JOURNALS}$", "latency_ms": 1500})
    hook = VismaHook(timeout=(1, 0.5), retry_policy=FAST)
    with pytest.raises(ResponseLostError):
        hook.create_journal(journal(key="SLOW"))


def _adder(code: str, barrier: threading.Barrier):
    """A mutate that inserts one cost centre, after both writers have read the same ETag."""
    calls = []

    def mutate(segment: dict) -> dict | None:
        calls.append(1)
        if len(calls) == 1:
            barrier.wait(timeout=20)
        if any(v["valueId"] == code for v in segment["segmentValues"]):
            return None
        return {"segmentValues": [{"operation": "Insert", "value": code,
                                   "description": {"value": f"Test {code}"},
                                   "active": {"value": True}}]}  # fmt: skip

    return mutate


def test_two_concurrent_updaters_both_changes_survive(box):
    barrier = threading.Barrier(2)
    hooks = [VismaHook(), VismaHook()]
    errors: list[BaseException] = []

    def run(hook: VismaHook, code: str) -> None:
        try:
            hook.update_segment_values(2, _adder(code, barrier))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(h, c))
        for h, c in zip(hooks, ("901", "902"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    segment = VismaHook().get_json(SEGMENT)
    assert {"901", "902"} <= {v["valueId"] for v in segment["segmentValues"]}
    assert sum(h.stats.conflicts for h in hooks) == 1  # one writer lost the race, re-applied
    puts = [c["status"] for c in api_calls(box, "visma", SEGMENT) if c["method"] == "PUT"]
    assert sorted(puts) == [204, 204, 412]


def test_concurrent_employee_updates_keep_both_fields(box):
    hook = VismaHook()
    hook.create_employee({
        "employeeCd": {"value": "7001"}, "department": {"value": "10"},
        "employeeClass": {"value": "EMP"}, "branch": {"value": "1"},
        "calendar": {"value": "NO"},
        "contact": {"lastName": {"value": "Hansen"}, "email": {"value": "h@x.no"}},
    })  # fmt: skip
    barrier = threading.Barrier(2)

    def full_write(field: str, value: str):
        """Writes the whole record as read, with one field changed: without If-Match the
        second writer would silently undo the first one's change."""
        seen = []

        def mutate(employee: dict) -> dict:
            seen.append(1)
            if len(seen) == 1:
                barrier.wait(timeout=20)
            state = {"department": employee["department"],
                     "lastName": employee["contact"]["lastName"], field: value}  # fmt: skip
            return {"department": {"value": state["department"]},
                    "contact": {"lastName": {"value": state["lastName"]}}}  # fmt: skip

        return mutate

    a, b = VismaHook(), VismaHook()
    threads = [
        threading.Thread(target=a.update_employee, args=("7001", full_write("department", "20"))),
        threading.Thread(target=b.update_employee, args=("7001", full_write("lastName", "Berg"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    employee = hook.get_json("/v1/employee/7001")
    assert employee["department"] == "20" and employee["contact"]["lastName"] == "Berg"
    assert a.stats.conflicts + b.stats.conflicts == 1


def test_update_gives_up_after_bounded_attempts(box):
    box.faults("visma", {"method": "PUT", "path": SEGMENT, "status": 412, "times": None})
    hook = VismaHook()
    with pytest.raises(ConcurrentUpdateError, match="after 3 attempts"):
        hook.update_segment_values(2, _adder("903", threading.Barrier(1)), attempts=3)
    calls = api_calls(box, "visma", SEGMENT)
    assert Counter(c["method"] for c in calls) == {"GET": 3, "PUT": 3}  # re-read before each


def test_every_put_carries_if_match(box):
    # the generic PUT / ETag machinery itself is under test, so the private verbs are called
    hook = VismaHook()
    with pytest.raises(ValueError, match="If-Match"):
        hook._put(SEGMENT, {"segmentValues": []}, etag="")
    _, etag = hook._get_with_etag(SEGMENT)
    hook._put(SEGMENT, {"segmentValues": []}, etag)
    with pytest.raises(ConcurrentUpdateError) as err:
        hook._put(SEGMENT, {"segmentValues": []}, etag)  # stale now
    assert err.value.status == 412
    assert hook.update_segment_values(2, lambda body: None) is None  # nothing to change: no PUT
    assert hook.update_segment_values(2, lambda body: {}) is None
    assert Counter(c["method"] for c in api_calls(box, "visma", SEGMENT)) == {"GET": 3, "PUT": 2}


def test_token_requests_are_never_concurrent(box):
    hooks = [VismaHook() for _ in range(8)]
    threads = [threading.Thread(target=h.get_json, args=("/v1/account",)) for h in hooks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(token_calls(box, "visma")) == 1  # one token for the connection, shared
    assert sum(h.stats.requests for h in hooks) == 8


def test_slows_down_before_the_rate_limit_wall(box):
    box.config("visma", quota_clock=QUOTA_CLOCK, rate_limit_per_minute=10)  # 55 s left
    hook = VismaHook()
    hook.pacer = RateLimitPacer(max_pause=0.2)  # pause briefly instead of up to 30 s
    for _ in range(10):
        hook.get_json("/v1/financialPeriod")
    assert hook.stats.rate_limited == 0  # never hit the wall
    assert hook.stats.throttled_seconds >= 0.4  # paused before the last calls of the window
    assert hook.pacer.last.remaining == 0
