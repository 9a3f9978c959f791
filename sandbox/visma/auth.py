"""``POST /connect/token`` (client credentials, no refresh token ever) and the bearer check.

Why scopes are enforced: a real service application gets only the scopes it was granted; a
connector that asks for ``read`` and then POSTs must fail here as it would in production (403).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sandbox.common import SandboxRuntime, TokenIssuer
from sandbox.visma.config import VismaConfig
from sandbox.visma.errors import gateway_body, unauthorized

_SCOPE_FOR_METHOD = {
    "GET": "vismanet_erp_service_api:read",
    "POST": "vismanet_erp_service_api:create",
    "PUT": "vismanet_erp_service_api:update",
    "DELETE": "vismanet_erp_service_api:delete",
}


def _oauth_error(error: str, status: int = 400) -> Response:
    return JSONResponse({"error": error}, status_code=status, headers={"Cache-Control": "no-store"})


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None, None
    try:
        user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return user, password


def token_router(config: VismaConfig, runtime: SandboxRuntime) -> APIRouter:
    router = APIRouter()

    @router.post("/connect/token")
    async def token(request: Request) -> Response:
        form = await request.form()
        basic_id, basic_secret = _basic_credentials(request)
        client_id = form.get("client_id") or basic_id
        client_secret = form.get("client_secret") or basic_secret
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type")
        if client_id != config.client_id or client_secret != config.client_secret:
            return _oauth_error("invalid_client")
        if form.get("tenant_id") != config.tenant_id:
            return _oauth_error("invalid_client")
        requested = str(form.get("scope") or "").split()
        if any(scope not in config.scopes for scope in requested):
            return _oauth_error("invalid_scope")
        granted = requested or list(config.scopes)
        lifetime = runtime.settings.token_lifetime
        access_token = runtime.tokens.issue(
            str(client_id), lifetime, scope=" ".join(granted), tenant_id=config.tenant_id
        )
        body = {
            "access_token": access_token,
            "expires_in": lifetime,
            "token_type": "Bearer",
            "scope": " ".join(granted),
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return router


def bearer_guard(
    runtime: SandboxRuntime,
) -> Callable[[Request, Callable[[Request], Any]], Coroutine[Any, Any, Response]]:
    """An HTTP middleware body: 401 without a live token, 403 without the method's scope."""

    async def guard(request: Request, call_next: Callable[[Request], Any]) -> Response:
        path = request.url.path
        if path.startswith("/_sandbox") or path == "/connect/token":
            return await call_next(request)
        record = runtime.tokens.validate(TokenIssuer.bearer(request.headers.get("authorization")))
        if record is None:
            return unauthorized()
        needed = _SCOPE_FOR_METHOD.get(request.method)
        if needed and needed not in str(record.get("scope", "")).split():
            return JSONResponse(gateway_body(f"Missing scope {needed}."), status_code=403)
        return await call_next(request)

    return guard
