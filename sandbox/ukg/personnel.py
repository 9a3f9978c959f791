"""Personnel endpoints: the employee change feed (full snapshots) and the full employee lists.

The change feed returns every employee with at least one change in ``[startDate, endDate]`` as
its *current* full snapshot (not a diff, and not the version as of the window): the client compares
with what it saw last. ``/personnel/v1/employees/changed`` is an alias of the same feed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from sandbox.ukg.errors import bad_request
from sandbox.ukg.paging import paged_response, read_page
from sandbox.ukg.state import UkgState, parse_moment

EMPLOYMENT_FIELDS = (
    "employeeId",
    "companyId",
    "employeeNumber",
    "employeeStatus",
    "originalHireDate",
    "lastHireDate",
    "dateOfLastHire",
    "terminationDate",
    "orgLevel1Code",
    "orgLevel2Code",
    "orgLevel3Code",
    "orgLevel4Code",
    "jobCode",
    "projectCode",
    "payGroup",
    "workLocation",
    "isActive",
    "dateTimeChanged",
)
_FOLD = str.maketrans({"ø": "o", "å": "a", "æ": "ae", "Ø": "O", "Å": "A", "Æ": "AE"})


def person_details(e: dict[str, Any]) -> dict[str, Any]:
    local = f"{e.get('firstName', '')}.{e.get('lastName', '')}".translate(_FOLD).lower()
    return {
        "employeeId": e["employeeId"],
        "companyId": e.get("companyId"),
        "firstName": e.get("firstName"),
        "lastName": e.get("lastName"),
        "middleName": None,
        "preferredName": None,
        "emailAddress": f"{local.replace(' ', '')}@nordicmfg.no",
        "addressCountry": "NOR",
        "dateTimeChanged": e.get("dateTimeChanged"),
    }


_FILTER_FIELDS = ("employeeId", "employeeNumber", "companyId")


def _filtered(state: UkgState, request: Request) -> list[dict[str, Any]]:
    """All employees, filtered by the query (``dateTimeChanged`` = changed at or after)."""
    query = request.query_params
    employees = state.employees()
    since = query.get("dateTimeChanged")
    if since:
        moment = parse_moment(since, "dateTimeChanged")
        changed = {
            employee_id
            for employee_id, log in state.changes().items()
            if any(m >= moment for m, _, _ in log)
        }
        employees = [e for e in employees if e["employeeId"] in changed]
    for field in _FILTER_FIELDS:
        if query.get(field):
            employees = [e for e in employees if e.get(field) == query[field]]
    # Stored data from an older sandbox may lack a number: sort those last, never fail.
    employees.sort(key=lambda e: (e.get("employeeNumber") is None, str(e.get("employeeNumber"))))
    return employees


class _ListCache:
    """The full, filtered, sorted list behind a paged personnel endpoint, per query and state.

    A client pages through 20,000 employees 200 at a time; building the whole list again for
    every page (decode, filter, sort, map) made the sandbox's own work grow with pages × employees
    and dominate the employee-sync benchmark. The list is rebuilt whenever an employee or the
    change log is written (``UkgState.employees_generation``), so paging sees what a fresh read
    would.
    """

    def __init__(self, state: UkgState, size: int = 16) -> None:
        self.state = state
        self.size = size
        self._lists: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(
        self, endpoint: str, request: Request, build: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> list[dict[str, Any]]:
        query = request.query_params
        filters = tuple(query.get(name) or "" for name in ("dateTimeChanged", *_FILTER_FIELDS))
        return self.get_derived(
            (endpoint, filters), lambda: [build(e) for e in _filtered(self.state, request)]
        )

    def get_derived(
        self, what: tuple[Any, ...], make: Callable[[], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        key = (*what, self.state.employees_generation())
        with self._lock:
            found = self._lists.get(key)
        if found is not None:
            return found
        found = make()
        with self._lock:
            if len(self._lists) >= self.size:
                self._lists.pop(next(iter(self._lists)))
            self._lists[key] = found
        return found


def _employee_id(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "employeeId": e["employeeId"],
        "companyId": e.get("companyId"),
        "employeeNumber": e.get("employeeNumber"),
    }


def personnel_router(state: UkgState) -> APIRouter:
    router = APIRouter()
    lists = _ListCache(state)

    def changes(request: Request) -> Response:
        query = request.query_params
        if not query.get("startDate"):
            raise bad_request("startDate", "startDate is required")
        start = parse_moment(query["startDate"], "startDate")
        end = (
            parse_moment(query["endDate"], "endDate", end_of_day=True)
            if query.get("endDate")
            else time.time()
        )
        if start > end:
            raise bad_request("startDate", "must not be after endDate")
        page = read_page(request)
        if not query.get("endDate"):  # "until now" moves: nothing to keep
            return paged_response(request, page, state.changed_between(start, end))
        found = lists.get_derived(
            ("changes", start, end), lambda: state.changed_between(start, end)
        )
        return paged_response(request, page, found)

    router.add_api_route("/personnel/v1/employee-changes", changes, methods=["GET"])
    router.add_api_route("/personnel/v1/employees/changed", changes, methods=["GET"])

    @router.get("/personnel/v1/employment-details")
    def employment_details(request: Request) -> Response:
        page = read_page(request)
        found = lists.get("employment", request, lambda e: {k: e.get(k) for k in EMPLOYMENT_FIELDS})
        return paged_response(request, page, found)

    @router.get("/personnel/v1/person-details")
    def persons(request: Request) -> Response:
        page = read_page(request)
        return paged_response(request, page, lists.get("persons", request, person_details))

    @router.get("/personnel/v1/employee-ids")
    def employee_ids(request: Request) -> Response:
        page = read_page(request)
        found = lists.get("ids", request, _employee_id)
        return paged_response(request, page, found)

    return router
