"""Assemble the UKG Pro sandbox app: the shared edge (faults, quota, call log) + its routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sandbox.common import ADMIN_PREFIX, SandboxApp, ServerHooks, StateStore, create_sandbox_app
from sandbox.scenario.customer import TENANT
from sandbox.ukg import config as cfg
from sandbox.ukg.admin import ukg_admin_router
from sandbox.ukg.auth import authenticate, token_router
from sandbox.ukg.configuration import configuration_router
from sandbox.ukg.errors import (
    UkgError,
    fault_response,
    json_response,
    problem_body,
    rate_limited_factory,
)
from sandbox.ukg.payroll import payroll_router
from sandbox.ukg.personnel import personnel_router
from sandbox.ukg.state import UkgState
from sandbox.ukg.webhooks import WebhookEmitter


def create_app(config: cfg.UkgConfig | dict[str, Any] | None = None) -> SandboxApp:
    """The UKG Pro sandbox as an ASGI app; ``app.state.ukg`` is its :class:`UkgState`."""
    conf = cfg.UkgConfig.of(config)
    path = Path(conf.data_dir) / "ukg.sqlite3" if conf.data_dir is not None else None
    store = StateStore(path)
    hooks = ServerHooks(
        fault_response=fault_response,
        rate_limited_response=rate_limited_factory(),
        credentials=cfg.credentials,
        rate_limit_exempt=lambda p: p.startswith("/signin/"),
    )
    app = create_sandbox_app(
        name="ukg",
        store=store,
        hooks=hooks,
        latency_ms=conf.latency_ms,
        rate_limit_per_minute=conf.rate_limit_per_minute,
        token_lifetime=conf.token_lifetime,
        title="UKG Pro sandbox",
    )
    runtime = app.sandbox
    state = UkgState(store, conf)
    emitter = WebhookEmitter(store, lambda: state.seed, TENANT)
    app.state.ukg = state
    app.state.webhooks = emitter

    async def require_auth(request: Request) -> None:
        authenticate(runtime, request)

    guarded = [Depends(require_auth)]
    app.include_router(token_router(runtime))
    app.include_router(payroll_router(state), dependencies=guarded)
    app.include_router(personnel_router(state), dependencies=guarded)
    app.include_router(configuration_router(state), dependencies=guarded)
    app.include_router(ukg_admin_router(runtime, state, emitter))

    @app.exception_handler(UkgError)
    async def ukg_error(request: Request, exc: UkgError) -> Response:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith(ADMIN_PREFIX):
            return await request_validation_exception_handler(request, exc)
        errors: dict[str, list[str]] = {}
        for err in exc.errors():
            errors.setdefault(str(err["loc"][-1]), []).append(err["msg"])
        return json_response(problem_body(400, "The request is invalid.", errors), 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(ADMIN_PREFIX):
            return await http_exception_handler(request, exc)
        body = problem_body(exc.status_code, str(exc.detail))
        return json_response(body, exc.status_code, dict(exc.headers or {}))

    return app
