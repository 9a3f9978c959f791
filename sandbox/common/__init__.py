"""Shared infrastructure of the UKG and Visma sandbox servers.

API summary (everything importable from ``sandbox.common``)::

    store = StateStore(Path(data_dir) / "ukg.sqlite3")      # or StateStore(None): memory only
    app = create_sandbox_app(
        name="ukg", store=store,
        hooks=ServerHooks(
            fault_response=lambda status, rule: JSONResponse({...}, status),  # server error shape
            rate_limited_response=lambda decision: Response(status_code=429),
            rate_limit_headers=None,            # or decision -> {"X-RateLimit-Limit": ...}
            credentials=lambda base_url: {...}, # body of GET /_sandbox/credentials
            rate_limit_exempt=lambda path: False,
        ),
        latency_ms=0, rate_limit_per_minute=None, token_lifetime=3600,
    )                                           # -> SandboxApp (a FastAPI subclass)
    app.sandbox                                 # SandboxRuntime: .store .tokens .settings
                                                #   .faults .calls .limiter .hooks .name
    @app.get("/real/path") ...                  # add the real routes, plus your own
                                                #   /_sandbox/reset and /_sandbox/state

StateStore(path) — thread-safe namespaced JSON records, written to SQLite before returning, read
from memory (every read is a fresh copy): ``get(ns, key, default)``, ``has``, ``keys(ns)``,
``items(ns)``, ``values(ns)``, ``count(ns)``, ``snapshot([ns...]) -> {ns: {key: rec}}``,
``put(ns, key, value)``, ``put_many(ns, mapping_or_pairs)``, ``delete(ns, key) -> bool``,
``clear(ns=None)`` (None = everything), ``next_id(name, start=1) -> int`` (persistent counter),
``reset_id(name)``,
``with store.atomic(): ...`` (one transaction, rolled back in memory too), ``close()``.
Values must be JSON-native (convert Decimal/datetime yourself).

TokenIssuer (``app.sandbox.tokens``, persisted in the store namespace ``_tokens``):
``issue(subject, lifetime_seconds, **claims) -> token``, ``validate(token) -> record | None``,
``TokenIssuer.bearer(authorization_header) -> token | None``, ``revoke_all()``. Use
``app.sandbox.settings.token_lifetime`` as the lifetime (changeable at runtime).

Edge layer (``SandboxApp.__call__``), for every request whose path does not start with
``/_sandbox``, in this order: global latency (``settings.latency_ms``) + the fault rule's latency →
quota hit (unless ``rate_limit_exempt(path)``) → a rule with ``body`` (``html``, ``empty``,
``truncated``, ``cut``, ``extra_fields``, ``wrong_shape``; see ``FaultRule``) answers a malformed
body, instead of the endpoint or — ``commit`` and the rewriting modes — after it committed →
the first matching fault rule with ``status``
answers ``hooks.fault_response(status, rule)`` (+ ``Retry-After`` from ``retry_after``; empty body
when ``no_body``) → else over quota answers ``hooks.rate_limited_response(decision)`` → else a
``drop_response_after_commit`` rule runs the endpoint, then aborts the TCP connection with no
response (the client sees a connection error; the work is committed) → else the endpoint runs.
``hooks.rate_limit_headers(decision)`` headers are added to every answer that is sent.
Every such request is logged in ``app.sandbox.calls``.

RateDecision: ``allowed``, ``limit`` (None = unlimited), ``remaining``, ``reset_seconds`` (until the
minute window rolls over), ``retry_after`` (>= 1).

Admin routes (mounted by ``create_sandbox_app``; never faulted, limited or logged):
- ``GET /_sandbox/health`` → ``{"status": "ok", "server": name}``
- ``POST /_sandbox/faults`` — one rule, a list, or ``{"rules": [...]}``; a rule is
  ``{"method": "POST"|null, "path": "regex", "status": 429|500|502|503|401|412|..., "times": 1
  (null = until cleared), "retry_after": s, "latency_ms": ms, "drop_response_after_commit": bool,
  "no_body": bool}`` → ``{"added": [{"id", "rule", "remaining", "hits"}]}``;
  ``GET /_sandbox/faults``; ``DELETE /_sandbox/faults``.
- ``GET /_sandbox/calls?since=SEQ`` → ``{"count", "calls": [{"seq", "method", "path", "query",
  "status" (None when dropped), "time", "duration_ms", "fault", "dropped", "committed_status"}]}``;
  ``DELETE /_sandbox/calls``.
- ``GET/POST /_sandbox/config`` ``{"latency_ms", "token_lifetime", "rate_limit_per_minute"}``
  (partial updates; a quota change starts a fresh window; ``null`` quota = unlimited).
- ``GET /_sandbox/credentials`` → ``hooks.credentials(base_url)``.
- ``DELETE /_sandbox/tokens`` → revoke every issued token (``{"revoked": n}``).

Tests: ``with ServerThread(app) as server: server.url`` runs real uvicorn on a free port in a
thread; ``free_port()`` picks a port. Restart = stop, ``store.close()``, build a new app on the
same data dir, start a new ``ServerThread(app, port=old_port)``.
"""

from sandbox.common.admin import ConfigUpdate, admin_router, create_sandbox_app
from sandbox.common.app import (
    ADMIN_PREFIX,
    ConnectionDropped,
    SandboxApp,
    SandboxRuntime,
    ServerHooks,
    Settings,
)
from sandbox.common.calls import CallLog
from sandbox.common.faults import ActiveFault, FaultBook, FaultRule
from sandbox.common.ratelimit import RateDecision, RateLimiter
from sandbox.common.serve import ServerThread, free_port
from sandbox.common.store import StateStore
from sandbox.common.tokens import TokenIssuer

__all__ = [
    "ADMIN_PREFIX",
    "ActiveFault",
    "CallLog",
    "ConfigUpdate",
    "ConnectionDropped",
    "FaultBook",
    "FaultRule",
    "RateDecision",
    "RateLimiter",
    "SandboxApp",
    "SandboxRuntime",
    "ServerHooks",
    "ServerThread",
    "Settings",
    "StateStore",
    "TokenIssuer",
    "admin_router",
    "create_sandbox_app",
    "free_port",
]
