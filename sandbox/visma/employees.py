"""``/v1/employee``: paged list, GET one (ETag), POST create (EmployeeCreateDTO), PUT with If-Match
(EmployeeUpdateDto).

Why the bodies are checked strictly: the OpenAPI document marks ``employeeCd``, ``department``,
``employeeClass``, ``branch``, ``calendar`` and ``contact`` of ``EmployeeCreateDTO`` as required,
and in its contact ``lastName`` **and** ``email``; ``EmployeeUpdateDto`` marks ``contact``
required. A connector that forgets one must fail here (400), not first in production.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandbox.common import StateStore
from sandbox.visma.config import VismaConfig
from sandbox.visma.errors import VismaError
from sandbox.visma.util import (
    dto_value,
    etag,
    if_match_ok,
    json_body,
    json_response,
    modified_after,
    new_timestamp,
    now_text,
    page_params,
    parse_last_modified,
    precondition_failed,
)

NS = "employees"
STATUSES = {
    "active": "Active",
    "inactive": "Inactive",
    "onhold": "OnHold",
    "on hold": "OnHold",
    "holdpayments": "HoldPayments",
    "hold payments": "HoldPayments",
    "onetime": "OneTime",
    "one-time": "OneTime",
}
_CONTACT_FIELDS = {
    "firstName": "firstName",
    "lastName": "lastName",
    "middleName": "midName",
    "email": "email",
    "phone1": "phone1",
    "phone2": "phone2",
    "phone3": "phone3",
    "fax": "fax",
}
_ADDRESS_FIELDS = ("addressLine1", "addressLine2", "addressLine3", "postalCode", "city")


def _status(value: Any) -> str:
    status = STATUSES.get(str(value).strip().lower())
    if status is None:
        raise VismaError(f"Employee status '{value}' is not valid.", code="12040")
    return status


def _department(store: StateStore, value: Any) -> str:
    department = str(value or "")
    if not store.has("departments", department):
        raise VismaError(f"Department '{department}' does not exist.", code="12041")
    return department


def _apply_contact(employee: dict[str, Any], contact: Any) -> None:
    if not isinstance(contact, dict):
        raise VismaError("contact must be an object.", code="12042")
    target = employee["contact"]
    for source, field in _CONTACT_FIELDS.items():
        if source in contact:
            value = dto_value(contact, source)
            target[field] = None if value is None else str(value)
    names = [target.get("firstName"), target.get("midName"), target.get("lastName")]
    target["name"] = " ".join(part for part in names if part)
    employee["employeeName"] = target["name"]


def _apply_address(employee: dict[str, Any], address: Any) -> None:
    if not isinstance(address, dict):
        raise VismaError("address must be an object.", code="12043")
    for field in _ADDRESS_FIELDS:
        if field in address:
            value = dto_value(address, field)
            employee["address"][field] = None if value is None else str(value)
    if "countryId" in address or "country" in address:
        country = dto_value(address, "countryId", dto_value(address, "country"))
        employee["address"]["country"] = {"id": country, "name": country}


def _apply_common(store: StateStore, employee: dict[str, Any], body: dict[str, Any]) -> None:
    if "status" in body:
        employee["status"] = _status(dto_value(body, "status"))
    if "department" in body:
        employee["department"] = _department(store, dto_value(body, "department"))
    if "employeeClass" in body:
        value = str(dto_value(body, "employeeClass") or "")
        employee["employeeClass"] = {"id": value, "description": value}
    if "branch" in body:
        value = str(dto_value(body, "branch") or "")
        employee["branch"] = {"number": value, "name": value}
    if "calendar" in body:
        employee["calendarId"] = str(dto_value(body, "calendar") or "")
    if "contact" in body:
        _apply_contact(employee, body["contact"])
    if "address" in body:
        _apply_address(employee, body["address"])
    if not employee["contact"].get("lastName"):
        raise VismaError("contact.lastName is required.", code="12044")


def new_employee(store: StateStore, number: str) -> dict[str, Any]:
    return {
        "employeeUserId": None,
        "employeeId": store.next_id("employeeId", start=100),
        "employeeNumber": number,
        "employeeName": "",
        "status": "Active",
        "department": None,
        "contact": {"contactId": store.next_id("contactId", start=1000)},
        "address": {},
        "lastModifiedDateTime": None,
        "employeeClass": None,
        "branch": None,
        "calendarId": None,
        "employeeLogin": None,
        "workGroupDescription": [],
        "timeStamp": None,
    }


def create_employee(
    store: StateStore, body: dict[str, Any], *, modified: str | None = None
) -> dict[str, Any]:
    """``POST /v1/employee``'s work: check an ``EmployeeCreateDTO``, store the employee.

    ``modified`` (admin seeding only) stamps ``lastModifiedDateTime`` instead of now.
    """
    missing = [
        field
        for field in ("employeeCd", "department", "employeeClass", "branch", "calendar")
        if dto_value(body, field) in (None, "")
    ] + ([] if isinstance(body.get("contact"), dict) else ["contact"])
    raw_contact = body.get("contact")
    contact: dict[str, Any] = raw_contact if isinstance(raw_contact, dict) else {}
    missing += [
        f"contact.{field}"
        for field in ("lastName", "email")
        if "contact" not in missing and dto_value(contact, field) in (None, "")
    ]
    if missing:
        raise VismaError(f"Required fields missing: {', '.join(missing)}.", code="12045")
    number = str(dto_value(body, "employeeCd"))
    with store.atomic():
        if store.has(NS, number):
            raise VismaError(f"Employee {number} already exists.", code="12046")
        employee = new_employee(store, number)
        _apply_common(store, employee, body)
        employee["timeStamp"] = new_timestamp(store)
        employee["lastModifiedDateTime"] = modified or now_text()
        store.put(NS, number, employee)
    return employee


def employee_router(store: StateStore, config: VismaConfig) -> APIRouter:
    router = APIRouter(prefix="/v1/employee")

    @router.get("")
    def list_employees(request: Request) -> Response:
        records = store.values(NS)
        since = request.query_params.get("lastModifiedDateTime")
        if since:
            condition = request.query_params.get("lastModifiedDateTimeCondition", ">=")
            if condition not in (">", ">=", "<", "<="):
                raise VismaError(f"Invalid lastModifiedDateTimeCondition '{condition}'.")
            moment = parse_last_modified(since)
            records = [
                r for r in records if modified_after(r, moment, "lastModifiedDateTime", condition)
            ]
        number, size = page_params(request, config.employee_max_page_size)
        meta = {"totalCount": len(records), "maxPageSize": config.employee_max_page_size}
        page = records[(number - 1) * size : number * size]
        return json_response([{**record, "metadata": meta} for record in page])

    @router.get("/{employee_cd}")
    def get_one(employee_cd: str) -> Response:
        record = store.get(NS, employee_cd)
        if record is None:
            raise VismaError(f"Employee {employee_cd} was not found.", status=404, code="12404")
        return json_response(record, etag_value=etag(record))

    @router.post("")
    async def create(request: Request) -> Response:
        employee = create_employee(store, await json_body(request))
        number = employee["employeeNumber"]
        location = f"{str(request.base_url).rstrip('/')}/v1/employee/{number}"
        return Response(status_code=201, headers={"Location": location, "ETag": etag(employee)})

    @router.put("/{employee_cd}")
    async def update(employee_cd: str, request: Request) -> Response:
        body = await json_body(request)
        with store.atomic():
            employee = store.get(NS, employee_cd)
            if employee is None:
                raise VismaError(f"Employee {employee_cd} was not found.", status=404, code="12404")
            if not isinstance(body.get("contact"), dict):  # EmployeeUpdateDto: contact required
                raise VismaError("Required fields missing: contact.", code="12045")
            if not if_match_ok(request, employee):
                return precondition_failed()
            _apply_common(store, employee, body)
            employee["timeStamp"] = new_timestamp(store)
            employee["lastModifiedDateTime"] = now_text()
            store.put(NS, employee_cd, employee)
        return Response(status_code=204, headers={"ETag": etag(employee)})

    return router
