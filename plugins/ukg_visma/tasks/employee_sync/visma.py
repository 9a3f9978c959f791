"""Employee sync: the Visma calls for one employee, a department, and the employee mirror.

Why these rules:

- **Create at most once.** Visma has no idempotency key on ``POST /v1/employee``; a lost answer
  (connection dropped after commit, gateway timeout) raises ``ResponseLostError``. The employee is
  then read back by ``employeeCd`` before anything is sent again; an "already exists" refusal is
  also read back and turned into an update. So a retried task or a re-run never duplicates.
- **Update without lost updates.** Every change goes through ``VismaHook.update_employee`` (GET +
  ETag → ``mutator`` → PUT with ``If-Match``; 412 → re-read, re-apply): a finance user editing
  the same employee at the same moment keeps their edit, and only the differing fields are sent.
- **Never delete.** A termination sets ``Inactive``; a rehire sets the same employee ``Active``.
- **Calls grow with changes.** Whether Visma has an employee comes from the mirror
  (``audit.visma_employees``), refreshed by ``lastModifiedDateTime`` — not from a per-employee GET.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ukg_visma.audit import visma_employees as mirror
from ukg_visma.employees.diff import Change, ChangeKind
from ukg_visma.employees.visma_payload import (
    EMPLOYED_VISMA_STATUSES,
    create_body,
    department_body,
    mutator,
    target_status,
    visma_cost_centre,
)
from ukg_visma.hooks.exceptions import (
    ApiError,
    NotFoundError,
    ResponseLostError,
    TransientError,
    ValidationError,
)
from ukg_visma.hooks.visma import EMPLOYEES

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)

MIRROR_OVERLAP = dt.timedelta(seconds=5)
CREATE_ATTEMPTS = 3


@dataclass(frozen=True)
class Outcome:
    """What one change did in Visma: ``created``, ``updated``, ``unchanged``, ``absent``."""

    status: str
    note: str = ""
    visma: Mapping[str, Any] | None = None  # the employee as we left it (for the mirror)


@dataclass(frozen=True)
class EmployeeWriter:
    """Applies classified changes to Visma employees with the tenant's settings."""

    visma: VismaHook
    cc_mapping: Mapping[str, str] | None
    employee_class: str
    branch: str
    calendar: str

    def apply(self, change: Change, exists: bool) -> Outcome:
        """Bring Visma's employee ``change.employee_number`` in line with the change."""
        if not exists and change.visma_action == "deactivate_if_exists":
            return Outcome("absent", "never active since the sync started: nothing in Visma")
        if exists:
            try:
                return self._update(change)
            except NotFoundError:
                log.info("Visma employee %s vanished; creating it", change.employee_number)
        return self._create(change)

    def _update(self, change: Change) -> Outcome:
        sent = self.visma.update_employee(change.employee_number, mutator(change, self.cc_mapping))
        after = self._expected(change)
        if not sent:
            return Outcome("unchanged", "Visma already matched", after)
        return Outcome("updated", "fields: " + ", ".join(sorted(sent)), after)

    def _expected(self, change: Change) -> dict[str, Any]:
        snap = change.current
        return {
            "employeeNumber": snap.employeeNumber,
            "status": target_status(snap),
            "department": visma_cost_centre(snap, self.cc_mapping),
        }

    def _exists(self, change: Change) -> bool:
        try:
            self.visma.employee(change.employee_number)
        except NotFoundError:
            return False
        return True

    def _create(self, change: Change) -> Outcome:
        body = create_body(
            change.current,
            cc_mapping=self.cc_mapping,
            employee_class=self.employee_class,
            branch=self.branch,
            calendar=self.calendar,
        )
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                self.visma.create_employee(body)
                return Outcome("created", "", self._expected(change))
            except ResponseLostError:
                if self._exists(change):
                    return Outcome(
                        "created", "answer lost; found on read-back", self._expected(change)
                    )
                log.warning("POST employee %s: answer lost and not found on read-back "
                            "(attempt %d of %d)", change.employee_number, attempt,
                            CREATE_ATTEMPTS)  # fmt: skip
            except ApiError as exc:
                # "already exists" (a concurrent creator, or an earlier POST answered 5xx after
                # it committed) becomes an update; anything else is re-raised.
                maybe_there = isinstance(exc, ValidationError | TransientError) or (
                    exc.status is not None and exc.status >= 500
                )
                if not maybe_there or not self._exists(change):
                    raise
                return self._update(change)
        raise ResponseLostError(
            f"employee {change.employee_number}: {CREATE_ATTEMPTS} POSTs without an answer and "
            "not found on read-back",
            service="Visma.net",
            method="POST",
            path=EMPLOYEES,
        )


def ensure_departments(
    visma: VismaHook,
    wanted: Mapping[str, dict[str, Any]],
) -> dict[str, str]:
    """Create the Visma departments (one per cost centre) that changes need and Visma lacks.

    ``wanted``: department id → ``department_body`` kwargs. Returns ``{department id: error}``
    for those that could not be created (their changes stay pending). One GET, one POST each.
    """
    if not wanted:
        return {}
    have = {str(d.get("departmentId")) for d in visma.departments()}
    failed: dict[str, str] = {}
    for department_id, kwargs in sorted(wanted.items()):
        if department_id in have:
            continue
        try:
            visma.create_department(department_body(department_id, **kwargs))
            log.info("created Visma department %s for cost centre %s", department_id,
                     department_id)  # fmt: skip
        except (ResponseLostError, ValidationError) as exc:
            try:
                visma.department(department_id)
            except NotFoundError:
                failed[department_id] = f"Visma department {department_id} not created: {exc}"
    return failed


def refresh_mirror(visma: VismaHook, engine: Engine, *, full: bool = False) -> dict[str, Any]:
    """Fold Visma's employees changed since the last read into the mirror (all when ``full`` or
    never read). Returns how many were read and whether it was a full read."""
    cursor = None if full else mirror.get_cursor(engine)
    if cursor is None:
        read = list(visma.employees())
        mirror.replace_all(engine, read)
    else:
        since = mirror.filter_value(cursor, MIRROR_OVERLAP)
        read = list(visma.employees(modified_since=since))
        mirror.upsert(engine, read)
    newest = mirror.newest(read)
    if newest is not None:  # an empty Visma leaves no cursor: the next read is full (and cheap)
        mirror.set_cursor(engine, newest)
    return {"read": len(read), "full": cursor is None}


def short_error(exc: BaseException) -> str:
    """A one-line reason for the pending list and the audit (hook errors are secret-free)."""
    text = str(exc) if isinstance(exc, ApiError | ValueError) else type(exc).__name__
    return text.splitlines()[0][:500] if text else type(exc).__name__


def visma_difference(
    visma_row: Mapping[str, Any] | None, change: Change, cc_mapping: Mapping[str, str] | None
) -> str | None:
    """How Visma (as mirrored) differs from the change's snapshot, or ``None`` when it matches
    in what the sync owns: employed or not, and the department (cost centre)."""
    snap = change.current
    if snap.employeeStatus == "T":
        if visma_row is not None and visma_row.get("status") != "Inactive":
            return f"Visma shows {visma_row.get('status')}, UKG terminated"
        return None
    if visma_row is None:
        return "missing in Visma"
    if visma_row.get("status") not in EMPLOYED_VISMA_STATUSES:
        return f"Visma shows {visma_row.get('status')}, UKG employed"
    wanted = visma_cost_centre(snap, cc_mapping)
    if wanted is not None and visma_row.get("department") != wanted:
        return f"Visma department {visma_row.get('department')}, UKG cost centre {wanted}"
    return None


def repair(change: Change, why: str) -> Change:
    """A repeat (no-op) turned into an update because Visma differs (full resync)."""
    return Change(
        ChangeKind.UPDATE,
        change.current,
        change.previous,
        change.changed_fields,
        reason=f"full resync: {why}",
        superseded=change.superseded,
    )
