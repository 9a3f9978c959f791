"""``UkgHook``: read-only access to UKG Pro's REST API (payroll GL export, employees, org levels).

Authentication is OAuth 2.0 client credentials (1-hour tokens, renewed early, cached per
connection per process) or the classic web-service account (Basic + ``US-Customer-Api-Key``).
UKG's 429s usually come without ``Retry-After``, so the shared policy backs off with jitter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ukg_visma.hooks.auth import AuthProvider, BasicAuth, ClientCredentialsAuth
from ukg_visma.hooks.base import ApiHook
from ukg_visma.hooks.config import TimeoutArg, UkgConfig
from ukg_visma.hooks.forms import (
    UKG_CONN_FIELDS,
    UKG_FIELD_BEHAVIOUR,
    form_widgets,
    python_behaviour,
)
from ukg_visma.hooks.paging import DEFAULT_MAX_PAGES, ukg_pages
from ukg_visma.hooks.retry import RetryPolicy


class UkgHook(ApiHook):
    """Interact with UKG Pro.

    :param ukg_conn_id: an Airflow connection of type ``ukg`` (docs/contracts.md §2).
    :param timeout: read timeout in seconds, or ``(connect, read)``; overrides the connection.
    :param retry_policy: bounds of retries on 429 / 5xx / connection failures.
    """

    conn_name_attr = "ukg_conn_id"
    default_conn_name = "ukg_default"
    conn_type = "ukg"
    hook_name = "UKG Pro"

    service = "UKG Pro"
    probe_path = "/configuration/v1/org-levels"

    def __init__(
        self,
        *,
        ukg_conn_id: str = default_conn_name,
        timeout: TimeoutArg = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(ukg_conn_id, timeout=timeout, retry_policy=retry_policy)
        self.ukg_conn_id = ukg_conn_id

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Custom form fields (tenant alias, customer API key, auth mode, token URL, scope)."""
        return form_widgets(cls.conn_type, UKG_CONN_FIELDS)

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Relabel host/login/password and hide schema/port in the connection form."""
        return python_behaviour(UKG_FIELD_BEHAVIOUR)

    def _parse_config(self, conn: Any) -> UkgConfig:
        return UkgConfig.from_connection(conn, timeout=self._timeout_override)

    def _api_headers(self) -> dict[str, str]:
        key = self.config.customer_api_key
        return {"US-Customer-Api-Key": key} if key else {}

    def _build_auth(self) -> AuthProvider:
        cfg = self.config
        if cfg.auth_mode == "basic":
            return BasicAuth(cfg.login, cfg.secret, {})
        form = {
            "grant_type": "client_credentials",
            "client_id": cfg.login,
            "client_secret": cfg.secret,
        }
        if cfg.scope:
            form["scope"] = cfg.scope
        return ClientCredentialsAuth(
            service=self.service,
            conn_id=cfg.conn_id,
            token_url=cfg.token_url,
            form=form,
            skew_seconds=cfg.token_skew_seconds,
            transport=self._post_token_request,
            on_token=self._on_token,
            causes={
                "invalid_request": f"tenant alias {cfg.tenant_alias!r} is unknown to UKG "
                "(check tenant_alias / token_url)"
            },
        )

    def _likely_401(self) -> str:
        if self.config.auth_mode == "basic":
            return (
                "service user or password wrong, or the customer API key does not belong "
                "to this tenant"
            )
        return (
            "the client was revoked, lacks access to this tenant, or the customer API key is wrong"
        )

    def paginate(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        per_page: int = 200,
        page_param: str = "per_page",
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[dict]:
        """Yield the records of every page (``page_param="per_Page"`` for the GL export).

        A generator: a 10,000-row export is held one page at a time.
        """
        for page in ukg_pages(
            self._fetch_page,
            path,
            params,
            per_page=per_page,
            page_param=page_param,
            service=self.service,
            max_pages=max_pages,
        ):
            yield from page

    # -- the one write UKG ever gets ---------------------------------------------------------
    def write_org_level(
        self, level: int, code: str, fields: dict[str, Any], *, create: bool
    ) -> Any:
        """Create (``POST /configuration/v1/org-levels``) or update (``PUT .../{level}/{code}``)
        one org level. Only the cost-centre alignment calls this, and only with
        ``alignment.write_cost_centers_to_ukg`` on; payroll and personnel data are never written.

        The POST is not repeated blindly: a lost answer raises ``ResponseLostError`` (read back
        first). An API user without the permission gets ``PermissionDeniedError`` (403); an
        existing code on create is ``ApiError`` with status 409. The PUT sets fields to given
        values, so it is retried like any idempotent call.
        """
        if create:
            body = {**fields, "level": level, "code": code}
            response = self.request(
                "POST", "/configuration/v1/org-levels", json=body, idempotent=False
            )
        else:
            path = f"/configuration/v1/org-levels/{level}/{code}"
            body = {k: v for k, v in fields.items() if k not in ("level", "code")}
            response = self.request("PUT", path, json=body)
        return self._json(response, "POST" if create else "PUT", "/configuration/v1/org-levels")

    def _probe_params(self) -> dict[str, Any]:
        return {"page": 1, "per_page": 1}

    def _tenant_label(self) -> str:
        return f"tenant {self.config.tenant_alias} ({self.config.auth_mode})"
