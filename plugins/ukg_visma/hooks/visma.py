"""``VismaHook``: Visma.net ERP (Financials) — reads, journal creation, locked updates, release.

- Client credentials with ``tenant_id`` against connect.visma.com (configurable); no refresh
  token exists, so a new token is requested ahead of expiry and once after a 401.
- Writes respect optimistic locking: every PUT carries ``If-Match``; ``update`` re-reads and
  re-applies on 412 (bounded).
- POSTs are never repeated blindly: Visma has no idempotency key, so a lost answer raises
  ``ResponseLostError`` and the caller reads back before deciding.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from ukg_visma.hooks.auth import AuthProvider, ClientCredentialsAuth
from ukg_visma.hooks.base import ApiHook, display_path
from ukg_visma.hooks.config import TimeoutArg, VismaConfig
from ukg_visma.hooks.exceptions import ConcurrentUpdateError, UnexpectedResponseError
from ukg_visma.hooks.forms import (
    VISMA_CONN_FIELDS,
    VISMA_FIELD_BEHAVIOUR,
    form_widgets,
    python_behaviour,
)
from ukg_visma.hooks.paging import DEFAULT_MAX_PAGES, visma_pages
from ukg_visma.hooks.retry import RetryPolicy

DEFAULT_PAGE_SIZE = 500


class VismaHook(ApiHook):
    """Interact with Visma.net ERP.

    :param visma_conn_id: an Airflow connection of type ``visma_net`` (docs/contracts.md §2).
    :param timeout: read timeout in seconds, or ``(connect, read)``; overrides the connection.
    :param retry_policy: bounds of retries on 429 / 5xx / connection failures.
    """

    conn_name_attr = "visma_conn_id"
    default_conn_name = "visma_default"
    conn_type = "visma_net"
    hook_name = "Visma.net ERP"

    service = "Visma.net"
    probe_path = "/v1/financialPeriod"

    def __init__(
        self,
        *,
        visma_conn_id: str = default_conn_name,
        timeout: TimeoutArg = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(visma_conn_id, timeout=timeout, retry_policy=retry_policy)
        self.visma_conn_id = visma_conn_id

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Custom form fields (tenant id, scopes, token URL, timeout, renewal lead)."""
        return form_widgets(cls.conn_type, VISMA_CONN_FIELDS)

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Relabel host/login/password and hide schema/port in the connection form."""
        return python_behaviour(VISMA_FIELD_BEHAVIOUR)

    def _parse_config(self, conn: Any) -> VismaConfig:
        return VismaConfig.from_connection(conn, timeout=self._timeout_override)

    def _build_auth(self) -> AuthProvider:
        cfg: VismaConfig = self.config
        return ClientCredentialsAuth(
            service=self.service,
            conn_id=cfg.conn_id,
            token_url=cfg.token_url,
            form={
                "grant_type": "client_credentials",
                "client_id": cfg.client_id,
                "client_secret": cfg.client_secret,
                "tenant_id": cfg.tenant_id,
                "scope": cfg.scopes,
            },
            skew_seconds=cfg.token_skew_seconds,
            transport=self._post_token_request,
            on_token=self._on_token,
            description="OAuth client credentials + tenant_id",
            causes={
                # Visma answers invalid_client for a tenant the client is not granted, too.
                "invalid_client": "client id or secret is wrong, the client was revoked, or "
                f"tenant_id {cfg.tenant_id!r} is not granted to this client",
            },
        )

    def _likely_401(self) -> str:
        return (
            f"the client was revoked or is not granted tenant {self.config.tenant_id!r} "
            "(check tenant_id and the client's access in the Visma Developer Portal)"
        )

    def _tenant_label(self) -> str:
        return f"tenant {self.config.tenant_id}"

    # -- reads ------------------------------------------------------------------------------
    def get_with_etag(self, path: str) -> tuple[Any, str]:
        """GET one resource and the ETag that a later PUT must send as ``If-Match``."""
        response = self.request("GET", path)
        body = self._json(response, "GET", path)
        etag = response.headers.get("ETag")
        if not etag and isinstance(body, dict) and body.get("timeStamp"):
            etag = str(body["timeStamp"])
        if not etag:
            raise UnexpectedResponseError(
                "no ETag on the answer; an update would overwrite blindly",
                service=self.service,
                method="GET",
                path=display_path(path),
                status=response.status_code,
            )
        return body, etag

    def paginate(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[dict]:
        """Yield the records of every page (``pageNumber``/``pageSize``), one page in memory."""
        for page in visma_pages(
            self._fetch_page,
            path,
            params,
            page_size=page_size,
            service=self.service,
            max_pages=max_pages,
        ):
            yield from page

    # -- writes -----------------------------------------------------------------------------
    def post(self, path: str, json: Any) -> requests.Response:
        """Create something (e.g. a journal). Not retried except on 429 / connect failures;
        a lost answer raises ``ResponseLostError`` — read back before posting again."""
        return self.request("POST", path, json=json, idempotent=False)

    def post_action(
        self, path: str, json: Any = None, *, etag: str | None = None
    ) -> requests.Response:
        """Run an action such as ``/v2/journaltransaction/{batch}/action/release`` (204/202).

        ``etag`` (optional) is sent as ``If-Match`` so the action applies only to the version
        that was checked. Not repeated blindly: a lost answer raises ``ResponseLostError``.
        """
        headers = {"If-Match": etag} if etag else None
        return self.request("POST", path, json=json, headers=headers, idempotent=False)

    def put(self, path: str, json: Any, etag: str) -> requests.Response:
        """Update with ``If-Match: etag`` (mandatory: without it Visma overwrites blindly).

        Raises ``ConcurrentUpdateError`` (412) when the resource changed since ``etag``.
        """
        if not etag:
            raise ValueError("put() needs the ETag of the version being changed (If-Match)")
        return self.request("PUT", path, json=json, headers={"If-Match": etag})

    def update(
        self,
        path: str,
        mutate: Callable[[Any], Any],
        attempts: int = 5,
    ) -> Any:
        """Read-modify-write without lost updates: GET+ETag → ``mutate`` → PUT If-Match.

        ``mutate(current_body)`` returns the PUT body, computed from the body it is given (it is
        called again on a fresh read after a 412, so another writer's change is kept), or
        ``None`` / ``{}`` when nothing needs to change (no PUT is sent). Returns the body that
        was PUT, or ``None``. After ``attempts`` conflicts raises ``ConcurrentUpdateError``.
        """
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        for attempt in range(1, attempts + 1):
            body, etag = self.get_with_etag(path)
            payload = mutate(body)
            if payload is None or payload == {}:
                return None
            try:
                self.put(path, payload, etag)
            except ConcurrentUpdateError:
                self.stats.add(conflicts=1)
                self.log.info("%s PUT %s: changed meanwhile (412), re-reading (attempt %d of %d)",
                              self.service, display_path(path), attempt, attempts)  # fmt: skip
                # Writers that collided once tend to collide again in lockstep; break the tie.
                time.sleep(random.uniform(0, 0.05 * attempt))
                continue
            return payload
        raise ConcurrentUpdateError(
            f"still changed by another writer after {attempts} attempts; nothing was written "
            "by this update",
            service=self.service,
            method="PUT",
            path=display_path(path),
            status=412,
        )
