"""Assemble the Visma.net ERP sandbox: common edge + token endpoint + bearer guard + the API."""

from __future__ import annotations

from sandbox.common import SandboxApp, ServerHooks, StateStore, create_sandbox_app
from sandbox.visma.admin import reset, visma_admin_router
from sandbox.visma.auth import bearer_guard, token_router
from sandbox.visma.config import VismaConfig, credentials
from sandbox.visma.employees import employee_router
from sandbox.visma.errors import (
    fault_response,
    install_error_handlers,
    rate_limit_headers,
    rate_limited_response,
)
from sandbox.visma.journals import journal_router
from sandbox.visma.reference import reference_router


def create_app(config: VismaConfig | None = None) -> SandboxApp:
    """A Visma.net ERP sandbox app; state lives in ``config.data_dir`` (memory when None).

    When the store is empty and ``config.initial_reset`` is set, that reset body is applied, so
    a fresh data dir starts with the scenario and a restarted server keeps what it had.
    """
    config = config or VismaConfig()
    store = StateStore(config.db_path)
    hooks = ServerHooks(
        fault_response=fault_response,
        rate_limited_response=rate_limited_response,
        rate_limit_headers=rate_limit_headers,
        credentials=lambda base_url: credentials(config, base_url),
        rate_limit_exempt=lambda path: path == "/connect/token",
    )
    app = create_sandbox_app(
        name="visma",
        store=store,
        hooks=hooks,
        latency_ms=config.latency_ms,
        rate_limit_per_minute=config.rate_limit_per_minute,
        token_lifetime=config.token_lifetime,
        title="Visma.net ERP sandbox",
    )
    app.state.visma_config = config
    install_error_handlers(app)
    app.middleware("http")(bearer_guard(app.sandbox))
    app.include_router(visma_admin_router(app.sandbox))
    app.include_router(token_router(config, app.sandbox))
    app.include_router(reference_router(store))
    app.include_router(employee_router(store, config))
    app.include_router(journal_router(store, config))
    if config.initial_reset is not None and store.count("accounts") == 0:
        reset(store, dict(config.initial_reset))
    return app
