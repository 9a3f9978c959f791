"""UKG's published employee records → the one snapshot shape the sync compares.

Why a translation at all: UKG publishes the same employee under three spellings. The change feed
(``EmployeeChangesResponse``) says ``employeeId``, ``employeeStatus``, ``hireDate``,
``dateOfLastHire``, ``terminationDate`` and gives ``employeeNumber`` as a JSON *number*;
employment-details (``EmpEmploymentDetails``) says ``employeeID``, ``companyID``,
``employeeStatusCode``, ``originalHireDate``, ``lastHireDate``, ``dateOfTermination``,
``primaryJobCode`` and gives ``employeeNumber`` as a *string*; person-details says ``employeeId``
and ``datetimeChanged``. ``EmployeeSnapshot`` speaks the feed's names; this module turns an
employment-details record into them, so that the diff never sees two names for one fact.

**Employee numbers.** One canonical form for both sources and for Visma's ``employeeCd``: a
number made only of digits loses its leading zeros (``"000123"`` and ``123`` are employee
``123``), because the feed cannot carry them and the two sources must name the same person the
same way; any other text is kept as UKG wrote it (trimmed).

Pure: dicts in, dicts out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# EmpEmploymentDetails field → the change feed's name for the same fact.
_EMPLOYMENT_TO_FEED = {
    "employeeID": "employeeId",
    "companyID": "companyId",
    "employeeStatusCode": "employeeStatus",
    "originalHireDate": "hireDate",
    "lastHireDate": "dateOfLastHire",
    "dateOfTermination": "terminationDate",
    "primaryJobCode": "jobCode",
    "primaryProjectCode": "projectCode",
    "primaryWorkLocationCode": "workLocation",
}


def canonical_employee_number(value: Any) -> Any:
    """``123``, ``"123"``, ``"000123"`` → ``"123"``; other text trimmed; anything else as given
    (the model then refuses it by name)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return str(int(text))
        return text
    return value


def is_employment_record(record: Mapping[str, Any]) -> bool:
    """Whether ``record`` is spelled as employment-details (``employeeID``)."""
    return "employeeID" in record and "employeeId" not in record


def from_employment_details(record: Mapping[str, Any]) -> dict[str, Any]:
    """An ``EmpEmploymentDetails`` record in the change feed's names (``isActive`` derived from
    the status, which is what the feed's flag means)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        out[_EMPLOYMENT_TO_FEED.get(key, key)] = value
    if "isActive" not in out and isinstance(out.get("employeeStatus"), str):
        out["isActive"] = out["employeeStatus"] != "T"
    return out


def feed_shape(record: Any) -> Any:
    """Any published employee record in the feed's names (non-objects pass through)."""
    if isinstance(record, Mapping) and is_employment_record(record):
        return from_employment_details(record)
    return record
