"""Root middleware: tell the hooks which connection the UI's Test button is testing.

Airflow 3.3's ``POST /api/v2/connections/test`` builds the connection under a random transient
id, so a hook's message would name ``'aB3xY9kQ'``. This pure ASGI middleware reads the request's
``connection_id`` (only on that one route, the body replayed unchanged) and sets
``ukg_visma.hooks.probe.TESTED_CONNECTION_ID`` for the request; the route's thread inherits it.
It never logs anything of the body (it holds the password).

It also mends one field for this project's two connection types: Airflow 3.3.2's connection
list sends ``"port": 0`` from its Test button when the stored connection has no port (ours
carry the port in the host URL), and the API then refuses the test with 400 "The host or port
to test differs from the stored connection". Port 0 is no TCP port anybody stores, so for
``ukg`` / ``visma_net`` it is sent on as ``null`` — what the stored connection holds.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ukg_visma.hooks.probe import TESTED_CONNECTION_ID

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TEST_ROUTE = "/api/v2/connections/test"
MAX_BODY = 1_000_000


OUR_CONN_TYPES = frozenset({"ukg", "visma_net"})


def mend_port(body: dict[str, Any]) -> dict[str, Any] | None:
    """The test request with ``port: 0`` → ``null`` for our types; None when nothing changes."""
    if body.get("conn_type") in OUR_CONN_TYPES and body.get("port") == 0:
        return {**body, "port": None}
    return None


class ConnectionTestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope.get("type") != "http"
            or scope.get("method") != "POST"
            or not str(scope.get("path", "")).endswith(TEST_ROUTE)
        ):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size, more = 0, True
        while more:
            message = await receive()
            messages.append(message)
            if message.get("type") != "http.request":
                break
            size += len(message.get("body", b""))
            more = bool(message.get("more_body")) and size <= MAX_BODY
        body = b"".join(m.get("body", b"") for m in messages if m.get("type") == "http.request")
        conn_id: str | None = None
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            if isinstance(parsed.get("connection_id"), str):
                conn_id = parsed["connection_id"]
            mended = mend_port(parsed)
            if mended is not None:
                body = json.dumps(mended).encode()
                messages = [{"type": "http.request", "body": body, "more_body": False}]
                scope = dict(scope)
                scope["headers"] = [
                    (k, str(len(body)).encode() if k.lower() == b"content-length" else v)
                    for k, v in scope.get("headers", [])
                ]
        pending = list(messages)

        async def replay() -> Message:
            if pending:
                return pending.pop(0)
            return await receive()

        token = TESTED_CONNECTION_ID.set(conn_id)
        try:
            await self.app(scope, replay, send)
        finally:
            TESTED_CONNECTION_ID.reset(token)


ROOT_MIDDLEWARE: dict[str, Any] = {
    "middleware": ConnectionTestIdMiddleware,
    "args": [],
    "kwargs": {},
    "name": "ukg_visma: real connection id for the Test button",
}
