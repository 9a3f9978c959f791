"""What a cost-centre alignment plan is made of: plain, frozen, serialisable values.

Why models rather than dicts: the plan travels from the planning task to the apply task (XCom, as
``model_dump(mode="json")``) and into the report; every write it implies is spelled out here,
so a reviewer can read exactly what would be sent to Visma and to UKG before anything is sent.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Operation = Literal["Insert", "Update"]
ConflictWinner = Literal["none", "ukg", "visma"]
IssueKind = Literal[
    "blank_code",
    "duplicate_code",
    "code_length",
    "mapped_value_missing",
    "mapped_value_inactive",
    "code_reserved",
]
Resolution = Literal["unresolved", "update_visma", "update_ukg", "for_hr"]

# Visma.net (Acumatica) stores a segment value's description in 60 characters; comparing beyond
# that would report a conflict after every run for a long UKG name.
DESCRIPTION_MAX = 60
DEFAULT_BATCH_SIZE = 100


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrgValue(_Frozen):
    """One code as one side holds it (a UKG org level or a Visma segment value)."""

    code: str
    description: str
    active: bool


class VismaChange(_Frozen):
    """One item of the batched ``PUT /v1/dimension/SUBACCOUNT/{segmentId}`` body."""

    operation: Operation
    segment_id: int
    value: str
    description: str
    active: bool

    def put_item(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "value": self.value,
            "description": {"value": self.description},
            "active": {"value": self.active},
        }


class UkgChange(_Frozen):
    """A create/update of a UKG org level (written only with ``write_cost_centers_to_ukg``)."""

    operation: Operation
    level: int
    code: str
    description: str
    active: bool

    def body(self) -> dict[str, Any]:
        """In the shape of ``/configuration/v1/org-levels`` items."""
        return {
            "level": self.level,
            "code": self.code,
            "description": self.description,
            "glSegment": self.code,
            "isActive": self.active,
        }


class Conflict(_Frozen):
    """Same code on both sides, different name and/or active flag."""

    segment_id: int
    ukg_level: int
    code: str
    ukg: OrgValue
    visma: OrgValue
    fields: tuple[str, ...]
    resolution: Resolution

    @property
    def message(self) -> str:
        parts = []
        if "description" in self.fields:
            parts.append(f"UKG {self.ukg.description!r} vs Visma {self.visma.description!r}")
        if "active" in self.fields:
            parts.append(f"active UKG {self.ukg.active} vs Visma {self.visma.active}")
        return f"code {self.code}: " + "; ".join(parts)


class Issue(_Frozen):
    """Something alignment cannot fix by itself; names the code and the fix."""

    kind: IssueKind
    segment_id: int
    ukg_level: int
    code: str
    message: str
    fix: str


class Skipped(_Frozen):
    """A value inactive on one side and absent on the other: nobody can post to it, not copied."""

    side: Literal["ukg", "visma"]
    segment_id: int
    ukg_level: int
    code: str
    description: str


class MappedCode(_Frozen):
    """A UKG code whose identical Visma value exists (or will, once the plan is applied)."""

    ukg_level: int
    ukg_code: str
    segment_id: int
    segment_value: str
    description: str

    def row(self, origin: str = "generated") -> dict[str, str]:
        """A ``cost_centers*.csv`` row (columns of ``ukg_visma.mappings.COST_CENTER_COLUMNS``)."""
        return {
            "ukg_level": str(self.ukg_level),
            "ukg_code": self.ukg_code,
            "segment_id": str(self.segment_id),
            "segment_value": self.segment_value,
            "description": self.description,
            "origin": origin,
        }


class VismaBatch(_Frozen):
    """One PUT to one segment; the caller adds the segment's current ETag as If-Match."""

    segment_id: int
    body: dict[str, Any]


class SegmentPlan(_Frozen):
    """The plan for one UKG org level ↔ Visma segment pair."""

    segment_id: int
    segment_name: str
    ukg_level: int
    length: int
    default: str
    visma_changes: tuple[VismaChange, ...] = ()
    ukg_changes: tuple[UkgChange, ...] = ()
    for_hr: tuple[UkgChange, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    issues: tuple[Issue, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    mapped: tuple[MappedCode, ...] = ()
    unchanged_codes: tuple[str, ...] = ()

    @property
    def unchanged(self) -> int:
        return len(self.unchanged_codes)


class AlignmentPlan(_Frozen):
    """Everything one alignment run would write, report and leave alone."""

    write_cost_centers_to_ukg: bool
    conflict_winner: ConflictWinner
    batch_size: int = Field(DEFAULT_BATCH_SIZE, ge=1)
    segments: tuple[SegmentPlan, ...]

    def _all(self, attr: str) -> list[Any]:
        return [item for seg in self.segments for item in getattr(seg, attr)]

    @property
    def visma_changes(self) -> list[VismaChange]:
        return self._all("visma_changes")

    @property
    def ukg_changes(self) -> list[UkgChange]:
        return self._all("ukg_changes")

    @property
    def for_hr(self) -> list[UkgChange]:
        return self._all("for_hr")

    @property
    def conflicts(self) -> list[Conflict]:
        return self._all("conflicts")

    @property
    def issues(self) -> list[Issue]:
        return self._all("issues")

    @property
    def skipped(self) -> list[Skipped]:
        return self._all("skipped")

    @property
    def mapped(self) -> list[MappedCode]:
        return self._all("mapped")

    @property
    def unchanged(self) -> int:
        return sum(seg.unchanged for seg in self.segments)

    @property
    def has_writes(self) -> bool:
        """True when applying would send anything to Visma or UKG."""
        return bool(self.visma_changes or self.ukg_changes)

    @property
    def is_empty(self) -> bool:
        """Nothing to write and nothing for a human: the two sides agree."""
        return not (self.has_writes or self.for_hr or self.conflicts or self.issues)

    def visma_batches(self) -> list[VismaBatch]:
        """The PUT bodies, per segment, in batches of ``batch_size`` (inserts before updates)."""
        out: list[VismaBatch] = []
        for seg in self.segments:
            changes = seg.visma_changes
            for start in range(0, len(changes), self.batch_size):
                items = [c.put_item() for c in changes[start : start + self.batch_size]]
                out.append(VismaBatch(segment_id=seg.segment_id, body={"segmentValues": items}))
        return out

    def counts(self) -> dict[str, int]:
        """The figures the report and the task log show."""
        visma = self.visma_changes
        return {
            "visma_inserts": sum(c.operation == "Insert" for c in visma),
            "visma_updates": sum(c.operation == "Update" for c in visma),
            "ukg_inserts": sum(c.operation == "Insert" for c in self.ukg_changes),
            "ukg_updates": sum(c.operation == "Update" for c in self.ukg_changes),
            "for_hr": len(self.for_hr),
            "hr_inserts": sum(c.operation == "Insert" for c in self.for_hr),
            "conflicts": len(self.conflicts),
            "unresolved_conflicts": sum(c.resolution == "unresolved" for c in self.conflicts),
            "issues": len(self.issues),
            "skipped": len(self.skipped),
            "unchanged": self.unchanged,
            "visma_batches": len(self.visma_batches()),
        }
