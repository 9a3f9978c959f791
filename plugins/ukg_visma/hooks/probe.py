"""``test_connection`` for both hooks: the Airflow UI's Test button and ``ukg-visma ping``.

Cheap and read-only (never a POST, unlike ``HttpHook``'s default): one token, one small GET.
The answer says either everything a human needs to trust the connection — latency, tenant, base
URL, token lifetime, rate-limit headroom — or the stage that failed and why (DNS, TLS, refused,
401 with its likely cause, 403 scope). It uses a short retry budget so a dead host answers in
seconds, not after minutes of backoff.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from airflow.sdk.exceptions import AirflowNotFoundException

from ukg_visma.hooks.auth import AuthProvider
from ukg_visma.hooks.exceptions import ApiError, HookError
from ukg_visma.hooks.headers import RateLimitHeaders
from ukg_visma.hooks.retry import RetryPolicy

if TYPE_CHECKING:
    import requests

PING_POLICY = RetryPolicy(max_attempts=2, max_total_seconds=10.0, backoff_max=2.0)

# The UI's Test button: Airflow's api-server tests the form under a random transient connection
# id; the plugin's middleware (``ukg_visma.ui.conn_test``) puts the id the user is editing here,
# so that messages name the connection the user knows.
TESTED_CONNECTION_ID: ContextVar[str | None] = ContextVar("ukg_visma_tested_conn_id", default=None)


class _Counts(Protocol):
    @property
    def token_requests(self) -> int: ...


class ProbedHook(Protocol):
    """What a connection test reads of a hook (``hooks.base.ApiHook`` is one): the probe sits
    below the hooks, so the hooks call it and it never imports them."""

    @property
    def service(self) -> str: ...
    @property
    def probe_path(self) -> str: ...
    @property
    def config(self) -> Any: ...
    @property
    def auth(self) -> AuthProvider: ...
    @property
    def stats(self) -> _Counts: ...
    @property
    def _conn_id(self) -> str: ...

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        policy: RetryPolicy | None = None,
    ) -> requests.Response: ...
    def _probe_params(self) -> dict[str, Any] | None: ...
    def _scrub(self, text: str) -> str: ...
    def _tenant_label(self) -> str: ...


def name_the_real_connection(message: str, conn_id: str) -> str:
    """``message`` with the transient id replaced by the tested connection's id, if known."""
    real = TESTED_CONNECTION_ID.get()
    if not real or real == conn_id:
        return message
    return message.replace(repr(conn_id), repr(real)).replace(
        f"AIRFLOW_CONN_{conn_id.upper()}", real
    )


def _no_log(exc: BaseException, attempt: int, wait: float) -> None:
    """Retries inside a ping are part of its answer, not worth a log line."""


def _token(hook: ProbedHook) -> Any:
    for attempt in PING_POLICY.retrying(idempotent=True, before_sleep=_no_log):
        with attempt:
            try:
                return hook.auth.token()
            except ApiError as exc:
                exc.during_auth = True  # nothing but the token call was sent: safe to repeat
                raise
    return None  # pragma: no cover - tenacity re-raises


def probe(hook: ProbedHook) -> tuple[bool, str]:
    """Run the connection test of ``hook``; returns ``(ok, message)`` and never raises."""
    stage = "reading the connection"
    try:
        cfg = hook.config
        stage = f"token request ({hook.auth.description})"
        token, token_note = None, ""
        if hook.auth.renewable:
            before = hook.stats.token_requests
            started = time.monotonic()
            token = _token(hook)
            fetched = hook.stats.token_requests > before
            token_ms = (time.monotonic() - started) * 1000
            token_note = f"fetched in {token_ms:.0f} ms" if fetched else "cached"
        stage = f"GET {hook.probe_path}"
        started = time.monotonic()
        response = hook.request(
            "GET", hook.probe_path, params=hook._probe_params(), policy=PING_POLICY
        )
        call_ms = (time.monotonic() - started) * 1000
    except AirflowNotFoundException:
        return False, f"{hook.service}: connection {hook._conn_id!r} is not defined"
    except ApiError as exc:
        status = f" → {exc.status}" if exc.status is not None else ""
        return False, f"{hook.service} FAILED at {stage}{status}: {hook._scrub(exc.detail())}"
    except HookError as exc:  # the connection itself is incomplete
        return False, f"{hook.service} FAILED at {stage}: {hook._scrub(str(exc))}"
    except Exception as exc:  # the Test button must get an answer, not a traceback
        return False, f"{hook.service} FAILED at {stage}: unexpected {type(exc).__name__}"
    parts = [f"{hook.service} OK", hook._tenant_label(), cfg.base_url]
    if token is not None:
        parts.append(
            f"token valid {token.seconds_left():.0f} s of {token.lifetime:.0f} s ({token_note})"
        )
    else:
        parts.append(hook.auth.description)
    parts.append(f"GET {hook.probe_path} → {response.status_code} in {call_ms:.0f} ms")
    parts.append(f"rate limit: {RateLimitHeaders.from_headers(response.headers).describe()}")
    return True, " · ".join(parts)
