"""The sandbox app: a FastAPI app whose outermost layer applies latency, faults and the quota.

Why the outermost layer (``SandboxApp.__call__``) and not a Starlette middleware: to drop a
connection after the endpoint committed, the code must hold the server's own ``send`` — inside
Starlette's middleware stack an exception turns into a 500 answer instead of a silent close.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.responses import Response

from sandbox.common.calls import CallLog
from sandbox.common.faults import REWRITES, FaultBook, FaultRule
from sandbox.common.ratelimit import RateDecision, RateLimiter
from sandbox.common.store import StateStore
from sandbox.common.tokens import TokenIssuer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ADMIN_PREFIX = "/_sandbox"


class ConnectionDropped(Exception):
    """Raised when a drop was asked for but the server gives no transport to close.

    Under uvicorn the transport is closed directly; under an in-process ASGI client (httpx's
    ASGITransport) this exception reaches the client, which is the same thing seen from there.
    """


def _default_fault_response(status: int, rule: FaultRule | None) -> Response:
    return Response(status_code=status)


def _default_rate_limited(decision: RateDecision) -> Response:
    return Response(status_code=429, headers={"Retry-After": str(decision.retry_after)})


@dataclass
class ServerHooks:
    """What differs between the UKG and the Visma sandbox at the edge.

    - ``fault_response(status, rule)``: the body/headers of an injected status (each server's error
      shape; the runtime adds Retry-After from the rule, and empties the body when ``no_body``).
    - ``rate_limited_response(decision)``: the answer when the quota is spent.
    - ``rate_limit_headers(decision)``: headers added to *every* non-admin answer (Visma's
      ``X-RateLimit-*``); None for none.
    - ``credentials(base_url)``: the body of ``GET /_sandbox/credentials``.
    - ``rate_limit_exempt(path)``: True for paths outside the quota (e.g. a token endpoint).
    """

    fault_response: Callable[[int, FaultRule | None], Response] = _default_fault_response
    rate_limited_response: Callable[[RateDecision], Response] = _default_rate_limited
    rate_limit_headers: Callable[[RateDecision], dict[str, str]] | None = None
    credentials: Callable[[str], dict[str, Any]] = field(default=lambda base_url: {})
    rate_limit_exempt: Callable[[str], bool] = field(default=lambda path: False)


@dataclass
class Settings:
    """Runtime knobs changeable through ``POST /_sandbox/config`` (kept in memory)."""

    latency_ms: int = 0
    token_lifetime: int = 3600


class SandboxRuntime:
    """Everything the edge layer and the admin routes share for one server."""

    def __init__(
        self,
        *,
        name: str,
        store: StateStore,
        hooks: ServerHooks,
        latency_ms: int = 0,
        rate_limit_per_minute: int | None = None,
        token_lifetime: int = 3600,
    ) -> None:
        self.name = name
        self.store = store
        self.hooks = hooks
        self.settings = Settings(latency_ms=latency_ms, token_lifetime=token_lifetime)
        self.faults = FaultBook()
        self.calls = CallLog()
        self.limiter = RateLimiter(rate_limit_per_minute)
        self.tokens = TokenIssuer(store)

    async def handle(self, scope: Scope, receive: Receive, send: Send, app: Any) -> None:
        """Run one non-admin HTTP request through latency → quota → fault → endpoint."""
        started = time.monotonic()
        method, path = scope["method"], scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        rule = self.faults.take(method, path)
        delay = self.settings.latency_ms + (rule.latency_ms if rule else 0)
        if delay:
            await asyncio.sleep(delay / 1000)
        decision = None if self.hooks.rate_limit_exempt(path) else self.limiter.hit()
        extra: dict[str, str] = {}
        if decision is not None and self.hooks.rate_limit_headers is not None:
            extra = self.hooks.rate_limit_headers(decision)
        status: list[int] = []
        fault_name: str | None = None
        committed: int | None = None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [
                    (key.lower().encode("latin-1"), value.encode("latin-1"))
                    for key, value in extra.items()
                    if key.lower().encode("latin-1") not in present
                ]
                message = {**message, "headers": headers}
            await send(message)

        if rule is not None and rule.body is not None and (rule.commit or rule.body in REWRITES):
            fault_name = f"body:{rule.body}"
            committed = await self._run_and_rewrite(scope, receive, send, send_with_headers, app,
                                                    rule)  # fmt: skip
        elif rule is not None and rule.body is not None:
            fault_name = f"body:{rule.body}"
            await self._body_fault(rule)(scope, receive, send_with_headers)
        elif rule is not None and rule.status is not None:
            fault_name = f"status:{rule.status}"
            response = self._fault(rule)
            await response(scope, receive, send_with_headers)
        elif decision is not None and not decision.allowed:
            fault_name = "rate_limit"
            await self.hooks.rate_limited_response(decision)(scope, receive, send_with_headers)
        elif rule is not None and rule.drop_response_after_commit:
            fault_name = "drop_response_after_commit"
            committed = await self._run_and_drop(scope, receive, send, app)
        else:
            if rule is not None:
                fault_name = "latency"
            await app(scope, receive, send_with_headers)
        self.calls.record(
            method=method,
            path=path,
            query=query,
            status=status[0] if status else None,
            duration_ms=(time.monotonic() - started) * 1000,
            fault=fault_name,
            committed_status=committed,
        )

    def _fault(self, rule: FaultRule) -> Response:
        assert rule.status is not None
        response = self.hooks.fault_response(rule.status, rule)
        if rule.no_body:
            response = Response(
                status_code=rule.status,
                headers={
                    k: v
                    for k, v in response.headers.items()
                    if k.lower() not in ("content-length", "content-type")
                },
            )
        if rule.retry_after is not None:
            response.headers["Retry-After"] = str(rule.retry_after)
        return response

    def _body_fault(self, rule: FaultRule) -> Response:
        """The answer of an ``html``/``empty`` fault (``status`` was defaulted to 200)."""
        status = rule.status or 200
        if rule.body == "empty":
            return Response(status_code=status)
        page = _html_page(self.name, status)
        return Response(page, status_code=status, media_type="text/html; charset=utf-8")

    async def _run_and_rewrite(
        self, scope: Scope, receive: Receive, send: Send, send_out: Send, app: Any,
        rule: FaultRule,
    ) -> int:  # fmt: skip
        """Run the endpoint to completion (it commits), then answer the malformed version of
        its answer. Returns the endpoint's own status."""
        start: list[Message] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.append(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, capture)
        status = start[0]["status"] if start else 500
        headers = [(k, v) for k, v in (start[0].get("headers", []) if start else [])
                   if k.lower() != b"content-length"]  # fmt: skip
        original = b"".join(chunks)
        if rule.body in ("html", "empty"):
            await self._body_fault(rule)(scope, receive, send_out)
            return status
        if rule.body == "cut":
            await self._cut(send, send_out, status, headers, original)
            return status
        body = original
        if rule.body == "truncated":
            body = original[: len(original) // 2]
        elif rule.body in ("extra_fields", "wrong_shape") and original:
            try:
                parsed = json.loads(original)
            except ValueError:
                parsed = None
            if parsed is not None:
                changed = (
                    _with_extra_fields(parsed)
                    if rule.body == "extra_fields"
                    else _wrong_shape(parsed)
                )
                body = json.dumps(changed).encode("utf-8")
        headers.append((b"content-length", str(len(body)).encode("latin-1")))
        await send_out({"type": "http.response.start", "status": status, "headers": headers})
        await send_out({"type": "http.response.body", "body": body})
        return status

    async def _cut(
        self, send: Send, send_out: Send, status: int, headers: list[Any], original: bytes
    ) -> None:
        """Announce the whole body (at least 64 bytes), send half of it, close the connection:
        ``close`` (not ``abort``) so that what was written reaches the client first."""
        declared = max(len(original), 64)
        headers = [*headers, (b"content-length", str(declared).encode("latin-1"))]
        await send_out({"type": "http.response.start", "status": status, "headers": headers})
        half = original[: len(original) // 2]
        await send_out({"type": "http.response.body", "body": half, "more_body": True})
        cycle = getattr(send, "__self__", None)  # uvicorn's RequestResponseCycle
        transport = getattr(cycle, "transport", None)
        if cycle is None or transport is None:
            raise ConnectionDropped("answer cut mid-body")
        transport.close()
        cycle.disconnected = True
        await asyncio.sleep(0)

    async def _run_and_drop(self, scope: Scope, receive: Receive, send: Send, app: Any) -> int:
        """Run the endpoint to completion (it commits), swallow its answer, close the socket."""
        status: list[int] = []

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, swallow)
        cycle = getattr(send, "__self__", None)  # uvicorn's RequestResponseCycle
        transport = getattr(cycle, "transport", None)
        if cycle is None or transport is None:
            raise ConnectionDropped("response dropped after commit")
        transport.abort()
        # Tell uvicorn the peer is gone, so it neither writes a 500 nor logs an error.
        cycle.disconnected = True
        await asyncio.sleep(0)
        return status[0] if status else 0


EXTRA_FIELDS = {
    "sandboxAddedField": "an unknown field",
    "sandboxAddedObject": {"value": "unknown", "nested": [1, 2]},
}


def _with_extra_fields(value: Any) -> Any:
    """``value`` with unknown fields added to every object in it (lists kept in order)."""
    if isinstance(value, dict):
        return {**{k: _with_extra_fields(v) for k, v in value.items()}, **EXTRA_FIELDS}
    if isinstance(value, list):
        return [_with_extra_fields(item) for item in value]
    return value


def _wrong_shape(value: Any) -> Any:
    """An object where a list was (``{"count", "records"}``), a list where an object was."""
    if isinstance(value, list):
        return {"count": len(value), "records": value}
    return [value]


def _html_page(server: str, status: int) -> str:
    """What a proxy puts in front of an API: its error page, or a 200 login/maintenance page."""
    if status >= 500:
        reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable"}.get(status, "Error")
        return (
            f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{server} - Scheduled maintenance</title>"
        "<style>body{font-family:sans-serif}</style></head><body>"
        "<h1>We&rsquo;ll be back soon</h1><p>The service is undergoing scheduled maintenance. "
        'Please sign in again later.</p><form method="post" action="/login">'
        '<input name="username"><input name="password" type="password">'
        "<button>Sign in</button></form></body></html>"
    )


class SandboxApp(FastAPI):
    """FastAPI with the sandbox edge in front of every non-admin request."""

    sandbox: SandboxRuntime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await super().__call__(scope, receive, send)
            return
        await self.sandbox.handle(scope, receive, send, super().__call__)
