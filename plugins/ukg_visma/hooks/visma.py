"""``VismaHook``: Visma.net ERP (Financials) — reads, journal creation, locked updates, release.

Callers use the named methods (``accounts()``, ``journals(period_id)``, ``create_journal(...)``,
``update_employee(...)`` …); the routes below are spelled here and nowhere else in the package.

- Client credentials with ``tenant_id`` against connect.visma.com (configurable); no refresh
  token exists, so a new token is requested ahead of expiry and once after a 401.
- Writes respect optimistic locking: every PUT carries ``If-Match``; ``_update`` re-reads and
  re-applies on 412 (bounded).
- POSTs are never repeated blindly: Visma has no idempotency key, so a lost answer raises
  ``ResponseLostError`` and the caller reads back before deciding.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from ukg_visma.hooks.auth import AuthProvider, ClientCredentialsAuth
from ukg_visma.hooks.base import ApiHook, display_path
from ukg_visma.hooks.config import TimeoutArg, VismaConfig
from ukg_visma.hooks.exceptions import (
    ConcurrentUpdateError,
    MalformedResponseError,
    UnexpectedResponseError,
    is_html,
    safe_excerpt,
)
from ukg_visma.hooks.forms import (
    VISMA_CONN_FIELDS,
    VISMA_FIELD_BEHAVIOUR,
    form_widgets,
    python_behaviour,
)
from ukg_visma.hooks.paging import DEFAULT_MAX_PAGES, visma_pages
from ukg_visma.hooks.retry import RetryPolicy
from ukg_visma.hooks.shapes import Expect

DEFAULT_PAGE_SIZE = 500
EMPLOYEE_PAGE_SIZE = 1000  # Visma's maxPageSize for /v1/employee

# The Visma.net routes this connector uses (docs: ../shared/api/visma-net.md).
ACCOUNTS = "/v1/account"
SUBACCOUNT = "/v1/dimension/SUBACCOUNT"
DEPARTMENTS = "/v1/department"
PROJECTS = "/v1/project"
FINANCIAL_PERIODS = "/v1/financialPeriod"
EMPLOYEES = "/v1/employee"
JOURNALS = "/v2/journaltransaction"

# What each read must answer (hooks/shapes.py): the shape, and the ids the connector reads.
ACCOUNT_LIST = Expect("the chart of accounts", "list", ("accountCD|accountCd|accountNumber",))
DIMENSION = Expect("the SUBACCOUNT dimension", "object", ("segments",))
SEGMENT = Expect("a SUBACCOUNT segment", "object")
DEPARTMENT_LIST = Expect("the departments", "list", ("departmentId",))
DEPARTMENT = Expect("a department", "object", ("departmentId",))
PROJECT_PAGE = Expect("a page of projects", "page", ("projectID|projectId|projectCd|id",))
PERIOD_LIST = Expect("the financial periods", "list", ("periodId|period|financialPeriod",))
JOURNAL_PAGE = Expect("a page of journal transactions", "page", ("batchNumber",))
JOURNAL = Expect("a journal transaction", "object", ("batchNumber", "status"))
EMPLOYEE_PAGE = Expect("a page of employees", "page", ("employeeNumber|employeeCd",))
EMPLOYEE = Expect("an employee", "object", ("employeeNumber|employeeCd",))


def _journal_lines(row: Any) -> int:
    """What one listed journal row counts towards ``pageSize``: its lines on this page."""
    lines = row.get("journalTransactionLines") if isinstance(row, dict) else None
    return len(lines) if isinstance(lines, list) else 0


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
    probe_path = FINANCIAL_PERIODS

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
    def _get_with_etag(self, path: str, expect: Expect | None = None) -> tuple[Any, str]:
        """GET one resource and the ETag that a later PUT must send as ``If-Match``."""
        body, response = self.read(path, expect=expect or Expect("the resource", "object"))
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

    def _paginate(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
        expect: Expect | None = None,
        size_of: Callable[[Any], int] | None = None,
    ) -> Iterator[dict]:
        """Yield the records of every page (``pageNumber``/``pageSize``), one page in memory;
        every page checked against ``expect`` (default: a page of objects). ``size_of``: what
        a record counts towards the page size when not 1 (``hooks/paging.visma_pages``)."""
        for page in visma_pages(
            functools.partial(self._fetch_page, expect=expect),
            path,
            params,
            page_size=page_size,
            service=self.service,
            max_pages=max_pages,
            size_of=size_of,
        ):
            yield from page

    # -- writes -----------------------------------------------------------------------------
    def _post(self, path: str, json: Any) -> requests.Response:
        """Create something (e.g. a journal). Not retried except on 429 / connect failures;
        a lost answer raises ``ResponseLostError`` — read back before posting again.

        Visma answers a create with **201** (+ ``ETag``; the published contract documents no
        ``Location``, though many tenants send one). Any other 2xx without a ``Location`` (a
        proxy's 200 login page, an empty 200), or an HTML page, is not Visma's answer, so whether
        it took effect is unknown: ``ResponseLostError`` too."""
        response = self.request("POST", path, json=json, idempotent=False)
        html = is_html(response.headers.get("Content-Type", ""), response.content)
        if html or (response.status_code != 201 and not response.headers.get("Location")):
            raise self._unusable(
                f"{response.status_code} {self._answer_kind(response)} instead of Visma's 201 "
                "(Created)",
                response, "POST", path, None,
            )  # fmt: skip
        return response

    @staticmethod
    def _answer_kind(response: requests.Response) -> str:
        """``with an HTML page`` / ``with an empty body`` / ``with a body``: for messages."""
        if not response.content:
            return "with an empty body"
        if is_html(response.headers.get("Content-Type", ""), response.content):
            return "with an HTML page"
        return "with a body"

    def _post_action(
        self, path: str, json: Any = None, *, etag: str | None = None
    ) -> requests.Response:
        """Run an action such as ``/v2/journaltransaction/{batch}/action/release`` (204/202).

        ``etag`` (optional) is sent as ``If-Match`` so the action applies only to the version
        that was checked. Not repeated blindly: a lost answer raises ``ResponseLostError``.
        """
        headers = {"If-Match": etag} if etag else None
        response = self.request("POST", path, json=json, headers=headers, idempotent=False)
        if is_html(response.headers.get("Content-Type", ""), response.content):
            raise self._unusable("an HTML page instead of 204/202", response, "POST", path, None)
        return response

    def _put(self, path: str, json: Any, etag: str) -> requests.Response:
        """Update with ``If-Match: etag`` (mandatory: without it Visma overwrites blindly).

        Raises ``ConcurrentUpdateError`` (412) when the resource changed since ``etag``.
        """
        if not etag:
            raise ValueError("_put() needs the ETag of the version being changed (If-Match)")
        response = self.request("PUT", path, json=json, headers={"If-Match": etag})
        if response.status_code != 204 and (
            not response.headers.get("ETag")
            or is_html(response.headers.get("Content-Type", ""), response.content)
        ):
            # Visma answers an update with 204 + the new ETag; a 200 page or an empty 200
            # without one came from something in between: whether it applied is unknown.
            content_type = response.headers.get("Content-Type", "")
            raise MalformedResponseError(
                f"{response.status_code} {self._answer_kind(response)} instead of 204 + ETag; "
                "whether the update applied is unknown — re-read before sending it again",
                service=self.service,
                method="PUT",
                path=display_path(path),
                status=response.status_code,
                content_type=content_type,
                excerpt=safe_excerpt(response.content, content_type, self._scrub),
            )
        return response

    def _update(
        self,
        path: str,
        mutate: Callable[[Any], Any],
        attempts: int = 5,
        expect: Expect | None = None,
    ) -> Any:
        """Read-modify-write without lost updates: GET+ETag → ``mutate`` → PUT If-Match.

        ``mutate(current_body)`` returns the PUT body, computed from the body it is given (it is
        called again on a fresh read after a 412, so another writer's change is kept), or
        ``None`` / ``{}`` when nothing needs to change (no PUT is sent). Returns the body that
        was PUT, or ``None``. After ``attempts`` conflicts raises ``ConcurrentUpdateError``.
        A PUT answered with something that is not Visma's (``MalformedResponseError``) is
        treated like a conflict: re-read, re-apply — and when the re-read shows nothing left to
        change, that earlier PUT did apply and its body is returned.
        """
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        unsure: Any = None  # a PUT whose answer was unusable: it may have applied
        for attempt in range(1, attempts + 1):
            body, etag = self._get_with_etag(path, expect)
            payload = mutate(body)
            if payload is None or payload == {}:
                # nothing (left) to change; after an unusable answer, our earlier PUT did it
                return unsure
            try:
                self._put(path, payload, etag)
            except MalformedResponseError as exc:
                if attempt >= attempts:
                    raise
                unsure = payload
                self.stats.add(retries=1)
                self.log.warning("%s; re-reading (attempt %d of %d)", exc, attempt, attempts)
                continue
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

    # -- the API, by name -------------------------------------------------------------------
    # Reads return the parsed bodies as Visma sends them (decimals as ``Decimal``); a missing
    # resource raises ``NotFoundError``. Creates are single POSTs, never repeated blindly: a lost
    # answer raises ``ResponseLostError`` and the caller reads back before sending again.

    def accounts(self) -> list[dict[str, Any]]:
        """The chart of accounts (``GET /v1/account``)."""
        return self.get_json(ACCOUNTS, expect=ACCOUNT_LIST)

    def subaccount_dimension(self) -> dict[str, Any]:
        """The SUBACCOUNT dimension with its segments and their values."""
        return self.get_json(SUBACCOUNT, expect=DIMENSION)

    def segment(self, segment_id: int | str) -> dict[str, Any]:
        """One SUBACCOUNT segment with its values."""
        return self.get_json(f"{SUBACCOUNT}/{segment_id}", expect=SEGMENT)

    def update_segment_values(
        self, segment_id: int | str, mutate: Callable[[Any], Any], *, attempts: int = 5
    ) -> Any:
        """Locked update of one segment's values (GET + ETag → ``mutate`` → PUT If-Match; see
        :meth:`_update`). Returns the body that was PUT, or ``None`` when nothing changed."""
        return self._update(f"{SUBACCOUNT}/{segment_id}", mutate, attempts, SEGMENT)

    def departments(self) -> list[dict[str, Any]]:
        """Every department (an empty list when Visma answers with no body)."""
        return list(self.get_json(DEPARTMENTS, expect=DEPARTMENT_LIST))

    def department(self, department_id: str) -> dict[str, Any]:
        """One department; ``NotFoundError`` when Visma has none with that id."""
        return self.get_json(f"{DEPARTMENTS}/{department_id}", expect=DEPARTMENT)

    def create_department(self, body: dict[str, Any]) -> None:
        """``POST /v1/department`` once (a 400 "already exists" raises ``ValidationError``)."""
        self._post(DEPARTMENTS, body)

    def projects(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> list[dict[str, Any]]:
        """Every project, all pages."""
        return list(self._paginate(PROJECTS, None, page_size, expect=PROJECT_PAGE))

    def financial_periods(self) -> list[dict[str, Any]]:
        """The financial periods (``YYYYPP``) with their open/closed flags."""
        return self.get_json(FINANCIAL_PERIODS, expect=PERIOD_LIST)

    def journals(
        self, period_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Every journal transaction of a financial period (``YYYYPP``), all pages, as listed.

        Published as a bare array of ``JournalTransactionDto`` (each row carrying the page's
        ``metadata``); a wrapped ``{"metadata", "value"}`` page is read the same. The listing
        pages by journal *lines*: a batch with more lines than a page continues on the next page
        under the same ``batchNumber``, so callers merge (or dedupe) by it; the walk ends at the
        first page with fewer lines than the page size.
        """
        return self._paginate(
            JOURNALS,
            {"periodId": period_id},
            page_size,
            expect=JOURNAL_PAGE,
            size_of=_journal_lines,
        )

    def journal(self, batch_number: str) -> dict[str, Any]:
        """One journal transaction with every line; ``NotFoundError`` when it does not exist."""
        return self.get_json(f"{JOURNALS}/{batch_number}", expect=JOURNAL)

    def journal_with_etag(self, batch_number: str) -> tuple[dict[str, Any], str]:
        """One journal transaction and the ETag an action on it may send as ``If-Match``."""
        return self._get_with_etag(f"{JOURNALS}/{batch_number}", JOURNAL)

    def create_journal(self, payload: dict[str, Any]) -> str | None:
        """POST one journal transaction; returns the batch number when the answer names it.

        The published 201 carries an ``ETag`` and no ``Location`` nor a documented body, so the
        number is only a hint: taken from a ``Location`` when the tenant sends one, else
        ``None`` — the caller finds the batch by reading the period back once and matching its
        journal key and run tag (``tasks/payroll/posting.key_holders``). Sent once: a lost answer
        raises ``ResponseLostError`` (read back before posting again); a refusal raises
        ``ValidationError``.
        """
        response = self._post(JOURNALS, payload)
        location = response.headers.get("Location", "").rstrip("/")
        return location.rsplit("/", 1)[-1] if location else None

    def take_off_hold(self, batch_number: str) -> Any:
        """Set a batch that is on ``Hold`` to not on hold (a locked update; a batch no longer on
        hold is left alone). Returns the body that was PUT, or ``None``."""
        return self._update(
            f"{JOURNALS}/{batch_number}",
            lambda cur: {"hold": {"value": False}} if cur.get("status") == "Hold" else None,
            expect=JOURNAL,
        )

    def update_journal(
        self, batch_number: str, mutate: Callable[[Any], Any], *, attempts: int = 5
    ) -> Any:
        """Locked update of one batch (``PUT`` + If-Match, see :meth:`_update`): e.g. its lines
        with ``operation: Delete``. Returns the body that was PUT, or ``None``."""
        return self._update(f"{JOURNALS}/{batch_number}", mutate, attempts, JOURNAL)

    def release_journal(self, batch_number: str, *, etag: str | None = None) -> None:
        """Release a balanced batch into the ledger (``…/action/release``), ``If-Match: etag``
        when given. Not repeated blindly: a lost answer raises ``ResponseLostError``."""
        self._post_action(f"{JOURNALS}/{batch_number}/action/release", etag=etag)

    def employees(
        self, *, modified_since: str | None = None, page_size: int = EMPLOYEE_PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Every employee, or those with ``lastModifiedDateTime >= modified_since`` (Visma's own
        time format, e.g. a value read earlier from that field), all pages."""
        params = None
        if modified_since is not None:
            params = {
                "lastModifiedDateTime": modified_since,
                "lastModifiedDateTimeCondition": ">=",
            }
        return self._paginate(EMPLOYEES, params, page_size, expect=EMPLOYEE_PAGE)

    def employee(self, employee_cd: str) -> dict[str, Any]:
        """One employee by number (``employeeCd``); ``NotFoundError`` when there is none."""
        return self.get_json(f"{EMPLOYEES}/{employee_cd}", expect=EMPLOYEE)

    def create_employee(self, body: dict[str, Any]) -> None:
        """``POST /v1/employee`` once (no idempotency key: read back after a lost answer)."""
        self._post(EMPLOYEES, body)

    def update_employee(
        self, employee_cd: str, mutate: Callable[[Any], Any], *, attempts: int = 5
    ) -> Any:
        """Locked update of one employee (see :meth:`_update`); the body PUT, or ``None``."""
        return self._update(f"{EMPLOYEES}/{employee_cd}", mutate, attempts, EMPLOYEE)
