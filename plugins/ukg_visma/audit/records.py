"""Runs and per-record audit rows, shared by every flow.

A record row answers a controller's question "where did this come from, what did it become, and
did it land?" for one source record (a GL line, an employee change, a webhook event). Writes are
upserts keyed by (run, kind, source key), so a task retry updates its rows instead of doubling them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, insert, select, update

from ukg_visma.audit.schema import records, runs
from ukg_visma.audit.store import upsert, utcnow

if TYPE_CHECKING:
    from ukg_visma.employees.diff import Change

_FORBIDDEN_DETAIL_KEYS = {"token", "access_token", "password", "client_secret", "secret", "api_key"}


def _clean(detail: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Audit rows never hold secrets, whatever a caller passes."""
    if detail is None:
        return None
    return {k: v for k, v in detail.items() if k.lower() not in _FORBIDDEN_DETAIL_KEYS}


def start_run(
    engine: Engine,
    run_id: str,
    flow: str,
    period: str | None = None,
    company: str | None = None,
) -> None:
    now = utcnow()
    with engine.begin() as conn:
        existing = conn.execute(select(runs.c.run_id).where(runs.c.run_id == run_id)).first()
        if existing:
            conn.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(status="running", finished_at=None)
            )
        else:
            conn.execute(
                insert(runs).values(
                    run_id=run_id,
                    flow=flow,
                    period=period,
                    company=company,
                    started_at=now,
                    status="running",
                )
            )


# Every status a run row can end with (``runs.status``; the column must hold the longest).
RUN_STATUSES = frozenset({"running", "success", "success_with_quarantine", "rejected", "failed"})


def finish_run(engine: Engine, run_id: str, status: str, summary: Mapping[str, Any]) -> None:
    if status not in RUN_STATUSES:  # a status the schema was not sized for is a program error
        raise ValueError(f"run status {status!r} is not one of {sorted(RUN_STATUSES)}")
    with engine.begin() as conn:
        conn.execute(
            update(runs)
            .where(runs.c.run_id == run_id)
            .values(status=status, finished_at=utcnow(), summary=_clean(summary))
        )


def upsert_records(
    engine: Engine,
    run_id: str,
    flow: str,
    source_kind: str,
    rows: Iterable[Mapping[str, Any]],
) -> int:
    """Insert or update record rows; each row has ``source_key`` and any of the other columns.

    ``attempts`` is incremented on every upsert of an existing row, so a replayed record shows how
    many times it was tried.
    """
    now = utcnow()
    payload = (
        {
            "run_id": run_id,
            "flow": flow,
            "source_kind": source_kind,
            "source_key": r["source_key"],
            "source_hash": r.get("source_hash"),
            "target_kind": r.get("target_kind"),
            "target_key": r.get("target_key"),
            "status": r["status"],
            "error": r.get("error"),
            "attempts": 1,
            "detail": _clean(r.get("detail")),
            "created_at": now,
            "updated_at": now,
        }
        for r in rows
    )
    # Built and sent one chunk at a time, in one transaction: a 500k-line GL export would
    # otherwise hold every row's dict at once (~1 GB more peak RSS in bench.gl_export_scale).
    chunk = list(islice(payload, _CHUNK))
    if not chunk:
        return 0
    stmt = upsert(
        engine,
        records,
        ["run_id", "source_kind", "source_key"],
        replace=(
            "source_hash",
            "target_kind",
            "target_key",
            "status",
            "error",
            "detail",
            "updated_at",
        ),
        accumulate=("attempts",),
    )
    count = 0
    with engine.begin() as conn:
        while chunk:
            conn.execute(stmt, chunk)
            count += len(chunk)
            chunk = list(islice(payload, _CHUNK))
    return count


_CHUNK = 5000  # rows per executemany


# Statuses whose note is the row's error (why the change did not land, or was ignored).
_NOTE_IS_ERROR = frozenset({"pending", "failed", "ignored"})


def _seen(moment: Any) -> str:
    return moment.isoformat() if moment is not None else "-"


def change_row(change: Change, status: str, note: str | None = None) -> dict[str, Any]:
    """The record row of one employee change, for every step of the employee sync.

    Keys: ``<employeeId>@<seen ISO>`` (when the sync read it; one row per snapshot, so a later
    change of the same employee is a row of its own) and ``employee <employeeNumber>`` (what
    Visma calls it).
    ``note`` goes into the detail, and is the error when ``status`` is pending, failed or ignored.
    """
    cur = change.current
    detail: dict[str, Any] = {**change.audit_detail(), "visma_action": change.visma_action}
    if note is not None:
        detail["note"] = note
    return {
        "source_key": f"{cur.employeeId}@{_seen(cur.observed)}",
        "target_kind": "employee",
        "target_key": f"employee {cur.employeeNumber}",
        "status": status,
        "error": note if status in _NOTE_IS_ERROR else None,
        "detail": detail,
    }


def set_status(
    engine: Engine,
    run_id: str,
    source_kind: str,
    source_keys: Iterable[str],
    status: str,
    *,
    target_kind: str | None = None,
    target_key: str | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "error": error, "updated_at": utcnow()}
    if target_kind is not None:
        values["target_kind"] = target_kind
    if target_key is not None:
        values["target_key"] = target_key
    with engine.begin() as conn:
        _set(conn, run_id, source_kind, list(source_keys), values)


def set_targets(
    engine: Engine,
    run_id: str,
    source_kind: str,
    targets: Iterable[tuple[str, Sequence[str]]],
    status: str,
    *,
    target_kind: str,
) -> None:
    """``set_status`` for many targets (``(target_key, source_keys)``) in one transaction:
    reconcile points every GL line at its batch line — one commit per journal line cost
    seconds at 490k lines (bench/RESULTS.md §2b)."""
    now = utcnow()
    with engine.begin() as conn:
        for target_key, keys in targets:
            values = {"status": status, "error": None, "updated_at": now,
                      "target_kind": target_kind, "target_key": target_key}  # fmt: skip
            _set(conn, run_id, source_kind, list(keys), values)


def _set(
    conn: Connection, run_id: str, source_kind: str, keys: list[str], values: dict[str, Any]
) -> None:
    for start in range(0, len(keys), 500):
        conn.execute(
            update(records)
            .where(
                and_(
                    records.c.run_id == run_id,
                    records.c.source_kind == source_kind,
                    records.c.source_key.in_(keys[start : start + 500]),
                )
            )
            .values(**values)
        )


def fetch_records(
    engine: Engine, *, run_id: str | None = None, source_kind: str | None = None
) -> list[dict[str, Any]]:
    q = select(records)
    if run_id is not None:
        q = q.where(records.c.run_id == run_id)
    if source_kind is not None:
        q = q.where(records.c.source_kind == source_kind)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(records.c.id))]
