"""Personnel endpoints: the employee change feed (full snapshots) and the full employee lists.

The change feed returns every employee with at least one change in ``[startDate, endDate]`` as
its *current* full snapshot (not a diff, and not the version as of the window): the client compares
with what it saw last. ``/personnel/v1/employees/changed`` is an alias of the same feed.
"""

from __future__ import annotations

import time
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
    for field in ("employeeId", "employeeNumber", "companyId"):
        if query.get(field):
            employees = [e for e in employees if e.get(field) == query[field]]
    # Stored data from an older sandbox may lack a number: sort those last, never fail.
    employees.sort(key=lambda e: (e.get("employeeNumber") is None, str(e.get("employeeNumber"))))
    return employees


def personnel_router(state: UkgState) -> APIRouter:
    router = APIRouter()

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
        return paged_response(request, page, state.changed_between(start, end))

    router.add_api_route("/personnel/v1/employee-changes", changes, methods=["GET"])
    router.add_api_route("/personnel/v1/employees/changed", changes, methods=["GET"])

    @router.get("/personnel/v1/employment-details")
    def employment_details(request: Request) -> Response:
        page = read_page(request)
        found = [{k: e.get(k) for k in EMPLOYMENT_FIELDS} for e in _filtered(state, request)]
        return paged_response(request, page, found)

    @router.get("/personnel/v1/person-details")
    def persons(request: Request) -> Response:
        page = read_page(request)
        return paged_response(request, page, [person_details(e) for e in _filtered(state, request)])

    @router.get("/personnel/v1/employee-ids")
    def employee_ids(request: Request) -> Response:
        page = read_page(request)
        found = [
            {
                "employeeId": e["employeeId"],
                "companyId": e.get("companyId"),
                "employeeNumber": e.get("employeeNumber"),
            }
            for e in _filtered(state, request)
        ]
        return paged_response(request, page, found)

    return router
