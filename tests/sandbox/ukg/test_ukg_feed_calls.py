"""The sandbox judges the change-feed budget from its call log (``sandbox.ukg.feed_calls``)."""

from __future__ import annotations

from sandbox.ukg.feed_calls import feed_calls

FEED = "/personnel/v1/employee-changes"


def _call(time, page=1, start="2026-11-20T00:00:00Z", path=FEED):
    query = f"startDate={start}&endDate=2026-11-20T09:00:00Z&page={page}&per_page=200"
    return {"method": "GET", "path": path, "query": query, "time": time}


def test_pages_of_one_window_are_one_call_and_by_id_reads_are_none():
    log = [
        _call("2026-11-20T06:00:00.000Z", 1),
        _call("2026-11-20T06:00:01.000Z", 2),
        _call("2026-11-20T06:00:02.000Z", path=f"{FEED}/E1"),
        _call("2026-11-20T09:00:00.000Z", 1, start="2026-11-20T06:00:00Z"),
    ]
    found = feed_calls(log)
    assert found["count"] == 2 and [c["pages"] for c in found["calls"]] == [2, 1]
    assert found["violations"] == []  # exactly 3 h apart


def test_calls_too_close_or_too_many_are_violations():
    close = feed_calls([_call("2026-11-20T06:00:00.000Z"), _call("2026-11-20T08:59:59.000Z")])
    assert close["violations"] == [
        "feed call at 2026-11-20T08:59:59.000Z only 2:59:59 after 2026-11-20T06:00:00.000Z"
    ]
    day = [_call(f"2026-11-21T{h:02d}:00:00.000Z", start=str(h)) for h in range(0, 24, 3)]
    many = feed_calls([*day, _call("2026-11-21T23:59:00.000Z", start="x")])
    assert "9 feed calls on 2026-11-21 (at most 8)" in many["violations"]


def test_the_admin_route_reports_what_the_server_saw(sandbox):
    import httpx

    sandbox.reset(scenario="manufacturer", seed=3, employees=5, gl_runs=False)
    headers, auth = sandbox.ukg_client_auth()
    params = {"startDate": "2026-01-01T00:00:00Z", "endDate": "2026-01-02T00:00:00Z"}
    for _ in range(2):
        got = httpx.get(f"{sandbox.ukg_url}{FEED}", params={**params, "page": 1, "per_page": 50},
                        headers=headers, auth=auth)  # fmt: skip
        assert got.status_code == 200
    seen = sandbox.ukg_admin("GET", "feed-calls")
    assert seen["count"] == 2 and len(seen["violations"]) == 1
