"""What Visma allows a journal to use: accounts, segment values, projects, financial periods.

Built from the plain JSON the Visma API returns (field names of the Visma.net OpenAPI DTOs), so
the hook only fetches and this module only reads. Field spellings differ between the API notes
and the OpenAPI document (``projectID``/``projectId``, ``periodId``/``period``); both are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CatalogAccount",
    "CatalogPeriod",
    "CatalogProject",
    "CatalogSegment",
    "CatalogTask",
    "SegmentValue",
    "VismaCatalog",
]

OPEN_STATUSES = frozenset({"active", "open"})
# a task still being planned takes postings (as in the Acumatica engine); a project does not
OPEN_TASK_STATUSES = OPEN_STATUSES | {"inplanning"}


def _first(item: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if name in item and item[name] is not None:
            value = item[name]
            return value.get("value") if isinstance(value, Mapping) else value
    return default


def _str(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _is_open(
    status: str, *, missing_is_open: bool, allowed: frozenset[str] = OPEN_STATUSES
) -> bool:
    text = status.replace(" ", "").lower()
    return (missing_is_open and not text) or text in allowed


@dataclass(frozen=True)
class CatalogAccount:
    account_cd: str
    description: str = ""
    type: str = ""
    active: bool = True
    control_module: str = ""  # AR/AP/… : a sub-ledger's control account
    allow_manual_entry: bool | None = None
    currency: str = ""


@dataclass(frozen=True)
class SegmentValue:
    value: str
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class CatalogSegment:
    segment_id: int
    description: str = ""
    length: int | None = None
    validate: bool = True  # False: Visma accepts values that are not in the list
    values: Mapping[str, SegmentValue] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogTask:
    task_id: str
    description: str = ""
    status: str = ""

    @property
    def open(self) -> bool:
        return _is_open(self.status, missing_is_open=True, allowed=OPEN_TASK_STATUSES)


@dataclass(frozen=True)
class CatalogProject:
    project_id: str
    description: str = ""
    status: str = ""
    hold: bool = False
    tasks: Mapping[str, CatalogTask] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return not self.hold and _is_open(self.status, missing_is_open=False)


@dataclass(frozen=True)
class CatalogPeriod:
    period_id: str  # "202610"
    active: bool = True
    closed_in_gl: bool = False
    description: str = ""

    @property
    def open(self) -> bool:
        return self.active and not self.closed_in_gl


def next_open_period(periods: Mapping[str, CatalogPeriod], after: str) -> str | None:
    """The first open financial period after ``after`` (``YYYYPP``), or None."""
    return next((pid for pid in sorted(periods) if pid > after and periods[pid].open), None)


@dataclass(frozen=True)
class VismaCatalog:
    accounts: Mapping[str, CatalogAccount]
    segments: Mapping[int, CatalogSegment]
    projects: Mapping[str, CatalogProject]
    periods: Mapping[str, CatalogPeriod]

    @classmethod
    def from_api(
        cls,
        *,
        accounts: Iterable[Mapping[str, Any]],
        dimension: Mapping[str, Any] | Iterable[Mapping[str, Any]],
        projects: Iterable[Mapping[str, Any]],
        periods: Iterable[Mapping[str, Any]],
    ) -> VismaCatalog:
        """``accounts``: ``GET /v1/account``; ``dimension``: ``GET /v1/dimension/SUBACCOUNT``
        (also accepted: ``{"SUBACCOUNT": {...}}`` or a list of segments from
        ``GET /v1/dimension/SUBACCOUNT/{id}``); ``projects``: ``GET /v1/project``; ``periods``:
        ``GET /v1/financialPeriod``."""
        return cls(
            accounts=_accounts(accounts),
            segments=_segments(dimension),
            projects=_projects(projects),
            periods=_periods(periods),
        )


def _accounts(items: Iterable[Mapping[str, Any]]) -> dict[str, CatalogAccount]:
    out = {}
    for a in items:
        cd = _str(_first(a, "accountCD", "accountCd", "accountNumber"))
        if not cd:
            continue
        manual = _first(a, "allowManualEntry")
        out[cd] = CatalogAccount(
            account_cd=cd,
            description=_str(_first(a, "description")),
            type=_str(_first(a, "type")),
            active=bool(_first(a, "active", default=True)),
            control_module=_str(_first(a, "controlAccountModule")),
            allow_manual_entry=None if manual is None else bool(manual),
            currency=_str(_first(a, "currency", "currencyId")),
        )
    return out


def _segments(
    dimension: Mapping[str, Any] | Iterable[Mapping[str, Any]],
) -> dict[int, CatalogSegment]:
    if isinstance(dimension, Mapping):
        if "segments" not in dimension and "SUBACCOUNT" in dimension:
            dimension = dimension["SUBACCOUNT"]
        segments = dimension.get("segments") or []  # type: ignore[union-attr]
    else:
        segments = list(dimension)
    out = {}
    for s in segments:
        sid = int(_first(s, "segmentId", "id"))
        values = {}
        for v in s.get("segmentValues") or []:
            value = _str(_first(v, "valueId", "value", "segmentValue"))
            values[value] = SegmentValue(
                value,
                _str(_first(v, "description")),
                bool(_first(v, "active", default=True)),
            )
        length = _first(s, "length")
        out[sid] = CatalogSegment(
            segment_id=sid,
            description=_str(_first(s, "description", "segmentDescription")),
            length=int(length) if length not in (None, "") else None,
            validate=bool(_first(s, "validate", default=True)),
            values=values,
        )
    return out


def _projects(items: Iterable[Mapping[str, Any]]) -> dict[str, CatalogProject]:
    out = {}
    for p in items:
        pid = _str(_first(p, "projectID", "projectId", "projectCd", "id"))
        if not pid:
            continue
        tasks = {}
        for t in p.get("tasks") or []:
            tid = _str(_first(t, "taskId", "taskID", "taskCd", "id"))
            tasks[tid] = CatalogTask(tid, _str(_first(t, "description")), _str(_first(t, "status")))
        out[pid] = CatalogProject(
            project_id=pid,
            description=_str(_first(p, "description")),
            status=_str(_first(p, "status")),
            hold=bool(_first(p, "hold", default=False)),
            tasks=tasks,
        )
    return out


def periods_from_api(items: Iterable[Mapping[str, Any]]) -> dict[str, CatalogPeriod]:
    """``GET /v1/financialPeriod`` → periods by id (``202610``)."""
    return _periods(items)


def _periods(items: Iterable[Mapping[str, Any]]) -> dict[str, CatalogPeriod]:
    out = {}
    for p in items:
        pid = _str(_first(p, "periodId", "period", "financialPeriod"))
        if not pid:
            continue
        out[pid] = CatalogPeriod(
            period_id=pid,
            active=bool(_first(p, "active", default=True)),
            closed_in_gl=bool(_first(p, "closedInGeneralLedger", default=False)),
            description=_str(_first(p, "description")),
        )
    return out
