"""UKG quota and fault contract: 429 mostly without Retry-After, sometimes bodiless; faults."""

from __future__ import annotations

import pytest

PROBE = "/payroll/v1/paygroup-payperiods"


QUOTA_CLOCK = 1_800_000_000.0 - 1_800_000_000.0 % 60 + 5  # 5 s into a minute


def test_quota_answers_429_in_ukg_style(ukg):
    headers = ukg.bearer()  # the token call is outside the quota anyway
    ukg.admin("POST", "config", {"quota_clock": QUOTA_CLOCK, "rate_limit_per_minute": 2})
    assert [ukg.get(PROBE, headers=headers).status_code for _ in range(2)] == [200, 200]
    refused = [ukg.get(PROBE, headers=headers) for _ in range(6)]
    assert [r.status_code for r in refused] == [429] * 6
    assert [bool(r.content) for r in refused] == [True, True, False, True, True, False]
    assert ["Retry-After" in r.headers for r in refused] == [False] * 4 + [True, False]
    body = refused[0].json()
    assert body["status"] == 429 and body["title"] == "Too Many Requests"
    assert "X-RateLimit-Remaining" not in refused[0].headers
    calls = ukg.admin("GET", "calls")["calls"]
    assert [c["status"] for c in calls if c["path"] == PROBE][-6:] == [429] * 6


def test_quota_off_again(ukg):
    ukg.admin("POST", "config", {"rate_limit_per_minute": 1})
    headers = ukg.bearer()
    ukg.get(PROBE, headers=headers)
    assert ukg.get(PROBE, headers=headers).status_code == 429
    ukg.admin("POST", "config", {"rate_limit_per_minute": None})
    assert ukg.get(PROBE, headers=headers).status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
def test_injected_server_errors_are_problem_details(ukg, status):
    ukg.admin("POST", "faults", {"path": "^/payroll/", "status": status, "times": 1})
    failed = ukg.get(PROBE)
    assert failed.status_code == status and failed.json()["status"] == status
    assert ukg.get(PROBE).status_code == 200


def test_injected_429_with_retry_after_and_without_body(ukg):
    ukg.admin("POST", "faults", [
        {"path": "paygroup", "status": 429, "times": 1, "retry_after": 3},
        {"path": "paygroup", "status": 429, "times": 1, "no_body": True},
    ])  # fmt: skip
    first, second = ukg.get(PROBE), ukg.get(PROBE)
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert second.status_code == 429 and second.content == b""
    assert "Retry-After" not in second.headers
    assert ukg.get(PROBE).status_code == 200


def test_injected_401_looks_like_the_gateway(ukg):
    ukg.admin("POST", "faults", {"path": "paygroup", "status": 401})
    response = ukg.get(PROBE)
    assert response.status_code == 401 and response.json()["code"] == 401


def test_reset_clears_faults(ukg):
    ukg.admin("POST", "faults", {"path": ".*", "status": 503, "times": None})
    ukg.admin("POST", "reset", {"employees": 250})
    assert ukg.get(PROBE).status_code == 200
