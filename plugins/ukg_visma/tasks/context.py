"""Who is running: what every task body knows of its DAG run (light: no pandas, no HTTP).

The three flows each have a run type — ``payroll.run.PayrollRun`` (a pay period),
``employee_sync.context.SyncContext`` (a day) and ``alignment.steps.AlignmentRun`` (no period) —
and all three are a :class:`RunContext`: the staging files, the report folder
(``tasks.reports``) and the audit run id are named from these fields alone.
"""

from __future__ import annotations

from typing import Protocol

from ukg_visma.run_folders import path_part

__all__ = ["RunContext", "path_part"]


class RunContext(Protocol):
    """One DAG run of one flow, as the staging files, reports and audit rows name it."""

    @property
    def run_key(self) -> str:
        """Airflow's run id: names the staging folder and the report folder."""
        ...

    @property
    def flow(self) -> str:
        """``payroll_gl``, ``employee_sync`` or ``alignment`` (the audit's ``flow`` column)."""
        ...

    @property
    def scope(self) -> str:
        """What the run is about — a pay period (``2026-10``), a day — or ``""`` for none."""
        ...

    @property
    def audit_run_id(self) -> str:
        """The audit store's run id: ``flow:scope:run_key`` (``flow:run_key`` without scope)."""
        ...
