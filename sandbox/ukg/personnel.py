"""Personnel endpoints: the employee change feed (full snapshots) and the full employee lists.

The change feed returns every employee with at least one change in ``[startDate, endDate]`` as
its *current* full snapshot (not a diff, and not the version as of the window): the client compares
with what it saw last. ``/personnel/v1/employees/changed`` is not in the published contract: 404.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from sandbox.scenario import customer
from sandbox.ukg.errors import bad_request, json_response
from sandbox.ukg.paging import paged_response, read_page
from sandbox.ukg.state import UkgState, parse_moment

# What the sandbox stores per employee (its own record, not a published shape): each endpoint
# below projects it onto the published model of that operation.
STORED_FIELDS = (
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
    "emailAddress",
    # when HR last changed the employee (stamped by the admin route and the scenario): published
    # as ``dateTimeChanged`` on EmpEmploymentDetails (and its filter) and ``datetimeChanged`` on
    # EmpPersonDetails; the change feed (EmployeeChangesResponse) has no stamp and serves none
    "dateTimeChanged",
)
_ORG = ("orgLevel1Code", "orgLevel2Code", "orgLevel3Code", "orgLevel4Code")
_FOLD = str.maketrans({"ø": "o", "å": "a", "æ": "ae", "Ø": "O", "Å": "A", "Æ": "AE"})


def _number(value: Any) -> int | None:
    """``EmployeeChangesResponse.employeeNumber`` is a JSON number (leading zeros are lost)."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def email_of(e: dict[str, Any]) -> str | None:
    """The stored address; a record without the key gets the scenario's name-based one."""
    if "emailAddress" in e:
        return e["emailAddress"] or None
    local = f"{e.get('firstName', '')}.{e.get('lastName', '')}".translate(_FOLD).lower()
    return f"{local.replace(' ', '')}@nordicmfg.no"


# coId → (companyCode, companyName): the parent, and the group's companies (scenario ``group``)
_PARENT = (customer.COMPANY_CODE, customer.COMPANY_NAME)
_COMPANIES = {
    customer.CO_ID: _PARENT,
    **{c.co_id: (c.code, c.name) for c in customer.GROUP_PLANT_COMPANIES.values()},
}


def change_record(e: dict[str, Any]) -> dict[str, Any]:
    """``EmployeeChangesResponse``: no change stamp, no pay group, hire dates as the feed names
    them (``hireDate``, ``dateOfLastHire``), ``employeeNumber`` a number."""
    return {
        "employeeId": e["employeeId"],
        "personId": e["employeeId"],
        "companyId": e.get("companyId"),
        "companyName": _COMPANIES.get(str(e.get("companyId")), _PARENT)[1],
        "employeeNumber": _number(e.get("employeeNumber")),
        "firstName": e.get("firstName"),
        "lastName": e.get("lastName"),
        "preferredName": None,
        "middleName": None,
        "emailAddress": email_of(e),
        "employeeStatus": e.get("employeeStatus"),
        "employeeType": "REG",
        "hireDate": e.get("originalHireDate"),
        "dateOfLastHire": e.get("dateOfLastHire") or e.get("lastHireDate"),
        "terminationDate": e.get("terminationDate"),
        "isActive": e.get("isActive"),
        **{k: e.get(k) for k in _ORG},
        "jobCode": e.get("jobCode"),
        "projectCode": e.get("projectCode"),
        "workLocation": e.get("workLocation"),
    }


def employment_record(e: dict[str, Any]) -> dict[str, Any]:
    """``EmpEmploymentDetails``: ``employeeID``/``companyID``, a string ``employeeNumber``,
    ``employeeStatusCode``, ``dateOfTermination``, ``dateTimeChanged``."""
    return {
        "employeeID": e["employeeId"],
        "companyID": e.get("companyId"),
        "companyCode": _COMPANIES.get(str(e.get("companyId")), _PARENT)[0],
        "employeeNumber": e.get("employeeNumber"),
        "employeeStatusCode": e.get("employeeStatus"),
        "originalHireDate": e.get("originalHireDate"),
        "lastHireDate": e.get("lastHireDate") or e.get("dateOfLastHire"),
        "dateOfTermination": e.get("terminationDate"),
        **{k: e.get(k) for k in _ORG},
        "primaryJobCode": e.get("jobCode"),
        "primaryProjectCode": e.get("projectCode"),
        "primaryWorkLocationCode": e.get("workLocation"),
        "payGroup": e.get("payGroup"),
        "dateTimeChanged": e.get("dateTimeChanged"),
    }


def person_details(e: dict[str, Any]) -> dict[str, Any]:
    """``EmpPersonDetails``: names, ``emailAddress``, ``datetimeChanged`` (lower-case t)."""
    return {
        "employeeId": e["employeeId"],
        "personId": e["employeeId"],
        "companyId": e.get("companyId"),
        "firstName": e.get("firstName"),
        "lastName": e.get("lastName"),
        "middleName": None,
        "preferredName": None,
        "emailAddress": email_of(e),
        "addressCountry": "NOR",
        "datetimeChanged": e.get("dateTimeChanged"),
    }


def _date_filter(query: Any, name: str) -> Callable[[float], bool] | None:
    """The contract's date operators: ``>v`` after, ``<v`` before, ``{a,b}`` between, bare = equal
    (to the second, or the whole day for a bare date)."""
    raw = query.get(name)
    if not raw:
        return None
    text = raw.strip()
    if text.startswith(">"):
        lo = parse_moment(text[1:], name, end_of_day=len(text[1:].strip()) == 10)
        return lambda m: m > lo
    if text.startswith("<"):
        hi = parse_moment(text[1:], name)
        return lambda m: m < hi
    if text.startswith("{") and text.endswith("}") and "," in text:
        a, b = text[1:-1].split(",", 1)
        lo, hi = parse_moment(a, name), parse_moment(b, name, end_of_day=True)
        return lambda m: lo <= m <= hi
    lo = parse_moment(text, name)
    hi = parse_moment(text, name, end_of_day=True) if len(text) == 10 else lo + 0.999999
    return lambda m: lo <= m <= hi


# query name (published) → stored field, per list operation
_LIST_FILTERS = {
    "employment": {
        "employeeId": "employeeId",
        "employeeNumber": "employeeNumber",
        "companyId": "companyId",
        "employeeStatusCode": "employeeStatus",
        "payGroup": "payGroup",
    },
    "persons": {"employeeId": "employeeId", "companyId": "companyId"},
}


def _filtered(state: UkgState, request: Request, endpoint: str) -> list[dict[str, Any]]:
    """All employees, filtered by the operation's published query parameters."""
    query = request.query_params
    employees = state.employees()
    changed = _date_filter(query, "dateTimeChanged")
    if changed is not None:
        employees = [
            e
            for e in employees
            if e.get("dateTimeChanged")
            and changed(parse_moment(str(e["dateTimeChanged"]), "dateTimeChanged"))
        ]
    for name, field in _LIST_FILTERS[endpoint].items():
        if query.get(name):
            employees = [e for e in employees if str(e.get(field)) == query[name]]
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
        filters = tuple(sorted(request.query_params.items()))
        return self.get_derived(
            (endpoint, filters),
            lambda: [build(e) for e in _filtered(self.state, request, endpoint)],
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


def personnel_router(state: UkgState) -> APIRouter:
    router = APIRouter()
    lists = _ListCache(state)

    @router.get("/personnel/v1/employee-changes")
    def changes(request: Request) -> Response:
        """``ChangesByDate_getAllEmployeeChangesSinceLastCall``: ``startDate``, ``endDate``,
        ``page``, ``per_page`` (lower-case p). Without ``startDate``: the last 3 hours."""
        query = request.query_params
        end = (
            parse_moment(query["endDate"], "endDate", end_of_day=True)
            if query.get("endDate")
            else time.time()
        )
        start = (
            parse_moment(query["startDate"], "startDate")
            if query.get("startDate")
            else end - 3 * 3600
        )
        if start > end:
            raise bad_request("startDate", "must not be after endDate")
        page = read_page(request, size_param="per_page", strict=True)
        if not query.get("endDate"):  # "until now" moves: nothing to keep
            found = [change_record(e) for e in state.changed_between(start, end)]
            return paged_response(request, page, found)
        found = lists.get_derived(
            ("changes", start, end),
            lambda: [change_record(e) for e in state.changed_between(start, end)],
        )
        return paged_response(request, page, found)

    @router.get("/personnel/v1/employee-changes/{employee_id}")
    def changes_of(employee_id: str) -> Response:
        """``EmployeeChanges_Get``: the employee's current full snapshot (an array of one)."""
        found = state.employee(employee_id)
        if found is None:
            return json_response({"message": f"Employee {employee_id} not found"}, status=404)
        return json_response([change_record(found)])

    def employment(request: Request, company_id: str | None = None) -> Response:
        page = read_page(request, size_param="per_Page", strict=True)
        found = lists.get("employment", request, employment_record)
        if company_id is not None:
            found = [e for e in found if e.get("companyID") == company_id]
        return paged_response(request, page, found)

    @router.get("/personnel/v1/employment-details")
    def employment_details(request: Request) -> Response:
        """``EmploymentDetails_getDetails`` (``per_Page``)."""
        return employment(request)

    @router.get("/personnel/v1/companies/{company_id}/employment-details")
    def company_employment_details(company_id: str, request: Request) -> Response:
        """``EmploymentDetails_listByCompany`` (``per_Page``)."""
        return employment(request, company_id)

    @router.get("/personnel/v1/person-details")
    def persons(request: Request) -> Response:
        """``PersonDetails_getAllDetails`` (``per_Page``)."""
        page = read_page(request, size_param="per_Page", strict=True)
        return paged_response(request, page, lists.get("persons", request, person_details))

    @router.get("/personnel/v1/person-details/{employee_id}")
    def person(employee_id: str) -> Response:
        """``PersonDetails_getSingleDetailRecord``."""
        found = state.employee(employee_id)
        if found is None:
            return json_response({"message": f"Employee {employee_id} not found"}, status=404)
        return json_response(person_details(found))

    return router
