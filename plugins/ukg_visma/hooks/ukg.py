"""``UkgHook``: read-only access to UKG Pro's REST API (payroll GL export, employees, org levels).

Authentication is OAuth 2.0 client credentials (1-hour tokens, renewed early, cached per
connection per process) or the classic web-service account (Basic + ``US-Customer-Api-Key``).
UKG's 429s usually come without ``Retry-After``, so the shared policy backs off with jitter.

Callers use the named methods (``gl_header(...)``, ``gl_block(...)``, ``most_recent_gl_header()``,
``pay_periods(...)``, ``pay_register(...)``, ``employee_changes(...)`` …); the routes below are
spelled here and nowhere else in the package. Every payroll call is a published operation of
UKG's contract (docs/contracts.md, "Published UKG payroll operations"): UKG publishes no pay-run
listing, so none is called. Amounts arrive as JSON numbers and are parsed as ``Decimal``
(``hooks.jsonbody``); decimal strings are accepted too (``ukg_visma.money``).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ukg_visma.hooks.auth import AuthProvider, BasicAuth, ClientCredentialsAuth
from ukg_visma.hooks.base import ApiHook
from ukg_visma.hooks.config import TimeoutArg, UkgConfig
from ukg_visma.hooks.exceptions import NotFoundError
from ukg_visma.hooks.forms import (
    UKG_CONN_FIELDS,
    UKG_FIELD_BEHAVIOUR,
    form_widgets,
    python_behaviour,
)
from ukg_visma.hooks.multistatus import ItemOutcome, item_outcomes
from ukg_visma.hooks.paging import DEFAULT_MAX_PAGES, ukg_pages
from ukg_visma.hooks.retry import RetryPolicy
from ukg_visma.hooks.shapes import Expect

log = logging.getLogger(__name__)

# The UKG Pro routes this connector uses (docs: ../shared/api/ukg-pro.md, docs/contracts.md).
GL_EXPORT = "/payroll/v2/general-ledger"  # GeneralLedgerRunDetailsV2_Get
PAY_PERIODS = "/payroll/v1/paygroup-payperiods"  # PayGroupPayPeriod_GetPayGroupPayPeriod
PAY_REGISTER = "/payroll/v1/pay-register"  # PayRegister_Get
# Published personnel operations (docs/contracts.md, "Published UKG personnel operations"); each
# spells its page size its own way: ``per_page`` on the change feed, ``per_Page`` on the lists.
# ChangesByDate_getAllEmployeeChangesSinceLastCall (and EmployeeChanges_Get with /{employeeId})
EMPLOYEE_CHANGES = "/personnel/v1/employee-changes"
EMPLOYEE_CHANGES_PAGE_PARAM = "per_page"
EMPLOYMENT_DETAILS = "/personnel/v1/employment-details"  # EmploymentDetails_getDetails
PERSON_DETAILS = "/personnel/v1/person-details"  # PersonDetails_getAllDetails
LIST_PAGE_PARAM = "per_Page"
# ViewOrCreateOrganizationLevels_getAllOrgLevels: published WITHOUT paging (its only query
# parameters are filters: levelDescription, code, budgetGroup, reportingCategory, isActive).
ORG_LEVELS = "/configuration/v1/org-levels"

# Pages must be arrays (or page objects) of objects; the records' own fields are checked by the
# domain parsers (GL lines refused, employee snapshots quarantined one by one), not here.
GL_LINE_PAGE = Expect("a page of GL export lines", "page")
PAY_PERIOD_PAGE = Expect("a page of pay-group pay periods", "page", ("payGroup", "payDate"))
PAY_REGISTER_PAGE = Expect("a page of pay-register checks", "page")
EMPLOYEE_PAGE = Expect("a page of employee records", "page")
ORG_LEVEL_LIST = Expect("the org-level list", "list")

GL_PAGE = 10_000  # the GL export allows 10,000 lines a page
PER_PAGE = 200
PAYROLL_PER_PAGE = 500  # pay periods and pay-register checks (the contract states no maximum)


def ukg_instant(moment: dt.datetime) -> str:
    """UTC ISO text with microseconds, as the personnel filters take it: a window end cut to
    whole seconds would drop changes made in the last fraction of a second before it."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def after(moment: dt.datetime) -> str:
    """A date filter meaning "greater than" in the contract's syntax (``field=>value``; a bare
    value means *equal*)."""
    return ">" + ukg_instant(moment)


def _filters(**given: Any) -> dict[str, Any] | None:
    params = {k: v for k, v in given.items() if v is not None}
    return params or None


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
    probe_path = ORG_LEVELS

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

    def _paginate(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        per_page: int = 200,
        page_param: str = "per_page",
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
        expect: Expect | None = None,
    ) -> Iterator[dict]:
        """Yield the records of every page (``page_param="per_Page"`` for the GL export).

        A generator: a 10,000-row export is held one page at a time.
        """
        for page in self._pages(
            path, params, per_page, page_param, max_pages=max_pages, expect=expect
        ):
            yield from page

    def _pages(
        self,
        path: str,
        params: dict[str, Any] | None,
        per_page: int,
        page_param: str,
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
        expect: Expect | None = None,
    ) -> Iterator[list[dict]]:
        """Every page of a paged read, as a list of its records, to the last one."""
        return ukg_pages(
            functools.partial(self._fetch_page, expect=expect),
            path,
            params,
            per_page=per_page,
            page_param=page_param,
            service=self.service,
            max_pages=max_pages,
        )

    # -- the API, by name (all reads; every list is read to its last page) -------------------
    def _gl_params(self, run_id: str | None, block: int, most_recent: bool) -> dict[str, Any]:
        params: dict[str, Any] = {"blockId": block}
        if run_id is not None:
            params["runId"] = run_id
        if most_recent:
            params["mostRecent"] = "true"
        return params

    def gl_block(
        self,
        run_id: str,
        block: int,
        *,
        per_page: int = GL_PAGE,
        most_recent: bool = True,
    ) -> list[dict[str, Any]]:
        """Every line of one block of a run's GL export, all pages (``per_Page``).

        ``most_recent``: send ``mostRecent=true`` (``payroll.gl_most_recent``): the latest
        export of the run, should a tenant keep earlier ones. A block that does not exist is
        empty: UKG answers 404 (or an empty page) past the last.
        """
        try:
            return list(
                self._paginate(
                    GL_EXPORT,
                    self._gl_params(run_id, block, most_recent),
                    per_page,
                    page_param="per_Page",
                    expect=GL_LINE_PAGE,
                )
            )
        except NotFoundError:
            return []

    def gl_header(self, run_id: str, *, most_recent: bool = True) -> dict[str, Any] | None:
        """The first line of a run's GL export (block 1, ``per_Page=1``): its header fields —
        pay group, company, period dates, ``glRunDateTime``, ``totalNrOfBlocks`` — in one small
        read. None when UKG has no export for ``run_id`` (404 or no lines)."""
        params = {**self._gl_params(run_id, 1, most_recent), "page": 1, "per_Page": 1}
        try:
            page = self.get_json(GL_EXPORT, params, expect=GL_LINE_PAGE)
        except NotFoundError:
            return None
        return dict(page[0]) if page else None

    def most_recent_gl_header(self) -> dict[str, Any] | None:
        """The header line of the most recent GL export of the tenant (``mostRecent=true``
        without ``runId``), or None when there is none."""
        params = {"mostRecent": "true", "blockId": 1, "page": 1, "per_Page": 1}
        try:
            page = self.get_json(GL_EXPORT, params, expect=GL_LINE_PAGE)
        except NotFoundError:
            return None
        return dict(page[0]) if page else None

    def pay_periods(
        self,
        *,
        pay_group: str,
        start_control: str | None = None,
        end_control: str | None = None,
        per_page: int = PAYROLL_PER_PAGE,
    ) -> list[dict[str, Any]]:
        """A pay group's pay periods (``paygroup-payperiods``), optionally those whose
        ``periodControl`` lies in ``[start_control, end_control]`` (``startPerControl`` /
        ``endPerControl``: the pay date ``YYYYMMDD`` then its sequence). Every page is read."""
        params = _filters(
            payGroup=pay_group, startPerControl=start_control, endPerControl=end_control
        )
        try:
            return list(
                self._paginate(
                    PAY_PERIODS, params, per_page, page_param="per_Page", expect=PAY_PERIOD_PAGE
                )
            )
        except NotFoundError:  # documented: 404 when nothing matches
            return []

    def pay_register(
        self,
        *,
        pay_group: str,
        period_control: str | None = None,
        pay_date: dt.date | None = None,
        per_page: int = PAYROLL_PER_PAGE,
    ) -> list[dict[str, Any]]:
        """The pay register's checks of one pay group and pay period (``periodControl``) or pay
        date, every page: ``isVoided``, ``isVoidingRecord``, ``voidDate`` and amounts per check."""
        params = _filters(
            payGroup=pay_group,
            periodControl=period_control,
            payDate=pay_date.isoformat() if pay_date else None,
        )
        try:
            return list(
                self._paginate(
                    PAY_REGISTER, params, per_page, page_param="per_Page", expect=PAY_REGISTER_PAGE
                )
            )
        except NotFoundError:
            return []

    def sibling(self) -> UkgHook:
        """Another hook on the same connection, for one thread of a concurrent read.

        A hook's ``requests.Session`` is not shared across threads; the token cache and the
        rate-limit pacer are per connection and process, so siblings share both (one token, one
        view of the quota), and each backs off on 429 by the same retry policy.
        """
        return UkgHook(
            ukg_conn_id=self.ukg_conn_id,
            timeout=self._timeout_override,
            retry_policy=self.retry_policy,
        )

    def employee_change_pages(
        self, *, start: dt.datetime, end: dt.datetime, per_page: int = PER_PAGE
    ) -> Iterator[list[dict[str, Any]]]:
        """The change feed for ``[start, end]``, page by page (one feed call, however many pages).

        ``GET /personnel/v1/employee-changes`` (``startDate``, ``endDate``, ``page``,
        ``per_page``). UKG asks that this be called at most 8 times a day, 3 hours apart: the
        caller keeps that budget (``employees.feed_budget``, ``audit.feed_calls``), not the hook.
        """
        params = {"startDate": ukg_instant(start), "endDate": ukg_instant(end)}
        yield from self._pages(
            EMPLOYEE_CHANGES, params, per_page, EMPLOYEE_CHANGES_PAGE_PARAM, expect=EMPLOYEE_PAGE
        )

    def employee_changes(
        self, *, start: dt.datetime, end: dt.datetime, per_page: int = PER_PAGE
    ) -> list[dict[str, Any]]:
        """Employee snapshots changed in ``[start, end]`` from the change feed, all pages
        (:meth:`employee_change_pages`, flattened)."""
        return [
            item
            for page in self.employee_change_pages(start=start, end=end, per_page=per_page)
            for item in page
        ]

    def employee_change(self, employee_id: str) -> list[dict[str, Any]]:
        """One employee's full snapshot (``GET /personnel/v1/employee-changes/{employeeId}``);
        empty when UKG does not know the id. Not a feed poll: it does not count against the
        feed's call budget."""
        try:
            found = self.get_json(f"{EMPLOYEE_CHANGES}/{employee_id}", expect=EMPLOYEE_PAGE)
        except NotFoundError:
            return []
        if isinstance(found, dict):
            return [found]
        return [dict(item) for item in found]

    def employment_details(
        self,
        *,
        employee_id: str | None = None,
        employee_number: str | None = None,
        changed_since: dt.datetime | None = None,
        per_page: int = PER_PAGE,
    ) -> Iterator[dict[str, Any]]:
        """Employment details (``EmpEmploymentDetails``: ``employeeID``, ``employeeStatusCode``,
        dates, org levels) of everyone, one employee, or those changed after ``changed_since``."""
        since = after(changed_since) if changed_since is not None else None
        params = _filters(
            employeeId=employee_id, employeeNumber=employee_number, dateTimeChanged=since
        )
        return self._paginate(
            EMPLOYMENT_DETAILS, params, per_page, page_param=LIST_PAGE_PARAM, expect=EMPLOYEE_PAGE
        )

    def person_details(
        self,
        *,
        employee_id: str | None = None,
        changed_since: dt.datetime | None = None,
        per_page: int = PER_PAGE,
    ) -> Iterator[dict[str, Any]]:
        """Person details (names, ``emailAddress``) of everyone, one employee, or those changed
        after ``changed_since`` (``dateTimeChanged=>…``)."""
        since = after(changed_since) if changed_since is not None else None
        params = _filters(employeeId=employee_id, dateTimeChanged=since)
        return self._paginate(
            PERSON_DETAILS, params, per_page, page_param=LIST_PAGE_PARAM, expect=EMPLOYEE_PAGE
        )

    def org_levels(self) -> list[dict[str, Any]]:
        """The org-level configuration: every level and code, in **one** read.

        ``GET /configuration/v1/org-levels`` is published without paging (no ``page``, no page
        size; a bare array of ``org-levels``), so nothing but the call is sent: a page walk
        against a service that ignores ``page`` would read the same list again and again.
        The published filters (``levelDescription``, ``code``, …) are not needed — the
        alignment wants every level, inactive ones included.
        """
        found = self.get_json(ORG_LEVELS, expect=ORG_LEVEL_LIST)
        return [dict(item) for item in found]

    # -- the one write UKG ever gets ---------------------------------------------------------
    def create_org_levels(self, items: Sequence[Mapping[str, Any]]) -> list[ItemOutcome]:
        """Create org levels with **one** ``POST /configuration/v1/org-levels`` of the array
        (published: an array of ``{level, code, description, …}``, answered **207** with one
        result per item). Returns one :class:`ItemOutcome` per item, in order — a refused item
        is an outcome naming its fields, not an exception, so the others still count.

        Only the cost-centre alignment calls this, and only with
        ``alignment.write_cost_centers_to_ukg`` on; payroll and personnel data are never written.
        Not repeated blindly: a lost answer raises ``ResponseLostError`` (read back first); an
        API user without the permission gets ``PermissionDeniedError`` (403).
        """
        body = [dict(i) for i in items]
        response = self.request("POST", ORG_LEVELS, json=body, idempotent=False)
        return item_outcomes(body, self._json(response, "POST", ORG_LEVELS))

    def update_org_level(self, level: int, code: str, fields: Mapping[str, Any]) -> Any:
        """``PUT /configuration/v1/org-levels/{level}/{code}``: the published body requires
        ``description``, ``code`` and ``level`` (the last two cannot change). Sets fields to
        given values, so it is retried like any idempotent call."""
        body = {**fields, "level": level, "code": code}
        response = self.request("PUT", f"{ORG_LEVELS}/{level}/{code}", json=body)
        return self._json(response, "PUT", ORG_LEVELS)

    def write_org_level(
        self, level: int, code: str, fields: dict[str, Any], *, create: bool
    ) -> Any:
        """One org level: created (:meth:`create_org_levels` with one item; returns its
        :class:`ItemOutcome`) or updated (:meth:`update_org_level`; returns UKG's answer)."""
        if create:
            (outcome,) = self.create_org_levels([{**fields, "level": level, "code": code}])
            return outcome
        return self.update_org_level(level, code, fields)

    def _probe_params(self) -> dict[str, Any] | None:
        """None: the probe (``GET /configuration/v1/org-levels``) is published without paging
        or required parameters, so it is sent bare — a short list, and the same permission the
        alignment needs."""
        return None

    def _tenant_label(self) -> str:
        return f"tenant {self.config.tenant_alias} ({self.config.auth_mode})"
