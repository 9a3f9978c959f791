"""Mapping-drift check for the pay-period and employee-sync DAGs: one call, report + Markdown.

Why a task-level wrapper around ``alignment.detect_drift``: both DAGs need the same three inputs
(the codes UKG uses, the mapping files, Visma's live SUBACCOUNT values) and the same outputs (a
report, Markdown for the report folder, a warning in the task log). Neither stops on drift: the
pay DAG's validation fails on the unmapped lines themselves, the sync holds the affected changes.
The employee sync calls it on every run with the snapshots it just read, so a cost centre created
in UKG mid-month is reported days before payday; the pay-period DAG calls it on the GL lines
during validation, reusing the SUBACCOUNT body it already fetched.

Usage::

    check = check_drift(employees=snapshots, visma=runtime.visma_hook())
    write_report(settings, ctx, "mapping_drift", markdown=check.markdown)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from ukg_visma.hooks.visma import VismaHook

__all__ = ["DriftCheck", "check_drift"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DriftCheck:
    """The outcome of :func:`check_drift`: the report, its Markdown, and small helpers."""

    report: DriftReport
    markdown: str

    @property
    def ok(self) -> bool:
        return self.report.ok

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


def _rows(employees: pd.DataFrame | Iterable[Any]) -> pd.DataFrame | list[Mapping[str, Any]]:
    if isinstance(employees, pd.DataFrame):
        return employees
    items: Iterable[Any] = employees
    return [e.model_dump() if hasattr(e, "model_dump") else dict(e) for e in items]


def check_drift(
    *,
    gl_lines: pd.DataFrame | None = None,
    gl_codes: pd.DataFrame | None = None,
    employees: pd.DataFrame | Iterable[Any] | None = None,
    visma: VismaHook | None = None,
    visma_segments: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
    mapping: Mappings | None = None,
    source: str | None = None,
) -> DriftCheck:
    """Every org code in ``gl_lines`` (UKG GL export rows) *or* ``employees`` (UKG snapshots,
    dicts or ``EmployeeSnapshot``) must have a mapping row and an active Visma value.

    ``visma_segments`` is the body of ``VismaHook.subaccount_dimension()`` when the caller already
    has it (the pay DAG's catalog); otherwise it is read with ``visma`` (a ``VismaHook``).
    ``settings``/``mapping`` default to ``settings.yaml`` and the mapping files. Drift is logged
    as a warning; it does not raise.
    """
    if sum(x is not None for x in (gl_lines, gl_codes, employees)) != 1:
        raise ValueError("check_drift needs exactly one of gl_lines, gl_codes or employees")
    settings = settings or load_settings()
    mapping = mapping or load_mappings(settings=settings)
    if visma_segments is None:
        if visma is None:
            raise ValueError("check_drift needs visma_segments or a Visma hook to read them")
        visma_segments = visma.subaccount_dimension()
    if gl_codes is not None:  # codes_from_gl_lines per group of lines, counted (count_seen)
        seen = gl_codes
        source = source or "the UKG GL export"
    elif gl_lines is not None:
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
