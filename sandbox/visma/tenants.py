"""Several Visma.net companies behind one sandbox host, told apart by tenant id as Visma does.

Real Visma.net serves every company on one host (``api.finance.visma.net``); which company a
call reads or writes is decided by the bearer token, which ``POST /connect/token`` issued for the
``tenant_id`` in its form. A group's connector therefore holds one connection per company (same
host, same client, another ``tenant_id``), and a bug that used the wrong token would post into the
wrong company. The sandbox does the same: each tenant is a complete Visma sandbox app with its
own store (chart, dimensions, periods, journals, employees), faults, call log and quota, and this
ASGI router sends every request to the tenant its token (or token request) names.

- ``POST /connect/token``: the form's ``tenant_id`` picks the tenant; an unknown one goes to the
  first tenant, which refuses it (``invalid_client``) as Visma does.
- Any API call: the tenant whose token store knows the bearer token; none → the first tenant
  (which answers 401).
- ``/_sandbox/...``: the first tenant (everything existing keeps working);
  ``/_sandbox/t/{tenant_id}/...``: that tenant's admin routes (``reset``, ``state``, ``faults``,
  ``calls``, ``credentials``, …).
- ``GET /_sandbox/tenants``: the tenant ids; ``POST /_sandbox/tenants``
  ``{"tenant_id": "...", ...reset body}``: add the tenant if new and reset it with the rest of
  the body (e.g. ``{"scenario": "manufacturer", "chart": "mo_i_rana"}`` or ``{"visma": {...}}``).

A tenant added at run time lives in ``{data_dir}/tenants/{tenant_id}/`` and comes back after a
restart, like the first tenant's state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sandbox.common import SandboxApp, TokenIssuer
from sandbox.visma.app import create_app
from sandbox.visma.config import VismaConfig

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

TENANT_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_TENANT_ADMIN = re.compile(r"^/_sandbox/t/([^/]+)(/.*)?$")


class TenantRouter:
    """The Visma sandbox with one company per tenant id (see the module docstring)."""

    def __init__(self, config: VismaConfig) -> None:
        self.config = config
        self.primary: SandboxApp = create_app(config)
        # what ``sandbox.__main__`` and the tests reach for (credentials, hooks) is the first's
        self.sandbox = self.primary.sandbox
        self.state = self.primary.state
        self.apps: dict[str, SandboxApp] = {config.tenant_id: self.primary}
        folder = self._tenants_dir()
        if folder is not None and folder.is_dir():
            for sub in sorted(folder.iterdir()):
                if sub.is_dir() and TENANT_ID.match(sub.name):
                    self.add(sub.name)

    def _tenants_dir(self) -> Path | None:
        return Path(self.config.data_dir) / "tenants" if self.config.data_dir is not None else None

    def add(self, tenant_id: str) -> SandboxApp:
        """The app of ``tenant_id``, made (empty: reset it to load a chart) when new."""
        if tenant_id in self.apps:
            return self.apps[tenant_id]
        if not TENANT_ID.match(tenant_id):
            raise ValueError(f"tenant id {tenant_id!r}: letters, digits, _ . - only")
        folder = self._tenants_dir()
        config = replace(
            self.config,
            tenant_id=tenant_id,
            data_dir=folder / tenant_id if folder is not None else None,
            initial_reset=None,
        )
        if folder is not None:
            (folder / tenant_id).mkdir(parents=True, exist_ok=True)
        app = create_app(config)
        self.apps[tenant_id] = app
        return app

    def _by_token(self, scope: Scope) -> SandboxApp:
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"authorization", b"").decode("latin-1")
        token = TokenIssuer.bearer(raw)
        if token:
            for app in self.apps.values():
                if app.sandbox.tokens.validate(token) is not None:
                    return app
        return self.primary

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.primary(scope, receive, send)
            return
        path = scope["path"]
        if path == "/_sandbox/tenants":
            await self._tenants(scope, receive, send)
            return
        match = _TENANT_ADMIN.match(path)
        if match:
            app = self.apps.get(match.group(1))
            if app is None:
                await _json(send, 404, {"error": f"no tenant {match.group(1)!r}"})
                return
            inner = "/_sandbox" + (match.group(2) or "")
            scope = {**scope, "path": inner, "raw_path": inner.encode("latin-1")}
            await app(scope, receive, send)
            return
        if path.startswith("/_sandbox"):
            await self.primary(scope, receive, send)
            return
        if path == "/connect/token":
            body = await _read_body(receive)
            form = parse_qs(body.decode("latin-1"))
            tenant = (form.get("tenant_id") or [""])[0]
            app = self.apps.get(tenant, self.primary)
            await app(scope, _replay(body), send)
            return
        await self._by_token(scope)(scope, receive, send)

    async def _tenants(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET":
            await _json(send, 200, {"tenants": list(self.apps)})
            return
        if scope["method"] != "POST":
            await _json(send, 405, {"error": "GET or POST"})
            return
        try:
            body = json.loads(await _read_body(receive) or b"{}")
            tenant = str(body.pop("tenant_id"))
            app = self.add(tenant)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            await _json(send, 400, {"error": f"POST /_sandbox/tenants: {exc}"})
            return
        raw = json.dumps(body).encode("utf-8")
        reset_scope = {
            **scope,
            "path": "/_sandbox/reset",
            "raw_path": b"/_sandbox/reset",
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(len(raw)).encode("latin-1"))],
        }  # fmt: skip
        await app(reset_scope, _replay(raw), send)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    """A ``receive`` that hands the already-read body to the tenant's app once."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode("utf-8")
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(raw)).encode("latin-1"))]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
