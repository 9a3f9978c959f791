"""UKG's error answers: ProblemDetails bodies, ``{"code","message"}`` on 401, bodiless 429s.

Why several shapes: the real service answers with more than one (see the UKG notes), and the
connector must cope with each; the sandbox uses each where the real one is seen to.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from starlette.responses import Response

from sandbox.common import FaultRule, RateDecision

_TYPES = {
    400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
    403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
    404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    405: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
    409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
    412: "https://tools.ietf.org/html/rfc9110#section-15.5.13",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    502: "https://tools.ietf.org/html/rfc9110#section-15.6.3",
    503: "https://tools.ietf.org/html/rfc9110#section-15.6.4",
    504: "https://tools.ietf.org/html/rfc9110#section-15.6.5",
}
_TITLES = {
    400: "One or more validation errors occurred.",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "An error occurred while processing your request.",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON without FastAPI's encoder pass: GL blocks are thousands of plain dicts."""
    return Response(
        content=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def problem_body(status: int, detail: str, errors: dict[str, list[str]] | None = None) -> dict:
    body: dict[str, Any] = {
        "type": _TYPES.get(status, "about:blank"),
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


class UkgError(Exception):
    """Raised by endpoints; the app's handler turns it into the answer."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        errors: dict[str, list[str]] | None = None,
        body: Any = ...,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.body = problem_body(status, detail, errors) if body is ... else body
        self.headers = headers or {}

    def response(self) -> Response:
        if self.body is None:
            return Response(status_code=self.status, headers=self.headers)
        return json_response(self.body, self.status, self.headers)


def bad_request(field: str, message: str) -> UkgError:
    return UkgError(400, f"{field}: {message}", errors={field: [message]})


def unauthorized(message: str = "Authorization has been denied for this request.") -> UkgError:
    """UKG's gateway answers 401 with ``{"code", "message"}``, not ProblemDetails."""
    return UkgError(
        401, message, body={"code": 401, "message": message}, headers={"WWW-Authenticate": "Bearer"}
    )


def fault_response(status: int, rule: FaultRule | None) -> Response:
    """What an injected status looks like (the edge adds Retry-After and strips bodies)."""
    if status == 401:
        return unauthorized().response()
    if status == 412:
        return Response(status_code=412)
    if status == 429:
        return json_response(problem_body(429, "API calls quota exceeded."), 429)
    return json_response(problem_body(status, "Injected by the sandbox fault rules."), status)


def rate_limited_factory() -> Any:
    """The quota answer: usually no Retry-After; every third one has no body at all.

    Deterministic (a counter), so a test can predict the sequence: the 1st, 2nd, 4th, 5th … 429
    carry a ProblemDetails body; the 3rd, 6th … none; every 5th carries ``Retry-After``.
    """
    counter = itertools.count(1)

    def respond(decision: RateDecision) -> Response:
        n = next(counter)
        headers = {"Retry-After": str(decision.retry_after)} if n % 5 == 0 else {}
        if n % 3 == 0:
            return Response(status_code=429, headers=headers)
        body = problem_body(429, f"Rate limit of {decision.limit} calls per minute exceeded.")
        return json_response(body, 429, headers)

    return respond
