"""Typed settings of the ``ukg`` and ``visma_net`` Airflow connections (docs/contracts.md §2).

The extras are read in exactly one place so that a missing or malformed field is one clear error
naming the connection and the key — at the first call, not as a ``KeyError`` deep in a request.
Arguments given to a hook override the connection (as in Airflow's Slack hook).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from ukg_visma.hooks.exceptions import ConnectionConfigError

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_TOKEN_SKEW_SECONDS = 60.0
VISMA_DEFAULT_TOKEN_URL = "https://connect.visma.com/connect/token"  # noqa: S105 (a URL)
VISMA_DEFAULT_SCOPES = (
    "vismanet_erp_service_api:read vismanet_erp_service_api:create vismanet_erp_service_api:update"
)

TimeoutArg = float | int | tuple[float, float] | list[float] | None

# Airflow's secrets masker shows any extra whose name contains "token" as "***" in the UI and
# in logs, so the two non-secret settings got names without it. The old names keep working.
RENAMED_EXTRAS: dict[str, tuple[str, ...]] = {
    "auth_url": ("token_url",),
    "renewal_lead_seconds": ("token_skew_seconds",),
}


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeout in seconds; ``requests`` waits forever without them."""

    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT

    def as_requests(self) -> tuple[float, float]:
        return (self.connect, self.read)


class Extras:
    """Typed accessor over a connection's ``extra`` JSON (accepts UI-prefixed keys too)."""

    def __init__(self, conn_id: str, conn_type: str, extra: dict[str, Any] | str | None) -> None:
        if isinstance(extra, str):
            try:
                extra = json.loads(extra) if extra.strip() else {}
            except ValueError as exc:
                raise ConnectionConfigError(
                    f"Connection {conn_id!r}: the extra field is not valid JSON"
                ) from exc
        self.conn_id = conn_id
        self.conn_type = conn_type
        self._extra = dict(extra or {})

    def _raw(self, key: str) -> Any:
        # a renamed extra is still read under its old name (RENAMED_EXTRAS), the new name first
        for alias in (key, *RENAMED_EXTRAS.get(key, ())):
            for name in (alias, f"extra__{self.conn_type}__{alias}"):
                value = self._extra.get(name)
                if value not in (None, ""):
                    return value
        return None

    def text(self, key: str, *, required: bool = False, hint: str = "") -> str | None:
        value = self._raw(key)
        if value is None:
            if required:
                raise ConnectionConfigError(
                    f"Connection {self.conn_id!r} ({self.conn_type}): extra {key!r} is required"
                    + (f" ({hint})" if hint else "")
                )
            return None
        return str(value).strip()

    def number(self, key: str, default: float) -> float:
        value = self._raw(key)
        if value is None:
            return default
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise ConnectionConfigError(
                f"Connection {self.conn_id!r}: extra {key!r} must be a number of seconds"
            ) from exc
        if number < 0:
            raise ConnectionConfigError(f"Connection {self.conn_id!r}: extra {key!r} is negative")
        return number

    def timeouts(self, override: TimeoutArg) -> Timeouts:
        value = override if override is not None else self._raw("timeout")
        return parse_timeouts(value, conn_id=self.conn_id)


def parse_timeouts(value: Any, *, conn_id: str = "?") -> Timeouts:
    """``30`` → (10, 30) capped connect; ``[5, 120]`` → (5, 120); ``None`` → defaults."""
    if value is None or value == "":
        return Timeouts()
    try:
        if isinstance(value, list | tuple):
            connect, read = (float(v) for v in value)
            return Timeouts(connect=connect, read=read)
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise ConnectionConfigError(
            f"Connection {conn_id!r}: timeout must be seconds or [connect, read]"
        ) from exc
    return Timeouts(connect=min(DEFAULT_CONNECT_TIMEOUT, seconds), read=seconds)


def base_url(conn_id: str, host: str | None, schema: str | None, port: int | None) -> str:
    """The API base URL from ``host`` (a full URL, or a bare host plus schema/port)."""
    if not host:
        raise ConnectionConfigError(f"Connection {conn_id!r}: host (the API base URL) is empty")
    host = host.strip().rstrip("/")
    if "://" not in host:
        scheme = schema if schema in ("http", "https") else "https"
        host = f"{scheme}://{host}" + (f":{port}" if port else "")
    parts = urlsplit(host)
    if parts.username or parts.password:
        raise ConnectionConfigError(
            f"Connection {conn_id!r}: put credentials in login/password, not in the host URL"
        )
    return host


def _required(conn_id: str, value: str | None, what: str) -> str:
    if not value:
        raise ConnectionConfigError(f"Connection {conn_id!r}: {what} is empty")
    return value


@dataclass(frozen=True)
class UkgConfig:
    """A parsed ``ukg`` connection."""

    conn_id: str
    base_url: str
    login: str
    secret: str = field(repr=False)
    tenant_alias: str
    customer_api_key: str | None = field(repr=False)
    auth_mode: Literal["oauth", "basic"]
    token_url: str
    scope: str | None
    timeouts: Timeouts
    token_skew_seconds: float

    @classmethod
    def from_connection(cls, conn: Any, *, timeout: TimeoutArg = None) -> UkgConfig:
        conn_id = conn.conn_id
        extras = Extras(conn_id, "ukg", conn.extra_dejson)
        url = base_url(conn_id, conn.host, conn.schema, conn.port)
        tenant = extras.text("tenant_alias", required=True, hint="the UKG tenant alias")
        mode = (extras.text("auth_mode") or "oauth").lower()
        if mode not in ("oauth", "basic"):
            raise ConnectionConfigError(
                f"Connection {conn_id!r}: extra 'auth_mode' must be oauth or basic, not {mode!r}"
            )
        api_key = extras.text("customer_api_key", required=(mode == "basic"),
                              hint="the 5-character US-Customer-Api-Key")  # fmt: skip
        return cls(
            conn_id=conn_id,
            base_url=url,
            login=_required(conn_id, conn.login, "login (client id or service user)"),
            secret=_required(conn_id, conn.password, "password (client secret or password)"),
            tenant_alias=str(tenant),
            customer_api_key=api_key,
            auth_mode=mode,  # type: ignore[arg-type]
            token_url=extras.text("auth_url") or f"{url}/signin/oauth2/t/{tenant}/access_token",
            scope=extras.text("scope"),
            timeouts=extras.timeouts(timeout),
            token_skew_seconds=extras.number("renewal_lead_seconds", DEFAULT_TOKEN_SKEW_SECONDS),
        )

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.secret, self.customer_api_key) if s)


@dataclass(frozen=True)
class VismaConfig:
    """A parsed ``visma_net`` connection."""

    conn_id: str
    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    tenant_id: str
    scopes: str
    token_url: str
    timeouts: Timeouts
    token_skew_seconds: float

    @classmethod
    def from_connection(cls, conn: Any, *, timeout: TimeoutArg = None) -> VismaConfig:
        conn_id = conn.conn_id
        extras = Extras(conn_id, "visma_net", conn.extra_dejson)
        return cls(
            conn_id=conn_id,
            base_url=base_url(conn_id, conn.host, conn.schema, conn.port),
            client_id=_required(conn_id, conn.login, "login (client id)"),
            client_secret=_required(conn_id, conn.password, "password (client secret)"),
            tenant_id=str(
                extras.text("tenant_id", required=True, hint="the Visma.net company tenant id")
            ),
            scopes=extras.text("scopes") or VISMA_DEFAULT_SCOPES,
            token_url=extras.text("auth_url") or VISMA_DEFAULT_TOKEN_URL,
            timeouts=extras.timeouts(timeout),
            token_skew_seconds=extras.number("renewal_lead_seconds", DEFAULT_TOKEN_SKEW_SECONDS),
        )

    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret,)
