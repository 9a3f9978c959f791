"""Employee-sync memory: last applied snapshot per employee, the polling watermark, pending changes.

- ``employee_state`` is what the diff compares against — UKG's feed is not time-stamped, so
  this *is* the change detection: "compare the results for an employee with the results from a
  previous call". Writes are guarded in SQL by when the snapshot was read (``seenAt``; UKG's
  ``dateTimeChanged`` hint where there is no ``seenAt``) so that a slow, older run can never
  overwrite a newer state that a later run already stored (two runs, or a retried task, may
  overlap).
- ``watermarks`` only move forward unless a caller explicitly rewinds (a backfill): advancing is an
  atomic conditional upsert, so concurrent runs cannot move it backwards either.
- ``rejected_employees`` hold UKG snapshots that could not be parsed (the quarantine): raw
  payload, findings, how many runs saw them broken; cleared when the employee parses again.
- ``pending_changes`` hold changes that could not be applied (mapping drift, Visma refusing), with
  the reason and how many runs failed on them, so that the next run retries them and an alarm can
  fire after N runs.

Snapshots are stored as UKG JSON (the ``employees.models.EmployeeSnapshot.to_json()`` form);
this module knows SQL, not UKG's semantics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, delete, select, update

from ukg_visma.audit.schema import employee_state, pending_changes, rejected_employees, watermarks
from ukg_visma.audit.store import upsert, utcnow

DEFAULT_WATERMARK = "employee_sync"
_CHUNK = 500


def _utc(value: dt.datetime | str | None) -> dt.datetime | None:
    """Store every time as UTC (SQLite drops offsets, so mixed offsets would compare wrongly)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("naive datetime: the audit store only takes timezone-aware times")
    return value.astimezone(dt.UTC)


def _read_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _snapshot_json(snapshot: Any) -> dict[str, Any]:
    if hasattr(snapshot, "to_json"):
        return snapshot.to_json()
    return dict(snapshot)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _delete_by_key(engine: Engine, key: Any, values: Iterable[str]) -> int:
    """Delete the rows whose ``key`` column is one of ``values``; returns rows removed."""
    removed = 0
    with engine.begin() as conn:
        for chunk in _chunks(list(dict.fromkeys(values))):
            removed += conn.execute(delete(key.table).where(key.in_(chunk))).rowcount
    return removed


# --- last known state -------------------------------------------------------------------------


def get_snapshots(
    engine: Engine, employee_ids: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Last applied snapshot per employee id (all employees when ``employee_ids`` is None)."""
    out: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        if employee_ids is None:
            rows = conn.execute(select(employee_state.c.employee_id, employee_state.c.snapshot))
            return {r.employee_id: r.snapshot for r in rows}
        for chunk in _chunks(list(dict.fromkeys(employee_ids))):
            rows = conn.execute(
                select(employee_state.c.employee_id, employee_state.c.snapshot).where(
                    employee_state.c.employee_id.in_(chunk)
                )
            )
            out.update({r.employee_id: r.snapshot for r in rows})
    return out


def put_snapshots(
    engine: Engine,
    snapshots: Iterable[Any],
    *,
    visma_employee_cds: Mapping[str, str] | None = None,
) -> int:
    """Store snapshots as the last applied state; an older read (``seenAt``) never wins.

    ``snapshots`` are UKG snapshot dicts (or models with ``to_json()``); ``visma_employee_cds``
    optionally records the Visma employee each one landed on. Returns rows written.
    """
    now = utcnow()
    cds = visma_employee_cds or {}
    rows = []
    for snap in snapshots:
        data = _snapshot_json(snap)
        rows.append(
            {
                "employee_id": data["employeeId"],
                "employee_number": data.get("employeeNumber"),
                "snapshot": data,
                "date_time_changed": _utc(data.get("seenAt") or data.get("dateTimeChanged")) or now,
                "visma_employee_cd": cds.get(data["employeeId"], data.get("employeeNumber")),
                "updated_at": now,
            }
        )
    if not rows:
        return 0
    stmt = upsert(
        engine,
        employee_state,
        ["employee_id"],
        replace=(
            "employee_number",
            "snapshot",
            "date_time_changed",
            "visma_employee_cd",
            "updated_at",
        ),
        where=lambda new: employee_state.c.date_time_changed <= new.date_time_changed,
    )
    written = 0
    with engine.begin() as conn:
        for row in rows:  # per row: rowcount tells whether the guard let it through
            written += conn.execute(stmt, row).rowcount
    return written


# --- watermark --------------------------------------------------------------------------------


def get_watermark(engine: Engine, name: str = DEFAULT_WATERMARK) -> dt.datetime | None:
    with engine.connect() as conn:
        value = conn.execute(
            select(watermarks.c.value).where(watermarks.c.name == name)
        ).scalar_one_or_none()
    return _read_utc(value)


def set_watermark(
    engine: Engine,
    value: dt.datetime,
    name: str = DEFAULT_WATERMARK,
    *,
    allow_backwards: bool = False,
) -> dt.datetime:
    """Move the watermark to ``value`` (forward only unless asked); returns the stored value."""
    row = {"name": name, "value": _utc(value), "updated_at": utcnow()}
    stmt = upsert(
        engine,
        watermarks,
        ["name"],
        replace=("value", "updated_at"),
        where=None if allow_backwards else lambda new: watermarks.c.value < new.value,
    )
    with engine.begin() as conn:
        conn.execute(stmt, row)
    stored = get_watermark(engine, name)
    assert stored is not None
    return stored


# --- pending changes --------------------------------------------------------------------------


def add_pending(engine: Engine, pending: Iterable[tuple[Any, str]]) -> int:
    """Hold ``(snapshot, reason)`` pairs for the next run; an existing entry gets the newer
    snapshot and reason but keeps ``first_seen`` and ``failed_runs``."""
    now = utcnow()
    rows = []
    for snap, reason in pending:
        data = _snapshot_json(snap)
        rows.append(
            {
                "employee_id": data["employeeId"],
                "snapshot": data,
                "reason": reason,
                "failed_runs": 0,
                "first_seen": now,
                "updated_at": now,
            }
        )
    if not rows:
        return 0
    stmt = upsert(
        engine, pending_changes, ["employee_id"], replace=("snapshot", "reason", "updated_at")
    )
    with engine.begin() as conn:
        conn.execute(stmt, rows)
    return len(rows)


def increment_failed_runs(engine: Engine, employee_ids: Iterable[str]) -> int:
    """Count one more failed run for each pending employee; returns rows touched."""
    touched = 0
    with engine.begin() as conn:
        for chunk in _chunks(list(dict.fromkeys(employee_ids))):
            touched += conn.execute(
                update(pending_changes)
                .where(pending_changes.c.employee_id.in_(chunk))
                .values(failed_runs=pending_changes.c.failed_runs + 1, updated_at=utcnow())
            ).rowcount
    return touched


def clear_pending(engine: Engine, employee_ids: Iterable[str]) -> int:
    """Forget pending entries that have now been applied."""
    return _delete_by_key(engine, pending_changes.c.employee_id, employee_ids)


def _rows_in_utc(engine: Engine, query: Any) -> list[dict[str, Any]]:
    """The query's rows as dicts, ``first_seen``/``updated_at`` read back as aware UTC."""
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        row["first_seen"] = _read_utc(row["first_seen"])
        row["updated_at"] = _read_utc(row["updated_at"])
    return rows


def list_pending(engine: Engine, *, min_failed_runs: int = 0) -> list[dict[str, Any]]:
    """Pending entries (oldest first), optionally only those failed at least N runs."""
    q = (
        select(pending_changes)
        .where(pending_changes.c.failed_runs >= min_failed_runs)
        .order_by(pending_changes.c.first_seen, pending_changes.c.employee_id)
    )
    return _rows_in_utc(engine, q)


def pending_over_threshold(engine: Engine, threshold: int) -> list[dict[str, Any]]:
    """Entries that failed ``threshold`` runs or more: the ones to alarm about."""
    return list_pending(engine, min_failed_runs=threshold)


# --- quarantine (snapshots that could not be parsed) -------------------------------------------


def put_rejections(engine: Engine, rejections: Iterable[Any], run_id: str) -> int:
    """Keep rejected snapshots (``employees.quarantine.Rejection``); a known one gets the newer
    payload and findings, one more failed run, and keeps ``first_seen``."""
    now = utcnow()
    rows = {
        r.key: {
            "rejection_key": r.key,
            "employee_id": r.employee_id,
            "employee_number": r.employee_number,
            "payload": dict(r.raw),
            "findings": [f.as_dict() for f in r.findings],
            "failed_runs": 1,
            "first_seen": now,
            "updated_at": now,
            "last_run": run_id,
        }
        for r in rejections
    }
    if not rows:
        return 0
    stmt = upsert(
        engine,
        rejected_employees,
        ["rejection_key"],
        replace=(
            "employee_id",
            "employee_number",
            "payload",
            "findings",
            "updated_at",
            "last_run",
        ),
        accumulate=("failed_runs",),
    )
    with engine.begin() as conn:
        conn.execute(stmt, list(rows.values()))
    return len(rows)


def list_rejections(engine: Engine) -> list[dict[str, Any]]:
    """The quarantine, oldest first."""
    q = select(rejected_employees).order_by(
        rejected_employees.c.first_seen, rejected_employees.c.rejection_key
    )
    return _rows_in_utc(engine, q)


def clear_rejections(engine: Engine, keys: Iterable[str]) -> int:
    """Release quarantined entries (their employee parses now)."""
    return _delete_by_key(engine, rejected_employees.c.rejection_key, keys)
