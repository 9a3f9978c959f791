"""Retention of personal data in the audit store (``docs/personal-data.md``).

``purge(engine, older_than_days)`` deletes what identifies employees and was last touched before
the cut-off. It never deletes work in progress or what exactly-once posting needs:

- employee audit rows (``records`` of the employee sync: change and webhook-event rows);
- processed inbox events (an unprocessed one is still work to do);
- webhook rejection rows (a source address per minute);
- quarantined snapshots nobody fixed in UKG within the period (the raw payload);
- the last applied state of employees **terminated** before the cut-off and unchanged since
  (the state of people still employed is what the next change is compared with).

Kept: ``pending_changes`` (work to do), the posting ledger and GL audit rows (bookkeeping; they
hold amounts and codes, employee numbers only on detail-level exports), the Visma mirror
(status and department per employee number, refreshed from Visma).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, and_, delete, select

from ukg_visma.audit.schema import (
    employee_state,
    inbox,
    records,
    rejected_employees,
    webhook_rejections,
)
from ukg_visma.audit.store import utcnow

EMPLOYEE_FLOW = "employee_sync"


def cutoff(older_than_days: int, now: dt.datetime | None = None) -> dt.datetime:
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    return (now or utcnow()) - dt.timedelta(days=older_than_days)


def purge(
    engine: Engine, older_than_days: int, *, now: dt.datetime | None = None, dry_run: bool = False
) -> dict[str, int]:
    """Delete personal data older than the cut-off; returns rows (to be) deleted per table."""
    limit = cutoff(older_than_days, now)
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        terminated = [
            row.employee_id
            for row in conn.execute(
                select(employee_state.c.employee_id, employee_state.c.snapshot).where(
                    employee_state.c.updated_at < limit
                )
            )
            if (row.snapshot or {}).get("employeeStatus") == "T"
        ]
        statements = {
            "records": delete(records).where(
                and_(records.c.flow == EMPLOYEE_FLOW, records.c.updated_at < limit)
            ),
            "inbox": delete(inbox).where(
                and_(inbox.c.status == "processed", inbox.c.received_at < limit)
            ),
            "webhook_rejections": delete(webhook_rejections).where(
                webhook_rejections.c.received_at < limit
            ),
            "rejected_employees": delete(rejected_employees).where(
                rejected_employees.c.updated_at < limit
            ),
            "employee_state": delete(employee_state).where(
                employee_state.c.employee_id.in_(terminated)
            ),
        }
        for table, stmt in statements.items():
            if dry_run:
                where = stmt.whereclause
                if where is None:  # each statement above has one: never count a whole table
                    raise AssertionError(f"retention of {table} without a where clause")
                counts[table] = len(conn.execute(select(stmt.table).where(where)).fetchall())
            else:
                counts[table] = conn.execute(stmt).rowcount
    return counts
