"""Malformed answers from the sandbox edge, over real HTTP (issue #14): HTML pages from a proxy,
empty 200s, JSON cut short (as a complete answer, and mid-body with the connection closed),
unknown extra fields and the wrong shape — each either instead of the endpoint or after it
committed, judged from the store and the call log."""

from __future__ import annotations

import json

import pytest
import requests
from test_common_http import build

from sandbox.common import ServerThread, StateStore


@pytest.fixture
def server(tmp_path):
    store = StateStore(tmp_path / "demo.sqlite3")
    with ServerThread(build(store)) as running:
        yield running
    store.close()


def _fault(server, **rule) -> None:
    answer = requests.post(f"{server.url}/_sandbox/faults", json=rule, timeout=5)
    assert answer.status_code == 200, answer.text


def _things(server) -> list[dict]:
    return requests.get(f"{server.url}/things", timeout=5).json()["things"]


def _faulted_call(server) -> dict:
    calls = requests.get(f"{server.url}/_sandbox/calls", timeout=5).json()["calls"]
    (call,) = [c for c in calls if c["fault"]]
    return call


def test_html_maintenance_page_with_200_instead_of_the_endpoint(server):
    _fault(server, method="POST", path="^/things$", body="html")
    answer = requests.post(f"{server.url}/things", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<title>demo - Scheduled maintenance</title>" in answer.text
    assert _things(server) == []  # not committed: the proxy never passed it on
    call = _faulted_call(server)
    assert call["fault"] == "body:html" and call["committed_status"] is None


@pytest.mark.parametrize("status", [502, 503])
def test_html_error_page_of_a_proxy(server, status):
    _fault(server, method="GET", path="^/things$", body="html", status=status)
    answer = requests.get(f"{server.url}/things", timeout=5)
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("text/html")
    assert f"<h1>{status} " in answer.text and "nginx" in answer.text
    assert "X-RateLimit-Limit" in answer.headers  # the server's headers still on the answer


def test_html_page_after_the_endpoint_committed(server):
    _fault(server, method="POST", path="^/things$", body="html", commit=True)
    answer = requests.post(f"{server.url}/things", timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
    assert _things(server) == [{"number": 1}]  # committed although the answer says nothing
    call = _faulted_call(server)
    assert call["fault"] == "body:html" and call["committed_status"] == 200


@pytest.mark.parametrize("commit", [False, True])
def test_empty_200(server, commit):
    _fault(server, method="POST", path="^/things$", body="empty", commit=commit)
    answer = requests.post(f"{server.url}/things", timeout=5)
    assert answer.status_code == 200 and answer.content == b""
    assert "Content-Type" not in answer.headers
    assert _things(server) == ([{"number": 1}] if commit else [])


def test_truncated_json_is_a_complete_answer_with_half_a_document(server):
    for _ in range(3):
        requests.post(f"{server.url}/things", timeout=5)
    whole = requests.get(f"{server.url}/things", timeout=5).content
    _fault(server, method="GET", path="^/things$", body="truncated")
    answer = requests.get(f"{server.url}/things", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.content == whole[: len(whole) // 2]
    assert int(answer.headers["Content-Length"]) == len(answer.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.content)


def test_truncated_after_a_committed_post(server):
    _fault(server, method="POST", path="^/things$", body="truncated")
    answer = requests.post(f"{server.url}/things", timeout=5)
    assert answer.status_code == 200 and answer.content == b'{"numb'
    assert _things(server) == [{"number": 1}]
    assert _faulted_call(server)["committed_status"] == 200


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_cut_mid_body_closes_the_connection(server, method):
    requests.post(f"{server.url}/things", timeout=5)
    _fault(server, method=method, path="^/things$", body="cut")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.request(method, f"{server.url}/things", timeout=5)
    expected = [{"number": 1}, {"number": 2}] if method == "POST" else [{"number": 1}]
    assert _things(server) == expected  # a cut POST did commit
    call = _faulted_call(server)
    assert call["fault"] == "body:cut" and call["committed_status"] == 200
    assert requests.get(f"{server.url}/things", timeout=5).status_code == 200  # still serving


def test_extra_fields_in_every_object(server):
    requests.post(f"{server.url}/things", timeout=5)
    _fault(server, method="GET", path="^/things$", body="extra_fields")
    body = requests.get(f"{server.url}/things", timeout=5).json()
    assert body["sandboxAddedField"] == "an unknown field"
    thing = body["things"][0]
    assert thing["number"] == 1 and thing["sandboxAddedObject"]["value"] == "unknown"


def test_wrong_shape(server):
    requests.post(f"{server.url}/things", timeout=5)
    _fault(server, method="GET", path="^/things$", body="wrong_shape")
    assert requests.get(f"{server.url}/things", timeout=5).json() == [
        {"things": [{"number": 1}]}
    ]  # an object answered as a list
    _fault(server, method="POST", path="^/things$", body="wrong_shape", times=1)
    assert requests.post(f"{server.url}/things", timeout=5).json() == [{"number": 2}]


@pytest.mark.parametrize(
    "rule",
    [
        {"path": "/x", "body": "truncated", "status": 502},  # rewrites keep the status
        {"path": "/x", "status": 200},  # 200 only as a body fault
        {"path": "/x", "status": 503, "commit": True},  # commit only with a body
        {"path": "/x", "body": "html", "drop_response_after_commit": True},
        {"path": "/x", "body": "gzip"},
    ],
)
def test_bad_body_rules_are_refused(server, rule):
    answer = requests.post(f"{server.url}/_sandbox/faults", json=rule, timeout=5)
    assert answer.status_code == 422, answer.text


def test_rules_list_shows_defaults(server):
    _fault(server, path="/things", body="truncated")
    _fault(server, path="/things", body="empty")
    rules = [f["rule"] for f in requests.get(f"{server.url}/_sandbox/faults", timeout=5).json()[
        "faults"]]  # fmt: skip
    assert (rules[0]["commit"], rules[0]["status"]) == (True, None)
    assert (rules[1]["commit"], rules[1]["status"]) == (False, 200)
