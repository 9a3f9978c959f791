"""Token providers: where the ``Authorization`` header of every call comes from.

- OAuth 2.0 client credentials (UKG OAuth mode, Visma.net). Neither service issues a refresh
  token to a service application, so "renewing" means asking for a brand-new token with the
  same credentials.
- UKG's classic web-service account: HTTP Basic + ``US-Customer-Api-Key`` (nothing to renew).

Tokens are cached per connection per process (all hooks of one connection in one worker share
one token) and renewed ``token_skew_seconds`` before they expire. The expiry is counted from the
moment *before* the token request was sent, so a slow token endpoint can never make us believe a
token lives longer than it does. One lock per connection means two threads never fetch a token
at the same time: the second one waits and takes the first one's token.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import requests

from ukg_visma.hooks.exceptions import (
    ApiError,
    AuthenticationError,
    MalformedResponseError,
    is_html,
    map_response,
    safe_excerpt,
)

# Why a token endpoint said no, in words an operator can act on.
_OAUTH_CAUSES = {
    "invalid_client": "client id or secret is wrong, or the client was revoked",
    "unauthorized_client": "the client is not allowed to use client credentials",
    "invalid_grant": "the tenant id is wrong or not granted to this client",
    "invalid_scope": "a requested scope is not granted to this client",
    "invalid_request": "the token request is malformed (tenant id or grant missing?)",
}

TokenTransport = Callable[[str, dict[str, str], dict[str, str]], requests.Response]
"""POSTs form ``data`` with ``headers`` to a token URL (with the hook's timeouts and retries)."""


@dataclass(frozen=True)
class Token:
    """An access token and when it stops being safe to use (monotonic clock)."""

    value: str = field(repr=False)
    lifetime: float
    expires_at: float
    renew_at: float

    def fresh(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) < self.renew_at

    def seconds_left(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())


class AuthProvider(Protocol):
    """What a hook needs from an authentication scheme."""

    renewable: bool
    description: str

    def headers(self) -> dict[str, str]:
        """Headers that authenticate one request (fetching a token first when needed)."""

    def invalidate(self, headers: dict[str, str]) -> None:
        """Forget the credential used in ``headers`` after the service answered 401."""

    def token(self) -> Token | None:
        """The current token, for ``test_connection`` (``None`` when there are no tokens)."""


_cache: dict[str, Token] = {}
_locks: dict[str, threading.Lock] = {}
_registry_lock = threading.Lock()


def _lock_for(key: str) -> threading.Lock:
    with _registry_lock:
        return _locks.setdefault(key, threading.Lock())


def clear_token_cache() -> None:
    """Forget every cached token of this process (tests; rotating credentials)."""
    with _registry_lock:
        _cache.clear()


def cache_key(conn_id: str, *parts: str) -> str:
    """Per connection, and per credentials: an edited secret must not reuse the old token.

    The credentials enter only as a SHA-256 digest, so the key itself reveals nothing.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{conn_id}:{digest}"


class ClientCredentialsAuth:
    """OAuth 2.0 client-credentials bearer tokens with a per-connection, per-process cache."""

    renewable = True

    def __init__(
        self,
        *,
        service: str,
        conn_id: str,
        token_url: str,
        form: dict[str, str],
        skew_seconds: float,
        transport: TokenTransport,
        on_token: Callable[[str], None],
        extra_headers: dict[str, str] | None = None,
        description: str = "OAuth client credentials",
        causes: dict[str, str] | None = None,
    ) -> None:
        self.service = service
        self.conn_id = conn_id
        self.token_url = token_url
        self._form = form
        self.skew_seconds = skew_seconds
        self._transport = transport
        self._on_token = on_token
        self._extra_headers = dict(extra_headers or {})
        self.description = description
        self._causes = {**_OAUTH_CAUSES, **(causes or {})}
        self._key = cache_key(conn_id, token_url, *sorted(f"{k}={v}" for k, v in form.items()))
        self._lock = _lock_for(self._key)

    def token(self) -> Token:
        current = _cache.get(self._key)
        if current is not None and current.fresh():
            return current
        with self._lock:
            current = _cache.get(self._key)  # another thread may have renewed it meanwhile
            if current is not None and current.fresh():
                return current
            current = self._fetch()
            _cache[self._key] = current
            return current

    def headers(self) -> dict[str, str]:
        return {**self._extra_headers, "Authorization": f"Bearer {self.token().value}"}

    def invalidate(self, headers: dict[str, str]) -> None:
        used = headers.get("Authorization", "").removeprefix("Bearer ")
        with self._lock:
            current = _cache.get(self._key)
            if current is not None and current.value == used:
                del _cache[self._key]

    def _fetch(self) -> Token:
        requested_at = time.monotonic()  # before the call: the token's clock starts here
        response = self._transport(self.token_url, self._form, {"Accept": "application/json"})
        if response.status_code >= 400:
            raise self._rejected(response)
        content_type = response.headers.get("Content-Type", "")
        try:
            body = None if is_html(content_type, response.content) else response.json()
        except ValueError:
            body = None
        if body is None:
            # A proxy's page, an empty or a cut answer: not a refusal of the credentials.
            what = "an HTML page" if response.content else "an empty body"
            if response.content and not is_html(content_type, response.content):
                what = "JSON that does not parse"
            error = MalformedResponseError(
                f"token endpoint answered {what} instead of a token",
                service=self.service,
                method="POST",
                path=_path_of(self.token_url),
                status=response.status_code,
                content_type=content_type,
                # only a page's title: a cut token answer may hold part of a token
                excerpt=safe_excerpt(response.content, content_type)
                if is_html(content_type, response.content)
                else "",
            )
            error.during_auth = True
            raise error
        try:
            value = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthenticationError(
                "token endpoint answered without an access_token",
                service=self.service,
                method="POST",
                path=_path_of(self.token_url),
                status=response.status_code,
            ) from exc
        self._on_token(value)
        # A token shorter-lived than the skew would be renewed on every call; renew at half-life.
        lead = min(self.skew_seconds, lifetime / 2)
        return Token(
            value=value,
            lifetime=lifetime,
            expires_at=requested_at + lifetime,
            renew_at=requested_at + lifetime - lead,
        )

    def _rejected(self, response: requests.Response) -> ApiError:
        error = map_response(
            response, service=self.service, method="POST", path=_path_of(self.token_url)
        )
        if response.status_code not in (400, 401, 403):
            return error  # 429 / 5xx after retries: not a credentials problem
        code = _oauth_error_code(response)
        cause = self._causes.get(code or "", "client id, secret or tenant rejected")
        return AuthenticationError(
            f"token request for connection {self.conn_id!r} rejected"
            + (f" ({code})" if code else "")
            + f": {cause}",
            service=self.service,
            method="POST",
            path=_path_of(self.token_url),
            status=response.status_code,
            service_message=error.service_message,
            request_id=error.request_id,
        )


class BasicAuth:
    """UKG's web-service account: Basic credentials + customer API key on every request."""

    renewable = False
    description = "Basic service account + US-Customer-Api-Key"

    def __init__(self, user: str, password: str, extra_headers: dict[str, str]) -> None:
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._headers = {**extra_headers, "Authorization": f"Basic {encoded}"}

    def headers(self) -> dict[str, str]:
        return dict(self._headers)

    def invalidate(self, headers: dict[str, str]) -> None:
        """Nothing to renew: a 401 means the account itself is rejected."""

    def token(self) -> None:
        return None


def _oauth_error_code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("error") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def _path_of(url: str) -> str:
    return urlsplit(url).path or "/"
