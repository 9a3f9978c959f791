"""The employee sync's three steps, as the DAG ``ukg_visma_employee_sync`` calls them.

- :func:`extract_changes` (UKG): inbox + change feed (or the full lists) → queue of changes;
  see ``employee_extract``.
- :func:`apply_changes` (Visma): mirror refresh, drift hold, departments, batched create/update
  with If-Match, watermark; see ``employee_apply`` and ``employee_visma``.
- :func:`check_headcount` (both): headcount per cost centre, the pending-changes alarm and the
  run report; see ``employee_verify``.

The queue (``pending_changes``) and the known state live in the audit store, so a step can be
retried alone and XCom carries only small summaries. :func:`run_sync` runs the three in one
process (tests, the CLI demo).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ukg_visma.tasks.employee_context import (
    FLOW,
    HeadcountMismatchError,
    PendingChangesAlarm,
    SyncContext,
    sync_context,
)

__all__ = [
    "FLOW",
    "HeadcountMismatchError",
    "PendingChangesAlarm",
    "SyncContext",
    "apply_changes",
    "check_headcount",
    "extract_changes",
    "run_sync",
    "sync_context",
]


def _settings() -> Any:
    from ukg_visma.settings import load_settings

    return load_settings()


def _mappings(settings: Any) -> Any:
    from ukg_visma.mappings import load_mappings

    return load_mappings(settings=settings)


def extract_changes(
    ukg: Any, engine: Any, ctx: SyncContext, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    from ukg_visma.tasks.employee_extract import extract

    return extract(ukg, engine, ctx, _settings(), now=now)


def apply_changes(
    visma: Any, engine: Any, ctx: SyncContext, extracted: dict[str, Any]
) -> dict[str, Any]:
    from ukg_visma.tasks.employee_apply import apply

    settings = _settings()
    return apply(visma, engine, ctx, settings, _mappings(settings), extracted)


def check_headcount(
    ukg: Any,
    visma: Any,
    engine: Any,
    ctx: SyncContext,
    extracted: dict[str, Any],
    applied: dict[str, Any],
) -> dict[str, Any]:
    from ukg_visma.tasks.employee_verify import verify

    settings = _settings()
    return verify(ukg, visma, engine, ctx, settings, _mappings(settings), extracted, applied)


def run_sync(ctx: SyncContext, *, ukg: Any = None, visma: Any = None, engine: Any = None) -> dict:
    """extract → apply → headcount in this process, with fresh hooks unless given."""
    from ukg_visma.audit.store import get_engine
    from ukg_visma.hooks import UkgHook, VismaHook

    ukg = ukg or UkgHook()
    visma = visma or VismaHook()
    engine = engine or get_engine()
    extracted = extract_changes(ukg, engine, ctx)
    applied = apply_changes(visma, engine, ctx, extracted)
    checked = check_headcount(ukg, visma, engine, ctx, extracted, applied)
    return {"extracted": extracted, "applied": applied, "checked": checked}
