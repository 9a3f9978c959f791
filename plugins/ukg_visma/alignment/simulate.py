"""Apply a plan to the two sides' bodies in memory, as Visma and UKG would.

Why: idempotence is the promise that makes re-running alignment safe. Planning again against the
simulated result must yield no writes; a dry run can also show the state the apply step would
leave. The simulation refuses what the real APIs refuse (inserting a value that exists, updating
one that does not), so a plan that would fail against Visma fails here first.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from ukg_visma.alignment.inputs import parse_level, segment_value_code
from ukg_visma.alignment.models import AlignmentPlan
from ukg_visma.errors import NotRetryable

__all__ = ["PlanApplyError", "apply_plan"]


class PlanApplyError(NotRetryable, ValueError):
    """The plan holds an operation the target system would reject."""


def apply_plan(
    plan: AlignmentPlan,
    ukg_org_levels: Iterable[Mapping[str, Any]],
    visma_segments: Mapping[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``(ukg_org_levels, visma_segments)`` after the plan's writes; the inputs are not changed."""
    ukg = [dict(item) for item in ukg_org_levels]
    visma = copy.deepcopy(dict(visma_segments))
    segments = {int(seg["segmentId"]): seg for seg in visma.get("segments", [])}
    for batch in plan.visma_batches():
        segment = segments.get(batch.segment_id)
        if segment is None:
            raise PlanApplyError(f"Visma has no segment {batch.segment_id}")
        _apply_visma_batch(segment, batch.body)
    for change in plan.ukg_changes:
        matches = [
            i
            for i, item in enumerate(ukg)
            if parse_level(item.get("level")) == change.level
            and str(item.get("code", "")).strip() == change.code
        ]
        if change.operation == "Insert":
            if matches:
                raise PlanApplyError(f"UKG org level {change.level} {change.code} already exists")
            ukg.append(change.body())
        else:
            if not matches:
                raise PlanApplyError(f"UKG org level {change.level} {change.code} does not exist")
            for i in matches:  # UKG may list one org level twice; both are the same record
                ukg[i] = {**ukg[i], **change.body()}
    return ukg, visma


def _apply_visma_batch(segment: dict[str, Any], body: Mapping[str, Any]) -> None:
    values: list[dict[str, Any]] = segment.setdefault("segmentValues", [])
    by_value = {segment_value_code(v): v for v in values}
    length = segment.get("length")
    for item in body["segmentValues"]:
        value = item["value"]
        fields = {"description": item["description"]["value"], "active": item["active"]["value"]}
        if length and len(value) > int(length):
            raise PlanApplyError(f"Visma segment value {value!r} is longer than {length}")
        if item["operation"] == "Insert":
            if value in by_value:
                raise PlanApplyError(f"Visma segment value {value} already exists")
            by_value[value] = {"value": value, **fields}
            values.append(by_value[value])
        elif item["operation"] == "Update":
            if value not in by_value:
                raise PlanApplyError(f"Visma segment value {value} does not exist")
            by_value[value].update(fields)
        else:
            raise PlanApplyError(f"unsupported operation {item['operation']!r}")
