"""Mapping-drift check for the pay-period and employee-sync DAGs: one call, report + Markdown.

Why a task-level wrapper around ``alignment.detect_drift``: both DAGs need the same three inputs
(the codes UKG uses, the mapping files, Visma's live SUBACCOUNT values) and the same outputs (a
report, Markdown for the task log / report folder, a logged warning). Neither DAG stops on it:
the pay-period DAG's validation refuses the lines that cannot post, naming them; the sync holds
the employees whose cost centre cannot post. The employee sync
calls it on every run with the snapshots it just read, so a cost centre created in UKG mid-month
is reported days before payday; the pay-period DAG calls it on the GL lines during validation,
reusing the SUBACCOUNT body it already fetched.

Usage::

    check = check_drift(employees=snapshots, visma=runtime.visma_hook())
    check.write(folder)             # mapping_drift.md next to the run's other reports
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ukg_visma.alignment import (
    DriftReport,
    codes_from_employees,
    codes_from_gl_lines,
    detect_drift,
    drift_markdown,
)
from ukg_visma.mappings import Mappings, load_mappings
from ukg_visma.settings import Settings, load_settings

__all__ = ["DIMENSION", "DriftCheck", "check_drift"]

log = logging.getLogger(__name__)
DIMENSION = "/v1/dimension/SUBACCOUNT"
REPORT_NAME = "mapping_drift.md"


@dataclass(frozen=True)
class DriftCheck:
    """The outcome of :func:`check_drift`: the report, its Markdown, and small helpers."""

    report: DriftReport
    markdown: str

    @property
    def ok(self) -> bool:
        return self.report.ok

    def summary(self) -> str:
        return self.report.summary()

    def as_xcom(self) -> dict[str, Any]:
        """Small and secret-free: fit for XCom and the audit run summary."""
        return {
            "ok": self.ok,
            "source": self.report.source,
            "checked_codes": self.report.checked_codes,
            "findings": [
                {"level": f.ukg_level, "code": f.code, "problem": f.problem, "seen": f.seen_count}
                for f in self.report.findings
            ],
        }

    def write(self, folder: Path, name: str = REPORT_NAME) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(self.markdown, encoding="utf-8")
        return path


def _rows(employees: pd.DataFrame | Iterable[Any]) -> pd.DataFrame | list[Mapping[str, Any]]:
    if isinstance(employees, pd.DataFrame):
        return employees
    return [e.model_dump() if hasattr(e, "model_dump") else dict(e) for e in employees]


def check_drift(
    *,
    gl_lines: pd.DataFrame | None = None,
    employees: pd.DataFrame | Iterable[Any] | None = None,
    visma: Any = None,
    visma_segments: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
    mapping: Mappings | None = None,
    source: str | None = None,
) -> DriftCheck:
    """Every org code in ``gl_lines`` (UKG GL export rows) *or* ``employees`` (UKG snapshots,
    dicts or ``EmployeeSnapshot``) must have a mapping row and an active Visma value.

    ``visma_segments`` is the body of ``GET /v1/dimension/SUBACCOUNT`` when the caller already
    has it (the pay DAG's catalog); otherwise it is read with ``visma`` (a ``VismaHook``).
    ``settings``/``mapping`` default to ``settings.yaml`` and the mapping files. Drift is logged
    as a warning; it does not raise.
    """
    if (gl_lines is None) == (employees is None):
        raise ValueError("check_drift needs exactly one of gl_lines or employees")
    settings = settings or load_settings()
    mapping = mapping or load_mappings(settings=settings)
    if visma_segments is None:
        if visma is None:
            raise ValueError("check_drift needs visma_segments or a Visma hook to read them")
        visma_segments = visma.get_json(DIMENSION)
    if gl_lines is not None:
        seen = codes_from_gl_lines(gl_lines, settings)
        source = source or "the UKG GL export"
    else:
        seen = codes_from_employees(_rows(employees), settings)  # type: ignore[arg-type]
        source = source or "the UKG employee snapshots"
    report = detect_drift(seen, mapping, visma_segments, settings=settings, source=source)
    if report.ok:
        log.info("%s", report.summary())
    else:
        log.warning("%s", report.summary())
    return DriftCheck(report=report, markdown=drift_markdown(report))
