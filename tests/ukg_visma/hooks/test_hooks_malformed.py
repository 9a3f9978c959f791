"""Malformed answers through the real hooks against the sandboxes (issue #14): every read that
parses a body checks what it got and raises a classified error naming the endpoint, status,
content type and a short safe excerpt; unknown extra fields pass; a POST whose answer is not
Visma's is a lost answer (read back), a PUT's is re-read and re-applied."""

from __future__ import annotations

import pytest
from hooks_helpers import FAST, api_calls
from test_hooks_visma_api import _employee, _journal

from ukg_visma.errors import NotRetryable, Retryable
from ukg_visma.hooks import ResponseLostError, TransientError, UkgHook, VismaHook
from ukg_visma.hooks.exceptions import MalformedResponseError, safe_excerpt
from ukg_visma.hooks.shapes import Expect
from ukg_visma.tasks.runtime import TaskRetryPolicy

pytestmark = pytest.mark.e2e
ACCOUNTS = "^/v1/account$"


def _calls(box, server: str, path: str, method: str = "GET") -> list[dict]:
    return [c for c in api_calls(box, server, path) if c["method"] == method]


def test_malformed_is_transient_but_only_a_few_times():
    assert issubclass(MalformedResponseError, Retryable)
    assert not issubclass(MalformedResponseError, NotRetryable)
    error = MalformedResponseError("x", service="Visma.net", method="GET", path="/v1/account")
    policy = TaskRetryPolicy(first_delay_s=1, max_delay_s=2)
    assert policy.evaluate(error, 3, 10).action.value == "retry"
    last = policy.evaluate(error, 4, 10)  # 3 retries allowed, whatever the outage budget is
    assert last.action.value == "fail" and "attempt 4 of 4" in last.reason


@pytest.mark.parametrize(
    ("rule", "why", "content_type"),
    [
        ({"body": "html"}, "an HTML page instead of JSON", "text/html"),
        ({"body": "empty"}, "an empty body", "no content type"),
        ({"body": "truncated"}, "JSON that does not parse", "application/json"),
        ({"body": "wrong_shape"}, "got an object with keys count, records", "application/json"),
    ],
)
def test_unusable_catalog_read_names_endpoint_status_type_and_excerpt(box, rule, why,
                                                                     content_type):  # fmt: skip
    hook = VismaHook(retry_policy=FAST)
    box.faults("visma", {"method": "GET", "path": ACCOUNTS, "times": 3, **rule})
    with pytest.raises(MalformedResponseError) as caught:
        hook.accounts()
    text = str(caught.value)
    assert text.startswith("Visma.net GET /v1/account → 200: expected the chart of accounts")
    assert why in text and content_type in text, text
    if rule["body"] == "html":
        assert "Scheduled maintenance" in text and "<" not in caught.value.excerpt
        assert "password" not in text.lower().replace("password=***", "")
    assert len(caught.value.excerpt) <= 160
    assert len(_calls(box, "visma", "/v1/account")) == 3  # read three times, then gave up


def test_a_passing_bad_answer_is_read_again(box):
    hook = VismaHook(retry_policy=FAST)
    box.faults("visma", {"method": "GET", "path": ACCOUNTS, "body": "html", "times": 2})
    assert {"5000", "2930"} <= {a["accountCD"] for a in hook.accounts()}
    assert len(_calls(box, "visma", "/v1/account")) == 3


def test_proxy_error_page_is_transient_with_its_title(box):
    hook = VismaHook(retry_policy=FAST)
    box.faults("visma", {"method": "GET", "path": ACCOUNTS, "body": "html", "status": 502,
                         "times": 1})  # fmt: skip
    assert hook.accounts()  # 502 is retried by the request loop
    box.faults("visma", {"method": "POST", "path": "^/v2/journaltransaction$", "body": "html",
                         "status": 503})  # fmt: skip
    with pytest.raises(TransientError) as caught:
        hook.create_journal(_journal("HTML-503", period="202608"))
    assert isinstance(caught.value, Retryable)
    assert "503 Service Temporarily Unavailable" in str(caught.value)
    assert "<" not in str(caught.value)


def test_empty_page_of_a_listing_is_not_the_end_of_it(box):
    """An empty 200 on a journal listing used to read as "no journals" — the read-back that
    decides whether to post again."""
    hook = VismaHook(retry_policy=FAST)
    hook.create_journal(_journal("EMPTY-PAGE", period="202608"))
    box.faults("visma", {"method": "GET", "path": "^/v2/journaltransaction$", "body": "empty",
                         "times": 2})  # fmt: skip
    described = [r["description"] for r in hook.journals("202608")]
    assert described.count("EMPTY-PAGE") == 1


def test_missing_required_field_names_record_and_field():
    expect = Expect("a page of journal transactions", "page", ("batchNumber", "status"))
    body = {"value": [{"batchNumber": "000001", "status": "Posted"}, {"batchNumber": "000002"}]}
    assert expect.problem(body) == (
        "record 2 of a page of journal transactions (batchNumber 000002) has no status"
    )
    alternatives = Expect("the chart of accounts", "list", ("accountCD|accountNumber",))
    assert alternatives.problem([{"description": "x"}]) == (
        "record 1 of the chart of accounts has no accountCD (nor accountNumber)"
    )
    assert alternatives.problem([{"accountNumber": "5000", "brandNew": 1}]) is None


def test_unknown_extra_fields_everywhere_pass(box):
    visma, ukg = VismaHook(retry_policy=FAST), UkgHook(retry_policy=FAST)
    visma.create_employee(_employee("MX1"))
    for server in ("visma", "ukg"):
        box.faults(server, {"body": "extra_fields", "times": None})
    assert visma.accounts()[0]["sandboxAddedField"] == "an unknown field"
    assert visma.subaccount_dimension()["segments"]
    assert visma.financial_periods() and visma.projects() and visma.departments()
    assert list(visma.employees())
    assert list(ukg.org_levels()) and list(ukg.employment_details())


def test_html_200_after_a_committed_post_is_a_lost_answer(box):
    hook = VismaHook(retry_policy=FAST)
    box.faults("visma", {"method": "POST", "path": "^/v2/journaltransaction$", "body": "html",
                         "commit": True})  # fmt: skip
    with pytest.raises(ResponseLostError, match="read back") as caught:
        hook.create_journal(_journal("HTML-COMMIT", period="202608"))
    assert "200 with an HTML page instead of Visma's 201" in str(caught.value)
    assert "text/html" in str(caught.value)
    described = [r["description"] for r in hook.journals("202608")]
    assert described.count("HTML-COMMIT") == 1  # it did happen, once


@pytest.mark.parametrize("body", ["cut", "empty"])
def test_cut_or_empty_answer_to_an_employee_post_is_lost(box, body):
    hook = VismaHook(retry_policy=FAST)
    box.faults("visma", {"method": "POST", "path": "^/v1/employee$", "body": body,
                         **({"commit": True} if body == "empty" else {})})  # fmt: skip
    with pytest.raises(ResponseLostError):
        hook.create_employee(_employee(f"M{body}1"))
    assert hook.employee(f"M{body}1")["employeeNumber"] == f"M{body}1"


@pytest.mark.parametrize("commit", [True, False])
def test_empty_200_on_a_put_is_re_read_and_re_applied(box, commit):
    hook = VismaHook(retry_policy=FAST)
    number = f"MP{int(commit)}"
    hook.create_employee(_employee(number))
    box.faults("visma", {"method": "PUT", "path": "^/v1/employee/", "body": "empty",
                         "commit": commit})  # fmt: skip

    def rename(current: dict) -> dict | None:
        if current["contact"]["lastName"] == "Malformed":
            return None
        return {"contact": {"lastName": {"value": "Malformed"}}}

    sent = hook.update_employee(number, rename)
    assert sent == {"contact": {"lastName": {"value": "Malformed"}}}  # applied, and said so
    assert hook.employee(number)["contact"]["lastName"] == "Malformed"
    puts = _calls(box, "visma", "/v1/employee/", "PUT")
    assert len(puts) == (1 if commit else 2)  # re-sent only when the first did not apply


def test_excerpt_masks_credentials_and_is_bounded():
    page = (
        b"<html><title>Login</title><body><h1>Token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.abc"
        b" expired</h1>Authorization: Bearer abc.def-123 client_secret=s3cr3t</body></html>"
    )
    assert safe_excerpt(page, "text/html") == "Login — Token *** expired"
    text = safe_excerpt(b'{"access_token": "tok123", "x": "' + b"y" * 400 + b'"}', "",
                        lambda s: s)  # fmt: skip
    assert "tok123" not in text and len(text) == 160
    assert "s3cr3t" not in safe_excerpt(b"client_secret=s3cr3t&a=Bearer zzz", "text/plain")
    assert "zzz" not in safe_excerpt(b"client_secret=s3cr3t&a=Bearer zzz", "text/plain")


@pytest.mark.parametrize("body", ["html", "empty", "truncated"])
def test_unusable_token_answer_is_malformed_not_a_credential_refusal(box, body):
    """A proxy's page on the token endpoint used to be an AuthenticationError (permanent)."""
    hook = VismaHook(retry_policy=FAST)
    box.faults("visma", {"path": "^/connect/token$", "body": body, "times": 1})
    with pytest.raises(MalformedResponseError, match="token endpoint answered") as caught:
        hook.accounts()
    assert caught.value.during_auth and caught.value.path == "/connect/token"
    secret = box.credentials["visma"]["connection"]["password"]
    assert secret not in str(caught.value)
    assert hook.accounts()  # the next try gets a token
