"""Visma.net ``/v1/employee`` bodies for a classified UKG change.

Field names follow Visma's public OpenAPI (``EmployeeCreateDTO`` for ``POST /v1/employee``,
``EmployeeUpdateDto`` for ``PUT /v1/employee/{employeeCd}``, ``EmployeeDto`` for reads): write
bodies wrap scalars as ``{"value": x}``, reads are flat.

**Where the cost centre lives.** Visma's employee DTOs have no cost-centre or subaccount field;
the one organisational field that is both writable and readable back is ``department``. This
project therefore stores the employee's *Visma cost-centre value* (UKG ``orgLevel3Code`` through
the cost-centre mapping, e.g. ``110``) in the Visma employee's ``department``. The Visma
departments mirror the cost centres one to one (``departmentId`` = cost-centre value), and each
such department carries the SUBACCOUNT dimension values in its ``expenseSubaccount`` (segment 1
department ``10``, segment 2 cost centre ``110``; ``DepartmentUpdateBaseDto`` of
``POST /v1/department``, see ``department_body``). Headcount per cost centre in Visma is then
"active employees grouped by ``department``", and the dimension values a report needs are one
lookup away.

**Identity.** Visma's ``employeeCd`` (read back as ``employeeNumber``) is UKG's ``employeeNumber``;
UKG's GUID ``employeeId`` is kept in the audit store's ``employee_state``.

**Status.** UKG ``T`` → ``Inactive`` (never deleted: postings and history keep pointing at the
employee); ``A`` and ``L`` → ``Active`` when Visma shows ``Inactive``; a finance-set ``OnHold`` /
``HoldPayments`` on an employed person is left alone (it is an accounts-payable decision).

``apply_change`` is what ``VismaHook.update_employee(employee_cd, mutate)`` calls with the
freshly read employee; after a 412 the hook re-reads and calls it again, so it is a pure
function of that body and only names the fields that differ — a concurrent writer's change to
other fields survives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from ukg_visma.employees.diff import Change
from ukg_visma.employees.models import EmployeeSnapshot
from ukg_visma.errors import NotRetryable

VismaStatus = Literal["Active", "Inactive"]
EMPLOYED_VISMA_STATUSES = frozenset({"Active", "OnHold", "HoldPayments", "OneTime"})


class UnmappedCostCentre(NotRetryable, ValueError):
    """The employee's UKG cost centre has no Visma value: mapping drift, keep the change pending."""

    def __init__(self, employee_number: str, code: str | None) -> None:
        self.employee_number = employee_number
        self.code = code
        what = f"UKG cost centre {code!r} has no Visma mapping" if code else "no UKG cost centre"
        super().__init__(f"employee {employee_number}: {what}")


class MissingEmail(NotRetryable, ValueError):
    """UKG has no e-mail for the employee and Visma's create requires ``contact.email``."""

    RULE = "Visma's POST /v1/employee requires contact.email; UKG has no emailAddress"

    def __init__(self, employee_number: str) -> None:
        self.employee_number = employee_number
        super().__init__(f"employee {employee_number}: {self.RULE}")


def missing_email(snapshot: EmployeeSnapshot) -> bool:
    """Whether creating this employee in Visma would be refused for want of an e-mail."""
    return snapshot.employeeStatus != "T" and _email(snapshot) is None


def _v(value: object) -> dict[str, object]:
    return {"value": value}


def target_status(snapshot: EmployeeSnapshot) -> VismaStatus:
    return "Inactive" if snapshot.employeeStatus == "T" else "Active"


def visma_cost_centre(
    snapshot: EmployeeSnapshot, cc_mapping: Mapping[str, str] | None = None
) -> str | None:
    """The Visma cost-centre value for the snapshot; ``None`` when missing or unmapped.

    ``cc_mapping`` maps UKG ``orgLevel3Code`` → Visma cost-centre value; ``None`` means the codes
    are the same on both sides (the scenario's case).
    """
    code = snapshot.cost_centre
    if code is None:
        return None
    return code if cc_mapping is None else cc_mapping.get(code)


def unmapped_changes(
    changes: Iterable[Change], cc_mapping: Mapping[str, str] | None
) -> list[Change]:
    """Changes that would need a cost centre Visma does not know (reported as mapping drift).

    Terminations are never held back: deactivating needs no cost centre.
    """
    return [
        c
        for c in changes
        if c.applies
        and c.current.employeeStatus != "T"
        and visma_cost_centre(c.current, cc_mapping) is None
    ]


def _email(snapshot: EmployeeSnapshot) -> str | None:
    extra = snapshot.model_extra or {}
    value = extra.get("emailAddress") or extra.get("email")
    return value if isinstance(value, str) and value else None


def create_body(
    snapshot: EmployeeSnapshot,
    *,
    cc_mapping: Mapping[str, str] | None = None,
    employee_class: str | None = None,
    branch: str | None = None,
    calendar: str | None = None,
) -> dict[str, Any]:
    """``EmployeeCreateDTO`` for ``POST /v1/employee``.

    Visma marks ``contact.lastName`` and ``contact.email`` required: the e-mail is UKG's
    ``emailAddress`` (feed or person-details). A snapshot without one never gets here — the
    sync quarantines it first (``missing_email``); ``MissingEmail`` is the guard.
    ``employeeClass``, ``branch`` and ``calendar`` are tenant settings, sent when given.
    """
    department = visma_cost_centre(snapshot, cc_mapping)
    if department is None and snapshot.employeeStatus != "T":
        raise UnmappedCostCentre(snapshot.employeeNumber, snapshot.cost_centre)
    contact: dict[str, Any] = {"lastName": _v(snapshot.lastName or snapshot.employeeNumber)}
    if snapshot.firstName:
        contact["firstName"] = _v(snapshot.firstName)
    email = _email(snapshot)
    if email is None:
        raise MissingEmail(snapshot.employeeNumber)
    contact["email"] = _v(email)
    body: dict[str, Any] = {
        "employeeCd": _v(snapshot.employeeNumber),
        "status": _v(target_status(snapshot)),
        "contact": contact,
    }
    if department is not None:
        body["department"] = _v(department)
    for key, value in (
        ("employeeClass", employee_class),
        ("branch", branch),
        ("calendar", calendar),
    ):
        if value is not None:
            body[key] = _v(value)
    return body


def apply_change(
    visma_employee: Mapping[str, Any],
    change: Change,
    *,
    cc_mapping: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``EmployeeUpdateDto`` that brings the Visma employee in line with ``change.current``.

    Only differing fields are named; ``{}`` means Visma already matches, or the change is a
    no-op/stale one (skip the PUT).
    Raises ``UnmappedCostCentre`` for an employed person whose cost centre Visma cannot hold.
    """
    if not change.applies:
        return {}
    snap = change.current
    body: dict[str, Any] = {}

    current_status = visma_employee.get("status")
    if snap.employeeStatus == "T":
        if current_status != "Inactive":
            body["status"] = _v("Inactive")
    elif current_status not in EMPLOYED_VISMA_STATUSES:
        body["status"] = _v("Active")

    department = visma_cost_centre(snap, cc_mapping)
    if department is None and snap.employeeStatus != "T":
        raise UnmappedCostCentre(snap.employeeNumber, snap.cost_centre)
    if department is not None and visma_employee.get("department") != department:
        body["department"] = _v(department)

    contact = visma_employee.get("contact") or {}
    names: dict[str, Any] = {}
    for key in ("firstName", "lastName"):
        wanted = getattr(snap, key)
        if wanted and contact.get(key) != wanted:
            names[key] = _v(wanted)
    if names:
        body["contact"] = names
    if body and "contact" not in body:
        # EmployeeUpdateDto marks contact required: send the name Visma already holds.
        last = contact.get("lastName") or snap.lastName or snap.employeeNumber
        body["contact"] = {"lastName": _v(last)}
    return body


def department_body(
    cost_centre: str,
    department: str,
    description: str,
    *,
    department_segment_id: int = 1,
    cost_centre_segment_id: int = 2,
) -> dict[str, Any]:
    """``DepartmentUpdateBaseDto`` for ``POST /v1/department``: one Visma department per cost
    centre, its expense subaccount naming the SUBACCOUNT department and cost-centre values."""
    return {
        "departmentId": cost_centre,
        "description": _v(description),
        "expenseSubaccount": [
            {"segmentId": department_segment_id, "segmentValue": department},
            {"segmentId": cost_centre_segment_id, "segmentValue": cost_centre},
        ],
    }


def mutator(
    change: Change, cc_mapping: Mapping[str, str] | None = None
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``apply_change`` bound to one change, in the one-argument form
    ``VismaHook.update_employee`` takes."""

    def mutate(visma_employee: dict[str, Any]) -> dict[str, Any]:
        return apply_change(visma_employee, change, cc_mapping=cc_mapping)

    return mutate


def needs_update(
    visma_employee: Mapping[str, Any],
    change: Change,
    *,
    cc_mapping: Mapping[str, str] | None = None,
) -> bool:
    """Whether a PUT is needed at all (calls to Visma grow with changes, not with employees)."""
    return bool(apply_change(visma_employee, change, cc_mapping=cc_mapping))
