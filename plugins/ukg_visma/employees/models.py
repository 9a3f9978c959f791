"""Pydantic models for what UKG sends about employees: full snapshots and thin webhook events.

Why two different strictness levels:

- ``EmployeeSnapshot`` comes from UKG's change feed and detail endpoints, which add fields over
  time. Unknown fields are kept (``extra="allow"``) so that a new UKG release does not stop the
  sync, but the fields the sync *decides on* are type-strict: a status outside ``A``/``L``/``T``,
  a number where a code belongs, or a naive time stamp (which would make out-of-order detection
  depend on the server's time zone) is a validation error, not a silent guess.
  UKG's change feed is **not time-stamped** (``EmployeeChangesResponse`` has no
  ``dateTimeChanged``): the sync stamps each snapshot with ``seenAt``, when *it* read it, and
  orders snapshots of one employee by that (``observed``). Employment-details' own
  ``dateTimeChanged`` is kept as a hint where present, never required.
- ``WebhookEvent`` arrives from the internet through an unauthenticated Airflow endpoint; after the
  signature check it is parsed with ``extra="forbid"`` and ``strict=True`` so that nothing the
  schema does not name reaches the inbox.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from ukg_visma.employees.ukg_records import canonical_employee_number, feed_shape
from ukg_visma.settings import EMPLOYEE_COST_CENTRE_LEVEL

EmployeeStatus = Literal["A", "L", "T"]

# Fields whose change moves an employee in the organisation (a "transfer").
ORG_FIELDS: tuple[str, ...] = (
    "orgLevel1Code",
    "orgLevel2Code",
    "orgLevel3Code",
    "orgLevel4Code",
    "jobCode",
)


def _iso_date(value: Any) -> Any:
    """Dates as UKG writes them: ``2026-05-31`` or a midnight timestamp ``2026-05-31T00:00:00Z``.

    Numbers are refused (pydantic's lax mode would read them as Unix timestamps).
    """
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if "T" in text:
                return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError("not an ISO date (YYYY-MM-DD)") from None
    raise ValueError("expected an ISO date string")


def _iso_datetime(value: Any) -> Any:
    """Timestamps only as ISO text (or datetimes): a bare number is not a UKG timestamp."""
    if isinstance(value, str | dt.datetime):
        return value
    raise ValueError("expected an ISO date-time string")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
IsoAwareDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]
Code = Annotated[str, Field(strict=True), StringConstraints(strip_whitespace=True, max_length=80)]


class EmployeeSnapshot(BaseModel):
    """One employee as UKG's change feed returns it (a full snapshot, not a diff).

    Field names are UKG's own (camelCase) so that a snapshot round-trips unchanged into the audit
    store and back. The feed's ``hireDate`` is read as ``originalHireDate`` and
    ``dateOfLastHire`` as ``lastHireDate`` (employment-details' names, which UKG also uses);
    ``employeeNumber`` (a JSON number in the feed, a string in employment-details) is read in one
    canonical form (``employees.ukg_records.canonical_employee_number``).
    """

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    employeeId: Annotated[str, Field(strict=True, min_length=1, max_length=80)]
    employeeNumber: Annotated[
        str,
        Field(strict=True),
        StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    ]
    companyId: Code | None = None
    firstName: Annotated[str, Field(strict=True)] | None = None
    lastName: Annotated[str, Field(strict=True)] | None = None
    employeeStatus: EmployeeStatus
    originalHireDate: IsoDate | None = None
    lastHireDate: IsoDate | None = None
    terminationDate: IsoDate | None = None
    orgLevel1Code: Code | None = None
    orgLevel2Code: Code | None = None
    orgLevel3Code: Code | None = None
    orgLevel4Code: Code | None = None
    jobCode: Code | None = None
    projectCode: Code | None = None
    payGroup: Code | None = None
    workLocation: Code | None = None
    isActive: Annotated[bool, Field(strict=True)] | None = None
    dateTimeChanged: IsoAwareDatetime | None = None  # employment-details only: a hint
    seenAt: IsoAwareDatetime | None = None  # when this sync read the snapshot from UKG

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        """UKG writes "" for an empty optional field and has two names for the last hire date."""
        if not isinstance(data, dict):
            return data
        out = {k: (None if v == "" and k in _OPTIONAL else v) for k, v in feed_shape(data).items()}
        for alias, name in (("dateOfLastHire", "lastHireDate"), ("hireDate", "originalHireDate")):
            value = out.pop(alias, None)
            if out.get(name) is None and value is not None:
                out[name] = value
        if "employeeNumber" in out:
            out["employeeNumber"] = canonical_employee_number(out["employeeNumber"])
        return out

    @property
    def observed(self) -> dt.datetime | None:
        """When this state was true: when the sync read it, else UKG's stamp (a hint)."""
        return self.seenAt or self.dateTimeChanged

    @property
    def cost_centre(self) -> str | None:
        """The UKG cost centre: org level ``EMPLOYEE_COST_CENTRE_LEVEL`` (3, docs/contracts.md
        §1); settings refuse a ``segments`` list that does not map it."""
        code: str | None = getattr(self, f"orgLevel{EMPLOYEE_COST_CENTRE_LEVEL}Code")
        return code

    @property
    def employed(self) -> bool:
        """Active or on leave: still on the payroll, so counted in the headcount."""
        return self.employeeStatus in ("A", "L")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data with UKG field names and extras, as the audit store keeps it."""
        return self.model_dump(mode="json", exclude_none=False)


COMPARED_FIELDS: tuple[str, ...] = tuple(
    name
    for name in EmployeeSnapshot.model_fields
    # Stamps are not facts about the employee; the feed has no pay group (employment-details
    # has): comparing it would make every feed read after a full load look like a change.
    if name not in ("dateTimeChanged", "seenAt", "payGroup")
)
_OPTIONAL = frozenset(
    name for name, field in EmployeeSnapshot.model_fields.items() if not field.is_required()
) | {"dateOfLastHire", "hireDate"}

EMPLOYEE_EVENT_TYPES = frozenset(
    {
        "EmployeeHireEvent",
        "EmployeeTerminationEvent",
        "EmployeeRehireEvent",
        "EmployeeJobChangeEvent",
        "EmployeeOrgLevelChangeEvent",
    }
)

_Id = Annotated[
    str, StringConstraints(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._:\-]+$")
]


class WebhookPayload(BaseModel):
    """The thin part of an event: which company and employee (or pay run) changed."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    CoId: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    EeId: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = None
    RunId: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = None


class WebhookEvent(BaseModel):
    """A UKG event notification, exactly as the signed body carries it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    EventId: _Id
    EventTime: AwareDatetime
    EventType: Annotated[
        str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z]+$")
    ]
    Operation: Literal["Insert", "Update", "Delete"]
    Payload: WebhookPayload
    Tenant: Annotated[str, StringConstraints(min_length=1, max_length=80)]

    @model_validator(mode="after")
    def _employee_events_name_an_employee(self) -> WebhookEvent:
        """An employee event without ``EeId`` cannot be followed up, so it is not accepted."""
        if self.EventType in EMPLOYEE_EVENT_TYPES and self.Payload.EeId is None:
            raise ValueError(f"{self.EventType} needs Payload.EeId")
        return self

    @property
    def is_employee_event(self) -> bool:
        return self.EventType.startswith("Employee")
