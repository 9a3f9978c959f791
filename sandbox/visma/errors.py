"""Visma's error answers: the ``ExceptionType/ExceptionMessage/...`` body, 401/403/412/429 shapes.

Why one module: every path that refuses a request (validation, auth, injected faults, the quota,
FastAPI's own 404/422) must answer in the real service's shape, so a client's error mapping is
exercised exactly as it will be against Visma.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox.common import FaultRule, RateDecision


class VismaError(Exception):
    """A refusal with the real error body; ``status`` 400 unless told otherwise."""

    def __init__(self, message: str, *, status: int = 400, code: str = "12000") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


def exception_body(message: str, code: str = "12000") -> dict[str, Any]:
    """The body of a Visma.net 4xx/5xx: the message names what was wrong (account, period…)."""
    return {
        "ExceptionType": "IPPException",
        "ExceptionMessage": message,
        "ExceptionFaultCode": code,
        "ExceptionMessageID": f"{code}_{uuid.uuid4()}",
        "ExceptionDetails": "",
    }


def gateway_body(text: str) -> dict[str, Any]:
    """The API gateway's shape (401, 403, 429, 5xx): ``{"message": "VismaId: <guid>. ..."}``."""
    return {"message": f"VismaId: {uuid.uuid4()}. {text}"}


def unauthorized(text: str = "Authorization has been denied for this request.") -> Response:
    return JSONResponse(gateway_body(text), status_code=401, headers={"WWW-Authenticate": "Bearer"})


_FAULT_TEXT = {
    401: "Authorization has been denied for this request.",
    403: "Insufficient scope for this resource.",
    429: "API rate limit exceeded.",
    500: "An error has occurred.",
    502: "Bad gateway.",
    503: "The service is temporarily unavailable.",
    504: "Gateway timeout.",
}


def fault_response(status: int, rule: FaultRule | None) -> Response:
    """An injected failure, shaped as the real service would send it."""
    if status == 412:
        return Response(status_code=412)
    if status in _FAULT_TEXT:
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(gateway_body(_FAULT_TEXT[status]), status_code=status, headers=headers)
    return JSONResponse(exception_body("Injected sandbox fault.", "12999"), status_code=status)


def rate_limit_headers(decision: RateDecision) -> dict[str, str]:
    """Sent on every answer while a quota is set (the default); ``X-RateLimit-Reset`` is the
    number of seconds until the quota window rolls over. An unlimited sandbox sends none."""
    if decision.limit is None or decision.remaining is None:
        return {}
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_seconds),
    }


def rate_limited_response(decision: RateDecision) -> Response:
    """429 with Retry-After (seconds), always — unlike UKG, Visma says when to come back."""
    return JSONResponse(
        gateway_body(f"API rate limit exceeded. Retry after {decision.retry_after} seconds."),
        status_code=429,
        headers={"Retry-After": str(decision.retry_after)},
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(VismaError)
    async def _visma_error(request: Request, exc: VismaError) -> Response:
        return JSONResponse(exception_body(exc.message, exc.code), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg')}"
            for err in exc.errors()
        )
        return JSONResponse(exception_body(f"Invalid request: {problems}"), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/_sandbox"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        return JSONResponse(exception_body(message), status_code=exc.status_code)
