"""/v2/journaltransaction: create, validation with the real error shape, read, list, update with
If-Match, release; amounts exact to the øre."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from visma_helpers import VismaClient, created_number, journal, line, small_visma, start

ERROR_FIELDS = {
    "ExceptionType",
    "ExceptionMessage",
    "ExceptionFaultCode",
    "ExceptionMessageID",
    "ExceptionDetails",
}


def _create(visma, body):
    answer = visma.post("/v2/journaltransaction", json=body)
    return created_number(visma, answer), answer.headers["ETag"]


def test_create_answers_201_and_etag_without_location(visma):
    """Published: 201 + ETag; no Location, no documented body."""
    answer = visma.post("/v2/journaltransaction", json=journal())
    assert answer.status_code == 201 and not answer.content
    assert "Location" not in answer.headers and answer.headers["ETag"]
    number = created_number(visma, answer)
    read = visma.get(f"/v2/journaltransaction/{number}")
    assert read.status_code == 200
    assert read.headers["ETag"] == answer.headers["ETag"]
    batch = read.json()
    assert batch["batchNumber"] == number and batch["status"] == "Balanced"
    assert batch["financialPeriod"] == "202605" and batch["postPeriod"] == "052026"
    assert batch["transactionDate"] == "2026-05-25T00:00:00"
    assert batch["description"] == "NMF-202605-R1 #1" and batch["module"] == "GL"
    assert batch["timeStamp"] == answer.headers["ETag"].strip('"')
    first = batch["journalTransactionLines"][0]
    assert first["lineNumber"] == 1 and first["accountNumber"] == "5000"
    assert first["subaccount"]["subaccountNumber"] == "10-110"
    assert first["project"]["id"] == "X"  # the non-project code


def test_create_sends_location_when_the_tenant_does(visma):
    switched = visma.admin("POST", "/api-variants", {"create_location": True})
    assert switched.status_code == 200 and switched.json()["create_location"] is True
    answer = visma.post("/v2/journaltransaction", json=journal())
    assert answer.status_code == 201 and answer.headers["ETag"]
    location = answer.headers["Location"]
    assert location.startswith(f"{visma.url}/v2/journaltransaction/")
    read = visma.get(f"/v2/journaltransaction/{location.rsplit('/', 1)[1]}")
    assert read.headers["ETag"] == answer.headers["ETag"]


def test_amounts_are_exact_to_the_ore(visma):
    lines = [
        line("5000", debit="0.10"),
        line("5000", debit="0.20"),
        line("2930", credit="0.30", dept="00", centre="000"),
    ]
    number, _ = _create(visma, journal(lines=lines))
    raw = visma.get(f"/v2/journaltransaction/{number}").text
    batch = json.loads(raw, parse_float=Decimal)
    assert batch["debitTotal"] == Decimal("0.3") and batch["creditTotal"] == Decimal("0.3")
    assert [ln["debitAmountInCurrency"] for ln in batch["journalTransactionLines"][:2]] == [
        Decimal("0.1"),
        Decimal("0.2"),
    ]


def test_amounts_sent_as_exact_decimal_text_balance(visma):
    body = journal()
    raw = json.dumps(body).replace("1000.1", "1234567.89")
    answer = visma.post(
        "/v2/journaltransaction", data=raw, headers={"Content-Type": "application/json"}
    )
    number = created_number(visma, answer)
    assert visma.get(f"/v2/journaltransaction/{number}").json()["debitTotal"] == 1234567.89


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        ([line("5000", debit="10"), line("2930", credit="9.99")], "out of balance"),
        ([line("9999", debit="10"), line("2930", credit="10")], "'9999' does not exist"),
        ([line("5010", debit="10"), line("2930", credit="10")], "'5010' is inactive"),
        ([line("1500", debit="10"), line("2930", credit="10")], "control account for AR"),
        ([line("5000", debit="10", centre="360"), line("2930", credit="10")], "'360'"),
        ([line("5000", debit="10", centre="199"), line("2930", credit="10")], "'199' is inactive"),
        ([line("5000", debit="10", dept="1"), line("2930", credit="10")], None),
        (
            [
                line("5000", debit="10", project="P1099", projectTask="01"),
                line("2930", credit="10"),
            ],
            "Project 'P1099' does not exist",
        ),
        (
            [
                line("5000", debit="10", project="P1001", projectTask="09"),
                line("2930", credit="10"),
            ],
            "Task '09'",
        ),
        (
            [line("5000", debit="10", project="P1001"), line("2930", credit="10")],
            "Project task is required",
        ),
        (
            [
                line("5000", debit="10", project="P1002", projectTask="01"),
                line("2930", credit="10"),
            ],
            "'P1002' is not active",
        ),
        ([], "no lines"),
    ],
    ids=[
        "unbalanced",
        "unknown-account",
        "inactive-account",
        "control-account",
        "unknown-segment-value",
        "inactive-segment-value",
        "short-segment-value",
        "unknown-project",
        "unknown-task",
        "missing-task",
        "closed-project",
        "empty",
    ],
)
def test_invalid_journals_are_400_with_the_real_error_body(visma, lines, needle):
    answer = visma.post("/v2/journaltransaction", json=journal(lines=lines))
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == ERROR_FIELDS
    if needle:
        assert needle in body["ExceptionMessage"]
    assert visma.state()["journals"] == []


@pytest.mark.parametrize(
    ("period", "needle"),
    [
        ("202603", "202603 is closed in General ledger"),
        ("202607", "202607 is inactive"),
        ("209901", "209901 does not exist"),
    ],
)
def test_periods_that_refuse_postings(visma, period, needle):
    answer = visma.post("/v2/journaltransaction", json=journal(period=period))
    assert answer.status_code == 400 and needle in answer.json()["ExceptionMessage"]


def test_period_from_post_period_and_from_date(visma):
    body = journal()
    del body["financialPeriod"]
    body["postPeriod"] = {"value": "062026"}
    number, _ = _create(visma, body)
    assert visma.get(f"/v2/journaltransaction/{number}").json()["financialPeriod"] == "202606"
    body = journal()
    del body["financialPeriod"]
    number, _ = _create(visma, body)
    assert visma.get(f"/v2/journaltransaction/{number}").json()["financialPeriod"] == "202605"


def test_every_bad_line_is_named(visma):
    lines = [line("9999", debit="10"), line("5010", credit="10")]
    message = visma.post("/v2/journaltransaction", json=journal(lines=lines)).json()
    assert "Line 1" in message["ExceptionMessage"] and "Line 2" in message["ExceptionMessage"]


def test_unbalanced_batch_may_be_created_on_hold(visma):
    lines = [line("5000", debit="10"), line("2930", credit="9")]
    number, _ = _create(visma, journal(lines=lines, hold=True))
    assert visma.get(f"/v2/journaltransaction/{number}").json()["status"] == "Hold"


def test_missing_journal_is_404(visma):
    answer = visma.get("/v2/journaltransaction/999999")
    assert answer.status_code == 404 and "ExceptionMessage" in answer.json()


def _listed(answer):
    """(rows, metadata) of a published listing: a bare array, each row carrying the metadata."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert isinstance(body, list), body
    metas = [row.pop("metadata") for row in body]
    assert all(m == metas[0] for m in metas)  # the page's metadata, on every row
    return body, (metas[0] if metas else None)


def test_list_by_period_pages_by_lines(visma):
    three = [
        line("5000", debit="1"),
        line("5000", debit="2"),
        line("2930", credit="3", dept="00", centre="000"),
    ]
    first, _ = _create(visma, journal(lines=three, description="A"))
    second, _ = _create(visma, journal(lines=three, description="B"))
    _create(visma, journal(period="202606"))
    query = {"periodId": "202605", "pageSize": 4}
    rows, meta = _listed(visma.get("/v2/journaltransaction", params=query))
    assert meta == {"totalCount": 6, "maxPageSize": 1000}  # lines, not batches
    assert [(b["batchNumber"], len(b["journalTransactionLines"])) for b in rows] == [
        (first, 3),
        (second, 1),
    ]
    rows, meta = _listed(visma.get("/v2/journaltransaction", params={**query, "pageNumber": 2}))
    assert meta == {"totalCount": 6, "maxPageSize": 1000}
    assert [(b["batchNumber"], len(b["journalTransactionLines"])) for b in rows] == [(second, 2)]
    assert [ln["lineNumber"] for ln in rows[0]["journalTransactionLines"]] == [2, 3]
    rows, meta = _listed(visma.get("/v2/journaltransaction", params={**query, "pageNumber": 3}))
    assert rows == [] and meta is None


def test_list_wrapped_when_the_tenant_wraps_it(visma):
    """Some tenants answer ``{"metadata", "value": [...]}``: the same rows and counts."""
    three = [line("5000", debit="1"), line("5000", debit="2"), line("2930", credit="3")]
    first, _ = _create(visma, journal(lines=three))
    query = {"periodId": "202605", "pageSize": 2}
    published = [_listed(visma.get("/v2/journaltransaction", params={**query, "pageNumber": n}))
                 for n in (1, 2, 3)]  # fmt: skip
    switched = visma.admin("POST", "/api-variants", {"journal_list_wrapped": True})
    assert switched.status_code == 200 and switched.json()["journal_list_wrapped"] is True
    for n, (rows, meta) in enumerate(published, start=1):
        body = visma.get("/v2/journaltransaction", params={**query, "pageNumber": n}).json()
        assert set(body) == {"metadata", "value"}
        assert body["value"] == rows
        assert body["metadata"] == {"totalCount": 3, "maxPageSize": 1000}
        assert meta in (None, body["metadata"])  # an empty bare page has no row to carry it
    assert [len(r[0]["journalTransactionLines"]) for r, _ in published[:2]] == [2, 1]
    assert published[0][0][0]["batchNumber"] == first
    visma.admin("POST", "/reset", {"visma": small_visma()})  # a reset: published again
    _create(visma, journal())
    assert isinstance(visma.get("/v2/journaltransaction", params=query).json(), list)


@pytest.mark.parametrize(
    "body", [{"journal_list_wrapped": "yes"}, {"wrap": True}, {}, [True]], ids=str
)
def test_api_variants_refuse_unknown_switches(visma, body):
    assert visma.admin("POST", "/api-variants", body).status_code == 400


def test_list_needs_a_filter_and_honours_last_modified_and_status(visma):
    assert visma.get("/v2/journaltransaction").status_code == 400
    number, _ = _create(visma, journal())
    stamp = visma.get(f"/v2/journaltransaction/{number}").json()["lastModifiedDateTime"]
    rows, _ = _listed(visma.get("/v2/journaltransaction", params={"lastModifiedDateTime": stamp}))
    assert [b["batchNumber"] for b in rows] == [number]
    later = visma.get("/v2/journaltransaction", params={"lastModifiedDateTime": "2099-01-01"})
    assert _listed(later) == ([], None)
    held = visma.get("/v2/journaltransaction", params={"periodId": "202605", "status": "Hold"})
    assert _listed(held) == ([], None)
    balanced = visma.get(
        "/v2/journaltransaction", params={"periodId": "202605", "status": "Balanced"}
    )
    assert [b["batchNumber"] for b in _listed(balanced)[0]] == [number]
    unreleased = visma.get(
        "/v2/journaltransaction", params={"periodId": "202605", "status": "Unreleased"}
    )
    assert [b["batchNumber"] for b in _listed(unreleased)[0]] == [number]
    visma.post(f"/v2/journaltransaction/{number}/action/release")
    assert _listed(
        visma.get("/v2/journaltransaction", params={"periodId": "202605", "status": "Unreleased"})
    ) == ([], None)


def test_page_size_is_capped_at_max_page_size(tmp_path):
    server, app = start(tmp_path, max_page_size=2)
    try:
        visma = VismaClient(server)
        _create(visma, journal())
        _create(visma, journal())
        rows, meta = _listed(
            visma.get("/v2/journaltransaction", params={"periodId": "202605", "pageSize": 50})
        )
        assert meta == {"totalCount": 4, "maxPageSize": 2}
        assert sum(len(b["journalTransactionLines"]) for b in rows) == 2
    finally:
        server.stop()
        app.sandbox.store.close()


def test_put_with_if_match_updates_and_rotates_etag(visma):
    number, etag = _create(visma, journal())
    update = {
        "description": {"value": "changed"},
        "journalTransactionLines": [
            {
                "operation": "Update",
                "lineNumber": {"value": 1},
                "debitAmountInCurrency": {"value": 5},
            },
            {
                "operation": "Update",
                "lineNumber": {"value": 2},
                "creditAmountInCurrency": {"value": 5},
            },
            {"operation": "Insert", **line("5000", debit="1")},
            {"operation": "Insert", **line("2930", credit="1", dept="00", centre="000")},
        ],
    }
    answer = visma.put(f"/v2/journaltransaction/{number}", json=update, headers={"If-Match": etag})
    assert answer.status_code == 204 and answer.content == b""
    assert answer.headers["ETag"] != etag
    batch = visma.get(f"/v2/journaltransaction/{number}").json()
    assert batch["description"] == "changed" and batch["debitTotal"] == 6
    assert [ln["lineNumber"] for ln in batch["journalTransactionLines"]] == [1, 2, 3, 4]
    delete = {
        "journalTransactionLines": [
            {"operation": "Delete", "lineNumber": {"value": 3}},
            {"operation": "Delete", "lineNumber": {"value": 4}},
        ]
    }
    assert visma.put(f"/v2/journaltransaction/{number}", json=delete).status_code == 204
    assert visma.get(f"/v2/journaltransaction/{number}").json()["debitTotal"] == 5


def test_put_with_stale_etag_is_412_empty(visma):
    number, etag = _create(visma, journal())
    first = visma.put(
        f"/v2/journaltransaction/{number}",
        json={"description": {"value": "one"}},
        headers={"If-Match": etag},
    )
    assert first.status_code == 204
    stale = visma.put(
        f"/v2/journaltransaction/{number}",
        json={"description": {"value": "two"}},
        headers={"If-Match": etag},
    )
    assert stale.status_code == 412 and stale.content == b""
    assert visma.get(f"/v2/journaltransaction/{number}").json()["description"] == "one"


def test_put_that_unbalances_a_batch_is_refused(visma):
    number, etag = _create(visma, journal())
    update = {
        "journalTransactionLines": [
            {
                "operation": "Update",
                "lineNumber": {"value": 1},
                "debitAmountInCurrency": {"value": 7},
            }
        ]
    }
    answer = visma.put(f"/v2/journaltransaction/{number}", json=update, headers={"If-Match": etag})
    assert answer.status_code == 400 and "out of balance" in answer.json()["ExceptionMessage"]
    assert visma.get(f"/v2/journaltransaction/{number}").headers["ETag"] == etag


def test_release_flow_hold_balanced_posted(visma):
    number, etag = _create(visma, journal(hold=True))
    on_hold = visma.post(f"/v2/journaltransaction/{number}/action/release")
    assert on_hold.status_code == 400 and "on hold" in on_hold.json()["ExceptionMessage"]
    off = visma.put(
        f"/v2/journaltransaction/{number}",
        json={"hold": {"value": False}},
        headers={"If-Match": etag},
    )
    assert off.status_code == 204
    assert visma.get(f"/v2/journaltransaction/{number}").json()["status"] == "Balanced"
    stale = visma.post(
        f"/v2/journaltransaction/{number}/action/release", headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    released = visma.post(f"/v2/journaltransaction/{number}/action/release")
    assert released.status_code == 200
    assert released.json()["actionResult"] == "Done" and released.headers["ETag"]
    assert visma.get(f"/v2/journaltransaction/{number}").json()["status"] == "Posted"
    again = visma.post(f"/v2/journaltransaction/{number}/action/release")
    assert again.status_code == 400 and "already" in again.json()["ExceptionMessage"]
    frozen = visma.put(f"/v2/journaltransaction/{number}", json={"description": {"value": "x"}})
    assert frozen.status_code == 400


@pytest.mark.parametrize(
    ("preferences", "status"),
    [
        ({"post_on_release": False}, "Unposted"),
        ({"release_status": "Released"}, "Released"),
        ({"release_status": "Completed"}, "Completed"),
        ({"release_status": "PartiallyReleased"}, "PartiallyReleased"),
        ({"post_on_release": False, "release_status": "Posted"}, "Posted"),
    ],
)
def test_release_leaves_the_tenants_released_status(visma, preferences, status):
    """What a release leaves is tenant-dependent (the GL preference "Automatically post on
    release" off: ``Unposted``; other tenants: ``Released``/``Completed``/``PartiallyReleased``);
    a batch in any released status can be neither released again nor changed."""
    try:
        answer = visma.admin("POST", "/gl-preferences", preferences)
        assert answer.status_code == 200 and answer.json()["release_status"] == status
        number, _ = _create(visma, journal())
        assert visma.post(f"/v2/journaltransaction/{number}/action/release").status_code == 200
        assert visma.get(f"/v2/journaltransaction/{number}").json()["status"] == status
        again = visma.post(f"/v2/journaltransaction/{number}/action/release")
        assert again.status_code == 400 and "already" in again.json()["ExceptionMessage"]
        change = {"description": {"value": "x"}}
        assert visma.put(f"/v2/journaltransaction/{number}", json=change).status_code == 400
    finally:
        cleared = {"post_on_release": True, "release_status": None}
        assert visma.admin("POST", "/gl-preferences", cleared).json()["release_status"] == "Posted"
    number, _ = _create(visma, journal())
    visma.post(f"/v2/journaltransaction/{number}/action/release")
    assert visma.get(f"/v2/journaltransaction/{number}").json()["status"] == "Posted"


@pytest.mark.parametrize(
    "body",
    [{"post_on_release": "no"}, {"release_status": "Scheduled"}, {"release_status": "Hold"},
     {"release_status": "Voided"}, {"auto_post": True}, {}],
)  # fmt: skip
def test_gl_preferences_refuse_what_is_not_a_released_status(visma, body):
    answer = visma.admin("POST", "/gl-preferences", body)
    assert answer.status_code == 400, answer.text
    number, _ = _create(visma, journal())
    visma.post(f"/v2/journaltransaction/{number}/action/release")
    assert visma.get(f"/v2/journaltransaction/{number}").json()["status"] == "Posted"


def test_release_of_missing_batch_is_404(visma):
    assert visma.post("/v2/journaltransaction/424242/action/release").status_code == 404


def test_max_journal_lines(tmp_path):
    server, app = start(tmp_path, max_journal_lines=2)
    try:
        visma = VismaClient(server)
        lines = [line("5000", debit="1"), line("5000", debit="1"), line("2930", credit="2")]
        answer = visma.post("/v2/journaltransaction", json=journal(lines=lines))
        assert answer.status_code == 400 and "at most 2" in answer.json()["ExceptionMessage"]
    finally:
        server.stop()
        app.sandbox.store.close()


def test_invalid_json_is_400_in_visma_shape(visma):
    answer = visma.post(
        "/v2/journaltransaction", data="{nope", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400 and set(answer.json()) == ERROR_FIELDS


def test_a_controller_closes_and_reopens_a_period(visma):
    """The admin route stands for Visma's UI (no published API closes a period)."""
    assert visma.admin("POST", "/financial-periods/202605", {"closed": True}).status_code == 200
    assert visma.get("/v1/financialPeriod/202605").json()["closedInGeneralLedger"] is True
    answer = visma.post("/v2/journaltransaction", json=journal(period="202605"))
    assert answer.status_code == 400 and "202605 is closed" in answer.json()["ExceptionMessage"]
    assert visma.admin("POST", "/financial-periods/202605", {"closed": False}).status_code == 200
    assert visma.post("/v2/journaltransaction", json=journal(period="202605")).status_code == 201
    assert visma.admin("POST", "/financial-periods/209901", {"closed": True}).status_code == 400
    assert visma.admin("POST", "/financial-periods/202605", {"closed": "yes"}).status_code == 400


def test_a_batch_on_hold_is_emptied_with_delete_lines(visma):
    """What a losing run does to its batch: every line ``operation: Delete`` in one PUT."""
    _create(visma, journal(hold=True))
    (batch,) = visma.state()["journals"]
    number = batch["batchNumber"]
    got = visma.get(f"/v2/journaltransaction/{number}")
    body = {
        "description": {"value": "LOST to batch 000001 key=x"},
        "journalTransactionLines": [
            {"operation": "Delete", "lineNumber": {"value": ln["lineNumber"]}}
            for ln in got.json()["journalTransactionLines"]
        ],
    }
    answer = visma.put(f"/v2/journaltransaction/{number}", json=body,
                       headers={"If-Match": got.headers["ETag"]})  # fmt: skip
    assert answer.status_code == 204
    after = visma.get(f"/v2/journaltransaction/{number}").json()
    assert after["journalTransactionLines"] == [] and after["status"] == "Hold"
