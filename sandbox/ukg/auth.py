"""UKG authentication: the OAuth client-credentials token endpoint, and the per-call check.

Every API call needs ``US-Customer-Api-Key`` plus either a live bearer token or HTTP Basic with
the service user. A wrong, unknown or expired token is a 401 — the connector must fetch a new one
(once) and never loop.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.responses import Response

from sandbox.common import SandboxRuntime, TokenIssuer
from sandbox.ukg import config as cfg
from sandbox.ukg.errors import json_response, unauthorized

TOKEN_PATH = "/signin/oauth2/t/{tenant}/access_token"


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


async def _form_or_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return {}
        return body if isinstance(body, dict) else {}
    return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


def token_router(runtime: SandboxRuntime) -> APIRouter:
    router = APIRouter()

    @router.post(TOKEN_PATH)
    async def access_token(tenant: str, request: Request) -> Response:
        body = await _form_or_json(request)
        client_id, secret = body.get("client_id"), body.get("client_secret")
        basic = _basic(request.headers.get("authorization"))
        if basic and client_id is None:  # client_secret_basic
            client_id, secret = basic
        if body.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "grant_type must be client_credentials"
            )
        if tenant != cfg.TENANT_ALIAS:
            return _oauth_error(400, "invalid_request", "unknown tenant")
        if not (_same(client_id, cfg.CLIENT_ID) and _same(secret, cfg.CLIENT_SECRET)):
            return _oauth_error(401, "invalid_client", "client authentication failed")
        lifetime = runtime.settings.token_lifetime
        token = runtime.tokens.issue(cfg.CLIENT_ID, lifetime, tenant=tenant)
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
        if body.get("scope"):
            answer["scope"] = body["scope"]
        return json_response(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    return router


def authenticate(runtime: SandboxRuntime, request: Request) -> str:
    """The caller's identity, or raise a 401 (``{"code","message"}`` body)."""
    if not _same(request.headers.get("us-customer-api-key"), cfg.CUSTOMER_API_KEY):
        raise unauthorized("Missing or invalid US-Customer-Api-Key header.")
    header = request.headers.get("authorization")
    token = TokenIssuer.bearer(header)
    if token is not None:
        if runtime.tokens.validate(token) is None:
            raise unauthorized("The access token is invalid or has expired.")
        return "oauth"
    basic = _basic(header)
    if basic and _same(basic[0], cfg.BASIC_USER) and _same(basic[1], cfg.BASIC_PASSWORD):
        return "basic"
    raise unauthorized()
