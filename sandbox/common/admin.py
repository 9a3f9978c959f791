"""The admin routes both servers share, all under ``/_sandbox/`` and never rate limited or faulted.

Routes: ``GET /_sandbox/health``; ``GET/POST/DELETE /_sandbox/faults``; ``GET/DELETE
/_sandbox/calls``; ``GET/POST /_sandbox/config``; ``GET /_sandbox/credentials``;
``DELETE /_sandbox/tokens`` (revoke every issued token).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.common.app import ADMIN_PREFIX, SandboxApp, SandboxRuntime, ServerHooks
from sandbox.common.faults import FaultRule
from sandbox.common.store import StateStore


class ConfigUpdate(BaseModel):
    """Body of ``POST /_sandbox/config``; absent fields stay as they are.

    ``rate_limit_per_minute: null`` switches the quota off; any change starts a fresh window.
    ``quota_clock`` stops the quota window's clock at that many seconds since the epoch (tests
    that must start inside a window); ``null`` returns it to the wall clock.
    """

    model_config = ConfigDict(extra="forbid")

    latency_ms: int | None = Field(default=None, ge=0)
    token_lifetime: int | None = Field(default=None, ge=1)
    rate_limit_per_minute: int | None = Field(default=None, ge=0)
    quota_clock: float | None = Field(default=None, ge=0)


def _parse_rules(body: Any) -> list[FaultRule]:
    """Accept one rule, a list of rules, or ``{"rules": [...]}``."""
    if isinstance(body, dict) and "rules" in body:
        body = body["rules"]
    items = body if isinstance(body, list) else [body]
    try:
        return [FaultRule.model_validate(item) for item in items]
    except ValidationError as exc:
        raise HTTPException(
            status_code=422, detail=exc.errors(include_url=False, include_context=False)
        ) from None


def admin_router(runtime: SandboxRuntime) -> APIRouter:
    router = APIRouter(prefix=ADMIN_PREFIX, tags=["sandbox admin"])

    @router.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "server": runtime.name}

    @router.post("/faults")
    def add_faults(body: Annotated[Any, Body()]) -> dict[str, Any]:
        added = runtime.faults.add(_parse_rules(body))
        return {"added": [item.model_dump() for item in added]}

    @router.get("/faults")
    def list_faults() -> dict[str, Any]:
        return {"faults": [item.model_dump() for item in runtime.faults.list()]}

    @router.delete("/faults")
    def clear_faults() -> dict[str, Any]:
        runtime.faults.clear()
        return {"faults": []}

    @router.get("/calls")
    def list_calls(since: int = 0) -> dict[str, Any]:
        calls = runtime.calls.list(since)
        return {"count": len(calls), "calls": calls}

    @router.delete("/calls")
    def clear_calls() -> dict[str, Any]:
        runtime.calls.clear()
        return {"count": 0, "calls": []}

    @router.get("/config")
    def get_config() -> dict[str, Any]:
        return {
            "latency_ms": runtime.settings.latency_ms,
            "token_lifetime": runtime.settings.token_lifetime,
            "rate_limit_per_minute": runtime.limiter.limit,
            "quota_clock": runtime.limiter.clock_frozen_at,
        }

    @router.post("/config")
    def set_config(update: ConfigUpdate) -> dict[str, Any]:
        if update.latency_ms is not None:
            runtime.settings.latency_ms = update.latency_ms
        if update.token_lifetime is not None:
            runtime.settings.token_lifetime = update.token_lifetime
        if "quota_clock" in update.model_fields_set:
            runtime.limiter.set_clock(update.quota_clock)
        if "rate_limit_per_minute" in update.model_fields_set:
            runtime.limiter.configure(update.rate_limit_per_minute)
        return get_config()

    @router.get("/credentials")
    def credentials(request: Request) -> dict[str, Any]:
        return runtime.hooks.credentials(str(request.base_url).rstrip("/"))

    @router.delete("/tokens")
    def revoke_tokens() -> dict[str, Any]:
        return {"revoked": runtime.tokens.revoke_all()}

    return router


def create_sandbox_app(
    *,
    name: str,
    store: StateStore,
    hooks: ServerHooks | None = None,
    latency_ms: int = 0,
    rate_limit_per_minute: int | None = None,
    token_lifetime: int = 3600,
    title: str | None = None,
) -> SandboxApp:
    """A :class:`SandboxApp` with the runtime attached and the shared admin routes mounted.

    The server then adds its real routes and its own ``/_sandbox/reset``/``state`` routes;
    ``app.sandbox`` is the runtime (store, tokens, settings, faults, calls, limiter).
    """
    runtime = SandboxRuntime(
        name=name,
        store=store,
        hooks=hooks or ServerHooks(),
        latency_ms=latency_ms,
        rate_limit_per_minute=rate_limit_per_minute,
        token_lifetime=token_lifetime,
    )
    app = SandboxApp(
        title=title or f"{name} sandbox",
        docs_url=f"{ADMIN_PREFIX}/docs",
        openapi_url=f"{ADMIN_PREFIX}/openapi.json",
        redoc_url=None,
        # under the admin prefix too: a sandbox path the real service lacks must be a 404
        swagger_ui_oauth2_redirect_url=f"{ADMIN_PREFIX}/docs/oauth2-redirect",
    )
    app.sandbox = runtime
    app.include_router(admin_router(runtime))
    return app
