"""A per-request snapshot of Visma's reference data, and the checks a journal line must pass.

Why a snapshot: one journal may carry thousands of lines; loading the chart, the SUBACCOUNT
segments, projects and periods once per request keeps validation linear and consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.common import StateStore
from sandbox.visma.errors import VismaError

SUBACCOUNT = "SUBACCOUNT"
NON_PROJECT = "X"
OPEN_PROJECT_STATUSES = {"active", "open"}
OPEN_TASK_STATUSES = {"active", "open", "inplanning", "in planning"}


@dataclass
class Ledger:
    accounts: dict[str, dict[str, Any]]
    segments: list[dict[str, Any]]
    projects: dict[str, dict[str, Any]]
    periods: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, store: StateStore) -> Ledger:
        segments = [seg for key, seg in store.items("segments") if key.startswith(f"{SUBACCOUNT}:")]
        segments.sort(key=lambda seg: seg["segmentId"])
        return cls(
            accounts=dict(store.items("accounts")),
            segments=segments,
            projects=dict(store.items("projects")),
            periods=dict(store.items("periods")),
        )

    # ---- periods -----------------------------------------------------------------------
    def open_period(self, period: str) -> dict[str, Any]:
        """The period if posting into it is allowed, else a 400 naming the period."""
        record = self.periods.get(period)
        if record is None:
            raise VismaError(f"Financial period {period} does not exist.", code="12010")
        if record.get("closedInGeneralLedger"):
            raise VismaError(
                f"Financial period {period} is closed in General ledger.", code="12011"
            )
        if not record.get("active", True):
            raise VismaError(f"Financial period {period} is inactive.", code="12012")
        return record

    # ---- lines -------------------------------------------------------------------------
    def check_account(self, number: str | None, prefix: str) -> list[str]:
        if not number:
            return [f"{prefix}: Account is required."]
        account = self.accounts.get(str(number))
        if account is None:
            return [f"{prefix}: Account '{number}' does not exist."]
        if not account.get("active", True):
            return [f"{prefix}: Account '{number}' is inactive."]
        if account.get("controlAccountModule"):
            return [
                f"{prefix}: Account '{number}' is a control account for "
                f"{account['controlAccountModule']} and cannot be used in a GL journal."
            ]
        return []

    def resolve_subaccount(
        self, given: list[dict[str, Any]] | None, prefix: str
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Every segment's value (absent segments default to zeros), plus the problems found."""
        errors: list[str] = []
        by_id: dict[int, str] = {}
        for item in given or []:
            if not isinstance(item, dict):
                errors.append(f"{prefix}: subaccount items must be objects.")
                continue
            try:
                seg_id = int(item["segmentId"])
            except (KeyError, TypeError, ValueError):
                errors.append(f"{prefix}: subaccount segmentId is missing or not a number.")
                continue
            by_id[seg_id] = str(item.get("segmentValue") or "")
        known = {seg["segmentId"] for seg in self.segments}
        for seg_id in sorted(set(by_id) - known):
            errors.append(f"{prefix}: Segment {seg_id} does not exist in {SUBACCOUNT}.")
        resolved = []
        for seg in self.segments:
            value = by_id.get(seg["segmentId"]) or "0" * seg["length"]
            resolved.append({"segmentId": seg["segmentId"], "segmentValue": value})
            errors.extend(self._check_segment_value(seg, value, prefix))
        return resolved, errors

    @staticmethod
    def _check_segment_value(seg: dict[str, Any], value: str, prefix: str) -> list[str]:
        label = f"Subaccount segment {seg['segmentId']} ({seg['description']})"
        if len(value) > seg["length"]:
            return [f"{prefix}: {label} value '{value}' is longer than {seg['length']}."]
        if not seg.get("validate", True):
            return []
        record = seg["values"].get(value)
        if record is None:
            return [f"{prefix}: {label} value '{value}' does not exist."]
        if not record.get("active", True):
            return [f"{prefix}: {label} value '{value}' is inactive."]
        return []

    def check_project(self, project: str | None, task: str | None, prefix: str) -> list[str]:
        if not project or project == NON_PROJECT:
            return [f"{prefix}: Project task '{task}' given without a project."] if task else []
        record = self.projects.get(project)
        if record is None:
            return [f"{prefix}: Project '{project}' does not exist."]
        if str(record.get("status", "Active")).lower() not in OPEN_PROJECT_STATUSES:
            return [f"{prefix}: Project '{project}' is not active (status {record['status']})."]
        if not task:
            return [f"{prefix}: Project task is required for project '{project}'."]
        tasks = {t["taskId"]: t for t in record.get("tasks", [])}
        if task not in tasks:
            return [f"{prefix}: Task '{task}' does not exist in project '{project}'."]
        if str(tasks[task].get("status", "Active")).lower() not in OPEN_TASK_STATUSES:
            return [f"{prefix}: Task '{task}' of project '{project}' is not active."]
        return []

    # ---- rendering helpers -------------------------------------------------------------
    def subaccount_number(self, segments: list[dict[str, Any]]) -> str:
        return "-".join(item["segmentValue"] for item in segments)

    def segment_dtos(self, segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        by_id = {seg["segmentId"]: seg for seg in self.segments}
        result = []
        for item in segments:
            seg = by_id.get(item["segmentId"], {"description": "", "values": {}})
            value = seg["values"].get(item["segmentValue"], {})
            result.append(
                {
                    "segmentId": item["segmentId"],
                    "segmentDescription": seg["description"],
                    "segmentValue": item["segmentValue"],
                    "segmentValueDescription": value.get("description", ""),
                }
            )
        return result
