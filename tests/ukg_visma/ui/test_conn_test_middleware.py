"""The root middleware in front of ``POST /api/v2/connections/test`` (pure ASGI, no server).

It must name the tested connection for the hooks and turn the UI's ``port: 0`` into ``null``
for this project's connection types (Airflow 3.3.2's Test button sends 0 when the stored
connection has no port, and the API then answers 400) — and pass everything else on untouched.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ukg_visma.hooks.probe import TESTED_CONNECTION_ID
from ukg_visma.ui.conn_test import ConnectionTestIdMiddleware

ROUTE = "/api/v2/connections/test"


def call(body: bytes, *, path: str = ROUTE, chunks: int = 1) -> dict[str, Any]:
    """Runs the middleware around an app that records what it received."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        received = b""
        while True:
            message = await receive()
            received += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen["body"] = received
        seen["headers"] = dict(scope["headers"])
        seen["conn_id"] = TESTED_CONNECTION_ID.get()

    size = max(1, -(-len(body) // chunks))
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        return None

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    }  # fmt: skip
    asyncio.run(ConnectionTestIdMiddleware(app)(scope, receive, send))
    return seen


def request(conn_type: str, port: int | None) -> bytes:
    return json.dumps(
        {"connection_id": "ukg_default", "conn_type": conn_type, "host": "http://127.0.0.1:1",
         "login": "client", "password": "***", "port": port, "schema": "", "extra": "{}"}
    ).encode()  # fmt: skip


def test_port_zero_of_our_types_is_sent_on_as_null_with_a_matching_length() -> None:
    for conn_type in ("ukg", "visma_net"):
        seen = call(request(conn_type, 0), chunks=3)
        sent = json.loads(seen["body"])
        assert sent["port"] is None and sent["password"] == "***" and sent["login"] == "client"
        assert seen["headers"][b"content-length"] == str(len(seen["body"])).encode()
        assert seen["conn_id"] == "ukg_default"


def test_everything_else_passes_untouched() -> None:
    for body in (request("ukg", 8443), request("http", 0), b"not json", b""):
        seen = call(body, chunks=2)
        assert seen["body"] == body
        assert seen["headers"][b"content-length"] == str(len(body)).encode()
    assert call(request("ukg", 0), path="/api/v2/connections")["body"] == request("ukg", 0)
