"""Root middleware: tell the hooks which connection the UI's Test button is testing.

Airflow 3.3's ``POST /api/v2/connections/test`` builds the connection under a random transient
id, so a hook's message would name ``'aB3xY9kQ'``. This pure ASGI middleware reads the request's
``connection_id`` (only on that one route, the body replayed unchanged) and sets
``ukg_visma.hooks.probe.TESTED_CONNECTION_ID`` for the request; the route's thread inherits it.
It never reads or logs anything else of the body (it holds the password).
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
            if isinstance(parsed, dict) and isinstance(parsed.get("connection_id"), str):
                conn_id = parsed["connection_id"]
        except ValueError:
            conn_id = None
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
