"""UkgHook over real HTTP against the UKG sandbox: tokens, 401s, 429s, 503 storms, paging."""

from __future__ import annotations

import math
import time
from urllib.parse import parse_qs

import pytest
from hooks_helpers import FAST, api_calls, token_calls

from ukg_visma.hooks import (
    AuthenticationError,
    NotFoundError,
    RetryPolicy,
    TransientError,
    UkgHook,
    ValidationError,
)

pytestmark = pytest.mark.e2e

ORG_LEVELS = "/configuration/v1/org-levels"


def test_paginate_follows_every_page(box):
    hook = UkgHook()
    ids = list(hook.employment_details(per_page=50))
    total = len(ids)
    assert total == 1200  # the scenario's employees (docs/contracts.md §1)
    assert len({row["employeeID"] for row in ids}) == total  # no page read twice
    pages = api_calls(box, "ukg", "/personnel/v1/employment-details")
    assert len(pages) == math.ceil(total / 50)  # stopped on the last (short) page, no extra call
    numbers = sorted(int(parse_qs(c["query"])["page"][0]) for c in pages)
    assert numbers == list(range(1, 25))


def test_gl_export_pages_use_per_Page(box):
    hook = UkgHook()
    run_id = "NMF-202606-R1"
    lines = hook.gl_block(run_id, 1, per_page=300)
    assert len(lines) == 2000  # one full block (sandbox block size)
    assert {line["blockId"] for line in lines} == {1}
    calls = api_calls(box, "ukg", "/payroll/v2/general-ledger")
    assert len(calls) == 7 and all("per_Page=300" in c["query"] for c in calls)


def test_paginate_stops_on_an_empty_first_page(box):
    hook = UkgHook()
    found = list(hook.employment_details(employee_id="NO-SUCH-EMPLOYEE"))
    assert found == []
    assert len(api_calls(box, "ukg", "/personnel/v1/employment-details")) == 1


def test_org_levels_are_one_unpaged_read(box):
    """Published without paging: one bare GET, every level, whatever the list's length."""
    box.reset(employees=250, cost_centers=150)  # the most the scenario makes
    levels = UkgHook().org_levels()
    assert len(levels) == 3 + 5 + 151  # plants, departments, cost centres (+ the drift 360)
    assert len({(o["level"], o["code"]) for o in levels}) == len(levels)
    (call,) = api_calls(box, "ukg", ORG_LEVELS)
    assert call["query"] == ""  # no page, no page size, no unpublished filter


def test_token_renewed_by_lifetime_no_401_reaches_the_caller(box):
    box.config("ukg", token_lifetime=2)
    hook = UkgHook(retry_policy=FAST)
    deadline = time.monotonic() + 5
    reads = 0
    while time.monotonic() < deadline:
        assert hook.get_json(ORG_LEVELS)  # raises on any error
        reads += 1
        time.sleep(0.05)
    assert reads > 20
    assert hook.stats.reauthentications == 0
    assert 3 <= hook.stats.token_requests <= 8  # renewed ahead of expiry, not on every call
    assert [c for c in box.calls("ukg") if c["status"] == 401] == []  # not even at the server


def test_unexpected_401_renews_once_and_replays(box):
    hook = UkgHook(retry_policy=FAST)
    hook.get_json(ORG_LEVELS)
    box.faults("ukg", {"path": "^/configuration", "status": 401, "times": 1})
    assert hook.get_json(ORG_LEVELS)
    assert hook.stats.reauthentications == 1
    assert hook.stats.token_requests == 2
    assert sorted(c["status"] for c in api_calls(box, "ukg", ORG_LEVELS)) == [200, 200, 401]


def test_second_401_is_a_clear_error_and_never_loops(box):
    hook = UkgHook(retry_policy=FAST)
    box.faults("ukg", {"path": "^/configuration", "status": 401, "times": None})
    with pytest.raises(AuthenticationError) as err:
        hook.get_json(ORG_LEVELS)
    text = str(err.value)
    assert "'ukg_default'" in text and "fresh token" in text and "revoked" in text
    assert err.value.status == 401 and err.value.path == ORG_LEVELS
    assert len(api_calls(box, "ukg", ORG_LEVELS)) == 2  # the call and its one replay


def test_invalid_client_secret_is_named(box, set_conn):
    hook = UkgHook(ukg_conn_id=set_conn("ukg", "ukg_wrong", password="not-the-secret"))
    with pytest.raises(AuthenticationError) as err:
        hook.get_json(ORG_LEVELS)
    assert "invalid_client" in str(err.value)
    assert "client id or secret is wrong" in str(err.value)
    assert "not-the-secret" not in str(err.value)
    assert len(token_calls(box, "ukg")) == 1  # credentials errors are not retried
    assert api_calls(box, "ukg", ORG_LEVELS) == []


def test_unknown_tenant_alias_is_named(box, set_conn):
    hook = UkgHook(ukg_conn_id=set_conn("ukg", "ukg_tenant", extra={"tenant_alias": "nosuch"}))
    with pytest.raises(AuthenticationError, match="tenant alias 'nosuch' is unknown"):
        hook.get_json(ORG_LEVELS)


def test_basic_mode(box, set_conn):
    creds = box.credentials["ukg"]
    conn_id = set_conn("ukg", "ukg_basic", login=creds["basic_user"],
                       password=creds["basic_password"], extra={"auth_mode": "basic"})  # fmt: skip
    hook = UkgHook(ukg_conn_id=conn_id)
    assert hook.get_json(ORG_LEVELS)
    assert token_calls(box, "ukg") == []
    ok, message = hook.test_connection()
    assert ok and "Basic" in message


def test_basic_mode_wrong_password(box, set_conn):
    conn_id = set_conn("ukg", "ukg_basic_bad", login="svc_payroll", password="wrong-password",
                       extra={"auth_mode": "basic"})  # fmt: skip
    with pytest.raises(AuthenticationError, match="service user or password wrong") as err:
        UkgHook(ukg_conn_id=conn_id).get_json(ORG_LEVELS)
    assert "wrong-password" not in str(err.value)
    assert len(api_calls(box, "ukg", ORG_LEVELS)) == 1  # nothing to renew in basic mode


@pytest.mark.parametrize("no_body", [False, True], ids=["problem-body", "bodiless"])
def test_429_without_retry_after_backs_off_and_succeeds(box, no_body):
    hook = UkgHook()  # the default policy: full jitter from ~1 s
    box.faults("ukg", {"path": "^/configuration", "status": 429, "times": 2, "no_body": no_body})
    started = time.monotonic()
    assert hook.get_json(ORG_LEVELS)
    elapsed = time.monotonic() - started
    assert hook.stats.rate_limited == 2 and hook.stats.retries == 2
    assert elapsed >= 0.2  # it backed off (the upper bound: bench/test_time_bounds.py)
    assert sorted(c["status"] for c in api_calls(box, "ukg", ORG_LEVELS)) == [200, 429, 429]


def test_503_storm_is_bounded_by_attempts(box):
    box.faults("ukg", {"path": "^/configuration", "status": 503, "times": None})
    hook = UkgHook(retry_policy=FAST)
    with pytest.raises(TransientError) as err:
        hook.get_json(ORG_LEVELS)
    assert err.value.status == 503
    assert len(api_calls(box, "ukg", ORG_LEVELS)) == FAST.max_attempts  # time: bench/


def test_503_storm_is_bounded_by_time(box):
    box.faults("ukg", {"path": "^/configuration", "status": 503, "times": None})
    policy = RetryPolicy(max_attempts=1000, max_total_seconds=2.0, backoff_initial=0.2,
                         backoff_max=0.4)  # fmt: skip
    with pytest.raises(TransientError):
        UkgHook(retry_policy=policy).get_json(ORG_LEVELS)
    # 1000 attempts allowed: the 2 s budget is what stopped it (wall clock: bench/)
    assert 3 <= len(api_calls(box, "ukg", ORG_LEVELS)) < 30


def test_errors_are_typed_with_the_service_message(box):
    hook = UkgHook(retry_policy=FAST)
    details = "/personnel/v1/employment-details"
    with pytest.raises(ValidationError) as bad:
        hook.get_json(details, {"per_Page": 5000})
    assert bad.value.status == 400 and "must be between 1 and 200" in str(bad.value)
    assert bad.value.method == "GET" and bad.value.path == details
    with pytest.raises(NotFoundError) as missing:
        hook.get_json("/payroll/v2/general-ledger/NO-SUCH-RUN")
    assert missing.value.status == 404


def test_timeouts_apply_and_a_slow_read_is_retried(box):
    box.faults("ukg", {"path": "^/configuration", "latency_ms": 1500, "times": 1})
    hook = UkgHook(timeout=(1, 0.5), retry_policy=FAST)
    assert hook.get_json(ORG_LEVELS)
    assert hook.stats.retries == 1  # the 1.5 s answer was abandoned at 0.5 s (time: bench/)
