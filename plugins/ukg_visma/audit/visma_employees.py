"""A mirror of what Visma holds per employee: number, status, department (= cost centre).

Why keep one: the headcount check needs Visma's active employees per cost centre on every run, and
reading all of ``/v1/employee`` every three hours makes Visma calls grow with the workforce. Visma
filters the list by ``lastModifiedDateTime``, so each run reads only the employees changed since
the previous read and folds them in here; the full list is read only on the first run or a full
resync. Visma employees are never deleted through the API (termination = ``Inactive``), so
"changed since" is the whole delta.

The cursor is Visma's own ``lastModifiedDateTime`` text (its clock, its format), kept in the
``watermarks`` table under :data:`CURSOR` and only ever sent back to Visma — never compared with
our clock. This module knows SQL, not HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, delete, select

from ukg_visma.audit.schema import visma_employees, watermarks
from ukg_visma.audit.store import upsert as upsert_stmt
from ukg_visma.audit.store import utcnow

CURSOR = "visma_employee_mirror"
_CHUNK = 1000


def _row(employee: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The mirrored fields of a Visma ``EmployeeDto`` (read shape: flat ``employeeNumber``)."""
    number = employee.get("employeeNumber") or employee.get("employeeCd")
    if not number:
        raise ValueError("a Visma employee without employeeNumber cannot be mirrored")
    return {
        "employee_cd": str(number),
        "status": employee.get("status"),
        "department": employee.get("department"),
        "last_modified": employee.get("lastModifiedDateTime"),
        "refreshed_at": now,
    }


def upsert(engine: Engine, employees: Iterable[Mapping[str, Any]]) -> int:
    """Fold Visma employees (as read, or as just written) into the mirror; returns rows."""
    now = utcnow()
    rows = [_row(e, now) for e in employees]
    if not rows:
        return 0
    stmt = upsert_stmt(
        engine,
        visma_employees,
        ["employee_cd"],
        replace=("status", "department", "last_modified", "refreshed_at"),
    )
    with engine.begin() as conn:
        for start in range(0, len(rows), _CHUNK):
            conn.execute(stmt, rows[start : start + _CHUNK])
    return len(rows)


def replace_all(engine: Engine, employees: Iterable[Mapping[str, Any]]) -> int:
    """Make the mirror exactly ``employees`` (a full read of Visma's list)."""
    now = utcnow()
    rows = [_row(e, now) for e in employees]
    with engine.begin() as conn:
        conn.execute(delete(visma_employees))
        for start in range(0, len(rows), _CHUNK):
            conn.execute(visma_employees.insert(), rows[start : start + _CHUNK])
    return len(rows)


def employees(engine: Engine) -> list[dict[str, Any]]:
    """The mirror in the read shape ``headcount.headcount_diff`` takes (``employeeNumber``,
    ``status``, ``department``), sorted by number."""
    q = select(visma_employees).order_by(visma_employees.c.employee_cd)
    with engine.connect() as conn:
        return [
            {
                "employeeNumber": r.employee_cd,
                "status": r.status,
                "department": r.department,
                "lastModifiedDateTime": r.last_modified,
            }
            for r in conn.execute(q)
        ]


def numbers(engine: Engine) -> set[str]:
    """Every employee number Visma is known to have."""
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(select(visma_employees.c.employee_cd))}


def count(engine: Engine) -> int:
    return len(numbers(engine))


# --- cursor: Visma's clock, stored as an opaque timestamp ---------------------------------------


def get_cursor(engine: Engine) -> str | None:
    """The newest ``lastModifiedDateTime`` read so far, in Visma's format (``None``: never read)."""
    with engine.connect() as conn:
        value = conn.execute(
            select(watermarks.c.value).where(watermarks.c.name == CURSOR)
        ).scalar_one_or_none()
    if value is None:
        return None
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds")


def _parse_visma(text: str) -> dt.datetime:
    """Visma writes ``2026-11-20T10:00:00.123`` (no zone); a trailing ``Z`` or offset is dropped
    after conversion so that the cursor stays in the clock Visma filters by."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def newest(employees_read: Iterable[Mapping[str, Any]]) -> str | None:
    """The greatest ``lastModifiedDateTime`` among records read from Visma."""
    stamps = [
        _parse_visma(str(e["lastModifiedDateTime"]))
        for e in employees_read
        if e.get("lastModifiedDateTime")
    ]
    return max(stamps).isoformat(timespec="milliseconds") if stamps else None


def set_cursor(engine: Engine, visma_time: str, *, allow_backwards: bool = False) -> None:
    """Remember Visma's newest ``lastModifiedDateTime`` (forward only unless asked)."""
    from ukg_visma.audit.employees import set_watermark

    # Labelled UTC only so the watermarks table takes it; it is Visma's clock, sent back as is.
    value = _parse_visma(visma_time).replace(tzinfo=dt.UTC)
    set_watermark(engine, value, CURSOR, allow_backwards=allow_backwards)


def filter_value(cursor: str, overlap: dt.timedelta) -> str:
    """The ``lastModifiedDateTime`` to ask Visma for: the cursor minus a small overlap (a write
    stamped just before the cursor may commit just after the read)."""
    return (_parse_visma(cursor) - overlap).isoformat(timespec="milliseconds")
