"""Request plumbing shared by ``UkgHook`` and ``VismaHook``.

One path for every call: pace before the rate-limit wall → authenticate → send with connect/read
timeouts → on 401 renew the token once and replay once → map errors to typed exceptions → retry
what the policy says is safe. Logs carry method, path (never the query string), status and
timing; never headers, bodies, tokens or secrets.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from airflow.sdk.bases.hook import BaseHook
from airflow.sdk.log import mask_secret

import ukg_visma.hooks.jsonbody as jsonbody
from ukg_visma import __version__
from ukg_visma.hooks.auth import AuthProvider
from ukg_visma.hooks.config import TimeoutArg, Timeouts
from ukg_visma.hooks.exceptions import (
    ApiError,
    AuthenticationError,
    ConnectionFailedError,
    MalformedResponseError,
    ResponseLostError,
    UnexpectedResponseError,
    classify_transport_error,
    is_html,
    map_response,
    safe_excerpt,
    sent_before_failure,
)
from ukg_visma.hooks.headers import RateLimitHeaders
from ukg_visma.hooks.retry import IDEMPOTENT_METHODS, RateLimitPacer, RetryPolicy, pacer_for
from ukg_visma.hooks.shapes import Expect


@dataclass
class HookStats:
    """Counters of one hook instance; callers copy ``rate_limited`` into the audit."""

    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    token_requests: int = 0
    reauthentications: int = 0
    conflicts: int = 0
    throttled_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **amounts: float) -> None:
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def as_dict(self) -> dict[str, float]:
        with self._lock:
            return {k: v for k, v in vars(self).items() if not k.startswith("_")}


def display_path(url_or_path: str) -> str:
    """The path alone: query strings may carry ids or dates that do not belong in logs."""
    return urlsplit(url_or_path).path or "/"


class ApiHook(BaseHook):
    """Base of the two service hooks: connection, session, auth, retries, stats."""

    service: ClassVar[str] = "API"
    probe_path: ClassVar[str] = "/"

    def __init__(
        self,
        conn_id: str,
        *,
        timeout: TimeoutArg = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__()
        self._conn_id = conn_id
        self._timeout_override = timeout
        self.retry_policy = retry_policy or RetryPolicy()
        self.stats = HookStats()
        self._secrets: set[str] = set()

    # -- configuration ----------------------------------------------------------------------
    def _parse_config(self, conn: Any) -> Any:
        raise NotImplementedError

    def _build_auth(self) -> AuthProvider:
        raise NotImplementedError

    def _api_headers(self) -> dict[str, str]:
        """Headers every API call carries besides authentication."""
        return {}

    @cached_property
    def config(self) -> Any:
        """The parsed connection (read once per hook; its secrets registered with the masker)."""
        cfg = self._parse_config(self.get_connection(self._conn_id))
        for secret in cfg.secrets():
            self._remember_secret(secret)
        return cfg

    @property
    def timeouts(self) -> Timeouts:
        return self.config.timeouts

    def _remember_secret(self, secret: str) -> None:
        self._secrets.add(secret)
        mask_secret(secret)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret and secret in text:
                text = text.replace(secret, "***")
        return text

    @cached_property
    def session(self) -> requests.Session:
        """One keep-alive session per hook (``requests`` pools connections per session)."""
        session = requests.Session()
        session.headers.update(
            {"Accept": "application/json", "User-Agent": f"ukg-visma/{__version__}"}
        )
        return session

    def get_conn(self) -> requests.Session:
        """The underlying ``requests.Session`` (built lazily, as Airflow hooks do)."""
        return self.session

    @cached_property
    def auth(self) -> AuthProvider:
        return self._build_auth()

    @cached_property
    def pacer(self) -> RateLimitPacer:
        return pacer_for(self._conn_id)

    def url_for(self, path: str) -> str:
        """Absolute URL of a path; absolute URLs (paging links) only on the configured origin,
        so a bearer token is never sent to another host."""
        base = self.config.base_url
        if "://" in path:
            wanted, have = urlsplit(path), urlsplit(base)
            if (wanted.scheme, wanted.netloc) != (have.scheme, have.netloc):
                raise UnexpectedResponseError(
                    "refusing to send credentials to another host",
                    service=self.service,
                    method="GET",
                    path=display_path(path),
                )
            return path
        return f"{base}/{path.lstrip('/')}"

    # -- token transport --------------------------------------------------------------------
    def _post_token_request(
        self, url: str, form: dict[str, str], headers: dict[str, str]
    ) -> requests.Response:
        """One POST to a token endpoint (retried by the caller's policy, as ``during_auth``)."""
        self.stats.add(token_requests=1)
        try:
            response = self.session.post(
                url, data=form, headers=headers, timeout=self.timeouts.as_requests()
            )
        except requests.RequestException as exc:
            kind, text = classify_transport_error(exc)
            error = ConnectionFailedError(
                f"token request failed: {text} ({urlsplit(url).netloc})",
                kind=kind,
                service=self.service,
                method="POST",
                path=display_path(url),
            )
            error.during_auth = True
            raise error from exc
        if response.status_code == 429:
            self.stats.add(rate_limited=1)
        return response

    def _on_token(self, token: str) -> None:
        self._remember_secret(token)

    # -- requests ---------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
        policy: RetryPolicy | None = None,
    ) -> requests.Response:
        """Send one logical request (with the retries the policy allows) and return the answer.

        ``idempotent`` defaults from the method; pass ``False`` for anything that must not be
        repeated blindly. Raises a typed ``ApiError`` for every non-2xx/3xx answer.
        """
        method = method.upper()
        idem = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        url = self.url_for(path)
        shown = display_path(url)
        policy = policy or self.retry_policy

        def before_sleep(exc: BaseException, attempt: int, wait: float) -> None:
            self.stats.add(retries=1)
            reason = getattr(exc, "status", None) or getattr(exc, "kind", type(exc).__name__)
            self.log.warning(
                "%s %s %s: %s; retry %d of %d in %.1f s",
                self.service, method, shown, reason, attempt + 1, policy.max_attempts, wait,
            )  # fmt: skip

        for attempt in policy.retrying(idempotent=idem, before_sleep=before_sleep):
            with attempt:
                return self._authenticated(method, url, shown, params, json, headers, idem)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _authenticated(
        self,
        method: str,
        url: str,
        shown: str,
        params: dict[str, Any] | None,
        body: Any,
        headers: dict[str, str] | None,
        idempotent: bool,
    ) -> requests.Response:
        auth_headers = self._auth_headers()
        try:
            return self._send(method, url, shown, params, body, headers, auth_headers, idempotent)
        except AuthenticationError as first:
            if not self.auth.renewable or first.status != 401:
                raise self._explain_401(first) from None
            # The token was revoked or expired early: renew once, replay once (a 401 means the
            # service did nothing, so this is safe even for a POST).
            self.stats.add(reauthentications=1)
            self.log.info("%s %s %s: 401, renewing the token once", self.service, method, shown)
            self.auth.invalidate(auth_headers)
            auth_headers = self._auth_headers()
            try:
                return self._send(
                    method, url, shown, params, body, headers, auth_headers, idempotent
                )
            except AuthenticationError as second:
                raise self._explain_401(second) from None

    def _auth_headers(self) -> dict[str, str]:
        try:
            return self.auth.headers()
        except ApiError as exc:
            exc.during_auth = True
            raise

    def _explain_401(self, error: AuthenticationError) -> AuthenticationError:
        """A 401 that renewing cannot fix: name the connection and the likely cause."""
        if error.status != 401:
            return error
        when = "rejected even with a fresh token" if self.auth.renewable else "credentials rejected"
        return AuthenticationError(
            f"{when} (connection {self._conn_id!r}); likely cause: {self._likely_401()}",
            service=error.service,
            method=error.method,
            path=error.path,
            status=error.status,
            service_message=error.service_message,
            request_id=error.request_id,
        )

    def _likely_401(self) -> str:
        return "the client was revoked or lacks access to this tenant"

    def _send(
        self,
        method: str,
        url: str,
        shown: str,
        params: dict[str, Any] | None,
        body: Any,
        headers: dict[str, str] | None,
        auth_headers: dict[str, str],
        idempotent: bool,
    ) -> requests.Response:
        pause = self.pacer.pause_before_request()
        if pause > 0:
            self.stats.add(throttled_seconds=pause)
            self.log.info("%s: few calls left in the rate-limit window; pausing %.1f s",
                          self.service, pause)  # fmt: skip
            time.sleep(pause)
        all_headers = {**self._api_headers(), **(headers or {}), **auth_headers}
        data = None
        if body is not None:
            data = jsonbody.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        self.stats.add(requests=1)
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                data=data,
                headers=all_headers,
                timeout=self.timeouts.as_requests(),
            )
        except requests.RequestException as exc:
            kind, text = classify_transport_error(exc)
            if not idempotent and sent_before_failure(exc):
                raise ResponseLostError(
                    f"{text}; the request may or may not have taken effect — "
                    "read back before sending it again",
                    service=self.service,
                    method=method,
                    path=shown,
                ) from exc
            raise ConnectionFailedError(
                f"{text} ({urlsplit(url).netloc})",
                kind=kind,
                service=self.service,
                method=method,
                path=shown,
            ) from exc
        elapsed_ms = (time.monotonic() - started) * 1000
        self.pacer.observe(RateLimitHeaders.from_headers(response.headers))
        self.log.debug("%s %s %s → %s in %.0f ms",
                       self.service, method, shown, response.status_code, elapsed_ms)  # fmt: skip
        if response.status_code == 429:
            self.stats.add(rate_limited=1)
        if response.status_code < 400:
            return response
        error = map_response(
            response, service=self.service, method=method, path=shown, scrub=self._scrub
        )
        if not idempotent and response.status_code in (502, 504):
            # A gateway gave up waiting for the service, which may have committed meanwhile.
            raise ResponseLostError(
                f"{error.message}; the request may or may not have taken effect — "
                "read back before sending it again",
                service=self.service,
                method=method,
                path=shown,
                status=response.status_code,
                request_id=error.request_id,
            )
        raise error

    def get_json(
        self, path: str, params: dict[str, Any] | None = None, *, expect: Expect | None = None
    ) -> Any:
        """GET a path and return its parsed JSON (decimals as ``Decimal``), checked against
        ``expect``. A 2xx answer that is no JSON document — or not the promised one — raises
        ``MalformedResponseError`` after ``retry_policy.malformed_attempts`` reads."""
        return self.read(path, params, expect=expect)[0]

    def read(
        self, path: str, params: dict[str, Any] | None = None, *, expect: Expect | None = None
    ) -> tuple[Any, requests.Response]:
        """GET and parse, reading again (bounded) while the answer is unusable: gateways answer
        an HTML page or a cut body for a moment; a read is safe to repeat."""
        attempts = max(1, self.retry_policy.malformed_attempts)
        for attempt in range(1, attempts + 1):
            response = self.request("GET", path, params=params)
            try:
                return self._json(response, "GET", path, expect), response
            except MalformedResponseError as exc:
                if attempt >= attempts:
                    raise
                wait = self.retry_policy.wait_seconds(exc, attempt)
                self.stats.add(retries=1)
                self.log.warning("%s; reading again (%d of %d) in %.1f s",
                                 exc, attempt + 1, attempts, wait)  # fmt: skip
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch_page(
        self, path: str, params: dict[str, Any] | None, expect: Expect | None = None
    ) -> tuple[Any, Any]:
        return self.read(path, params, expect=expect or Expect("a page of records", "page"))

    def _json(
        self,
        response: requests.Response,
        method: str,
        path: str,
        expect: Expect | None = None,
    ) -> Any:
        """The parsed body of a 2xx answer, or a typed error saying why it cannot be used.

        An empty body is ``None`` only where emptiness is an answer: 204, or a write with nothing
        promised. A GET's 200 without a body is never "no records" — that is how a read-back
        misses a journal and posts it twice.
        """
        content = response.content
        if not content:
            if response.status_code == 204 and expect is not None and expect.kind != "object":
                return []
            if response.status_code == 204 or (expect is None and method != "GET"):
                return None
            raise self._unusable("an empty body", response, method, path, expect)
        content_type = response.headers.get("Content-Type", "")
        if is_html(content_type, content):
            raise self._unusable("an HTML page instead of JSON", response, method, path, expect)
        try:
            body = jsonbody.loads(content)
        except ValueError as exc:
            where = f" at character {exc.pos}" if hasattr(exc, "pos") else ""
            why = f"JSON that does not parse ({len(content)} bytes, broken{where}: cut short?)"
            raise self._unusable(why, response, method, path, expect) from None
        if expect is not None:
            problem = expect.problem(body)
            if problem:
                raise self._unusable(problem, response, method, path, None)
        return body

    def _unusable(
        self,
        why: str,
        response: requests.Response,
        method: str,
        path: str,
        expect: Expect | None,
    ) -> ApiError:
        """The error for an unusable 2xx answer. After a POST nobody knows whether it took
        effect (a proxy may have answered instead of the service, or after it committed), so
        that is a ``ResponseLostError``: the caller reads back before sending it again."""
        content_type = response.headers.get("Content-Type", "")
        excerpt = safe_excerpt(response.content, content_type, self._scrub)
        wanted = f"expected {expect.what}, got " if expect is not None else ""
        shown = display_path(path)
        if method.upper() == "POST":
            seen = f"{content_type or 'no content type'}" + (f": {excerpt!r}" if excerpt else "")
            return ResponseLostError(
                f"{wanted}{why} [{seen}]; the request may or may not have taken effect — "
                "read back before sending it again",
                service=self.service,
                method=method,
                path=shown,
                status=response.status_code,
            )
        return MalformedResponseError(
            f"{wanted}{why}",
            service=self.service,
            method=method,
            path=shown,
            status=response.status_code,
            content_type=content_type,
            excerpt=excerpt,
            request_id=response.headers.get("X-Request-Id") or None,
        )

    # -- test_connection --------------------------------------------------------------------
    def _probe_params(self) -> dict[str, Any] | None:
        """Query of the cheap read ``test_connection`` makes (e.g. one record per page)."""
        return None

    def _tenant_label(self) -> str:
        raise NotImplementedError

    def test_connection(self) -> tuple[bool, str]:
        """Get a token, make one cheap read, and say what a human needs to trust the connection:
        latency, tenant, token lifetime, rate-limit headroom — or exactly what failed.

        Returns ``(ok, message)``; never raises and never includes a secret.
        """
        from ukg_visma.hooks.probe import TESTED_CONNECTION_ID, name_the_real_connection, probe

        ok, message = probe(self)
        if TESTED_CONNECTION_ID.get():  # the UI's Test button: say which connection it was
            real = TESTED_CONNECTION_ID.get() or ""
            message = f"connection {real!r}: " + name_the_real_connection(message, self._conn_id)
        return ok, message
