"""Receiver hardening over real HTTP (issue #14): JSON only, and refusals counted per source and
minute — a flood of unauthenticated requests makes one audit row a minute, and is answered 429
once it passes the limit. The limit's clock is the test's, so nothing depends on timing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from webhook_helpers import SECRET, event_body

from sandbox.common import ServerThread
from ukg_visma.audit import inbox
from ukg_visma.audit.store import get_engine
from ukg_visma.webhooks.receiver import PATH, create_app
from ukg_visma.webhooks.signing import signed_headers

LIMIT = 20


@pytest.fixture
def limited(tmp_path) -> Iterator[dict]:
    """A receiver with a limit of 20 refusals a minute and a clock the test moves."""
    now = [1_800_000_000.0 - 1_800_000_000.0 % 60 + 5]  # 5 s into a minute
    engine = get_engine(f"sqlite:///{tmp_path}/audit.db")
    app = create_app(lambda: SECRET, lambda: engine, rejections_per_minute=LIMIT,
                     clock=lambda: now[0], tolerance_s=10**10)  # fmt: skip
    with ServerThread(app) as server:
        yield {"url": server.url + PATH, "engine": engine, "now": now}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
    ids=["text", "form", "multipart", "none"],
)
def test_a_correctly_signed_body_that_is_not_json_is_415(receiver, content_type):
    body = event_body("evt-ct")
    headers = signed_headers(SECRET, body)
    headers.pop("Content-Type")
    if content_type:
        headers["Content-Type"] = content_type
    answer = receiver.post(body, headers)
    assert answer.status_code == 415, answer.text
    assert answer.json() == {"detail": "Content-Type must be application/json"}
    assert receiver.enqueued() == 0
    (row,) = receiver.rejections()
    assert (row["status_code"], row["count"]) == (415, 1)


def test_json_with_a_charset_is_accepted(receiver):
    body = event_body("evt-charset")
    headers = {**signed_headers(SECRET, body), "Content-Type": "Application/JSON; charset=utf-8"}
    assert receiver.post(body, headers).status_code == 202
    assert receiver.enqueued() == 1


def test_a_flood_makes_one_row_per_source_per_minute_and_is_rate_limited(limited):
    with requests.Session() as http:
        answers = [http.post(limited["url"], data=b"{}", timeout=10) for _ in range(300)]
        statuses = [a.status_code for a in answers]
        assert statuses[:LIMIT] == [401] * LIMIT  # refused for what they are
        assert set(statuses[LIMIT:]) == {429}  # then refused without any work
        assert int(answers[-1].headers["Retry-After"]) == 55  # until the minute ends
        rows = inbox.fetch_rejections(limited["engine"])
        assert len(rows) == 1 and rows[0]["count"] == LIMIT  # over-limit ones not written yet

        limited["now"][0] += 60  # the next minute: the source may try again
        body = event_body("evt-after")
        good = http.post(limited["url"], data=body, headers=signed_headers(SECRET, body))
        assert good.status_code == 202  # a source that behaves is never limited
        late = http.post(limited["url"], data=b"{}", timeout=10)
        assert late.status_code == 401

    rows = sorted(inbox.fetch_rejections(limited["engine"]), key=lambda r: r["window_start"])
    assert [(r["remote"], r["count"]) for r in rows] == [("127.0.0.1", 300), ("127.0.0.1", 1)]
    assert rows[0]["reason"] == "missing signature" and rows[0]["last_reason"] == "rate limited"
    assert rows[0]["body_sha256"] is not None and rows[0]["body_size"] == 2
    assert inbox.count_events(limited["engine"]) == 1
