"""Plan a cost-centre alignment: what to create or update on each side, and what only to report.

Why a pure plan before any write: alignment touches the ledger's dimensions and, behind a flag,
UKG's configuration. Finance reviews the plan (``dry_run``), the apply step sends exactly what it
says, and planning again against the result must come back with nothing to write — so a second
run, a retry or a run after a partial failure is always safe.

Rules (issue #8, ``settings.yaml`` → ``segments`` and ``alignment``):

- Each mapped UKG org level is compared with its Visma SUBACCOUNT segment. The segment's default
  value (``00``/``000``, "None") is never created, compared or copied.
- A UKG code that a hand-made mapping row sends to a different Visma value is covered by that
  row: the value must exist (and be active) in Visma, nothing is created for it.
- A UKG code missing in Visma is created there (inactive UKG codes are skipped: no one posts to
  them). Its length must equal the segment's length, else it is an issue, never truncated.
- A Visma value missing in UKG is created in UKG only with ``write_cost_centers_to_ukg``;
  otherwise it is listed for HR. Inactive Visma-only values are skipped; a Visma-only code that
  a mapping row already uses for another value is an issue (creating it would misroute wages).
- The same code with another description or active flag is a conflict. ``conflict_winner``
  ``ukg``/``visma`` turns it into an Update on the other side; ``none`` only reports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ukg_visma.alignment.inputs import (
    AlignmentInputError,
    UkgLevelValues,
    VismaSegment,
    comparable_description,
    mapping_targets,
    read_ukg_org_levels,
    read_visma_segments,
)
from ukg_visma.alignment.models import (
    DEFAULT_BATCH_SIZE,
    AlignmentPlan,
    Conflict,
    ConflictWinner,
    Issue,
    MappedCode,
    OrgValue,
    Resolution,
    SegmentPlan,
    Skipped,
    UkgChange,
    VismaChange,
)
from ukg_visma.settings import SegmentSetting, Settings

__all__ = ["MAPPING_FILE", "AlignmentInputError", "plan_alignment"]

MAPPING_FILE = "include/mappings/cost_centers.csv"


def plan_alignment(
    ukg_org_levels: Iterable[Mapping[str, Any]],
    visma_segments: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    settings: Settings,
    existing_mapping: Any = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> AlignmentPlan:
    """The alignment plan for every segment ``settings.segments`` maps.

    ``ukg_org_levels``: items of ``GET /configuration/v1/org-levels``; ``visma_segments``: the body
    of ``GET /v1/dimension/SUBACCOUNT``; ``existing_mapping``: ``ukg_visma.mappings.Mappings`` (or
    its ``segments``), whose rows may send a UKG code to a different Visma value.
    Raises :class:`AlignmentInputError` when a mapped segment does not exist in Visma.
    """
    visma = read_visma_segments(visma_segments)
    ukg = read_ukg_org_levels(ukg_org_levels, [s.ukg_level for s in settings.segments])
    targets = mapping_targets(existing_mapping)
    missing = [s for s in settings.segments if s.segment_id not in visma]
    if missing:
        names = ", ".join(f"{s.segment_id} ({s.name})" for s in missing)
        raise AlignmentInputError(
            f"Visma SUBACCOUNT has no segment {names}; settings.yaml maps UKG org levels to it"
        )
    for s in settings.segments:
        length = visma[s.segment_id].length
        if length is not None and length != len(s.default):
            raise AlignmentInputError(
                f"Visma segment {s.segment_id} ({s.name}) is {length} characters long, but "
                f"settings.yaml gives it the default {s.default!r}"
            )
    alignment = settings.alignment
    segments = tuple(
        _plan_segment(
            setting,
            ukg[setting.ukg_level],
            visma[setting.segment_id],
            {code: t for (level, code), t in targets.items() if level == setting.ukg_level},
            write_to_ukg=alignment.write_cost_centers_to_ukg,
            winner=alignment.conflict_winner,
        )
        for setting in settings.segments
    )
    return AlignmentPlan(
        write_cost_centers_to_ukg=alignment.write_cost_centers_to_ukg,
        conflict_winner=alignment.conflict_winner,
        batch_size=batch_size,
        segments=segments,
    )


class _SegmentPlanner:
    """Collects one segment's plan; a class only to keep the many outputs readable."""

    def __init__(
        self, setting: SegmentSetting, segment: VismaSegment, *, write_to_ukg: bool
    ) -> None:
        self.setting = setting
        self.segment = segment
        self.length = segment.length or len(setting.default)
        self.write_to_ukg = write_to_ukg
        self.visma_inserts: list[VismaChange] = []
        self.visma_updates: list[VismaChange] = []
        self.ukg_changes: list[UkgChange] = []
        self.for_hr: list[UkgChange] = []
        self.conflicts: list[Conflict] = []
        self.issues: list[Issue] = []
        self.skipped: list[Skipped] = []
        self.mapped: list[MappedCode] = []
        self.unchanged: list[str] = []

    # ---- outputs ---------------------------------------------------------------------------
    def issue(self, kind: str, code: str, message: str, fix: str) -> None:
        self.issues.append(
            Issue(
                kind=kind,  # type: ignore[arg-type]
                segment_id=self.setting.segment_id,
                ukg_level=self.setting.ukg_level,
                code=code,
                message=message,
                fix=fix,
            )
        )

    def visma(self, operation: str, code: str, value: OrgValue) -> None:
        change = VismaChange(
            operation=operation,  # type: ignore[arg-type]
            segment_id=self.setting.segment_id,
            value=code,
            description=comparable_description(value.description, code),
            active=value.active,
        )
        (self.visma_inserts if operation == "Insert" else self.visma_updates).append(change)

    def ukg(self, operation: str, code: str, value: OrgValue) -> bool:
        """Plan a UKG write, or list it for HR; True when it will be written."""
        change = UkgChange(
            operation=operation,  # type: ignore[arg-type]
            level=self.setting.ukg_level,
            code=code,
            description=value.description.strip() or code,
            active=value.active,
        )
        (self.ukg_changes if self.write_to_ukg else self.for_hr).append(change)
        return self.write_to_ukg

    def map(self, code: str, description: str) -> None:
        self.mapped.append(
            MappedCode(
                ukg_level=self.setting.ukg_level,
                ukg_code=code,
                segment_id=self.setting.segment_id,
                segment_value=code,
                description=description.strip() or code,
            )
        )

    def skip(self, side: str, value: OrgValue) -> None:
        self.skipped.append(
            Skipped(
                side=side,  # type: ignore[arg-type]
                segment_id=self.setting.segment_id,
                ukg_level=self.setting.ukg_level,
                code=value.code,
                description=value.description,
            )
        )

    def result(self) -> SegmentPlan:
        s = self.setting
        return SegmentPlan(
            segment_id=s.segment_id,
            segment_name=s.name,
            ukg_level=s.ukg_level,
            length=self.length,
            default=s.default,
            visma_changes=(*self.visma_inserts, *self.visma_updates),
            ukg_changes=tuple(self.ukg_changes),
            for_hr=tuple(self.for_hr),
            conflicts=tuple(self.conflicts),
            issues=tuple(self.issues),
            skipped=tuple(self.skipped),
            mapped=tuple(self.mapped),
            unchanged_codes=tuple(sorted(self.unchanged)),
        )


def _plan_segment(
    setting: SegmentSetting,
    ukg: UkgLevelValues,
    segment: VismaSegment,
    targets: Mapping[str, tuple[str, str]],
    *,
    write_to_ukg: bool,
    winner: ConflictWinner,
) -> SegmentPlan:
    p = _SegmentPlanner(setting, segment, write_to_ukg=write_to_ukg)
    default = setting.default
    visma_values = {code: v for code, v in segment.values.items() if code != default}
    label = f"org level {setting.ukg_level} code"
    covered: set[str] = set(ukg.values)  # Visma values that UKG already holds or maps to
    mapped_elsewhere: list[tuple[str, OrgValue, str, str]] = []

    for code in sorted(ukg.values):
        value = ukg.values[code]
        target, where = targets.get(code, (code, ""))
        covered.add(target)
        if code == default or target == default:
            p.unchanged.append(code)
        elif code in ukg.conflicting:
            p.issue(
                "duplicate_code",
                code,
                f"{label} {code} is listed twice by UKG with different names or flags",
                "correct the duplicate org level in UKG; nothing is planned for this code",
            )
        elif target != code:
            mapped_elsewhere.append((code, value, target, where))
        elif len(code) != p.length:
            p.issue(
                "code_length",
                code,
                f"{label} {code!r} has {len(code)} characters; Visma segment "
                f"{setting.segment_id} ({setting.name}) holds exactly {p.length}",
                f"add a row to {MAPPING_FILE} that maps {code} to a {p.length}-character "
                f"Visma value, or change the code in UKG",
            )
        elif code not in visma_values:
            if value.active:
                p.visma("Insert", code, value)
                p.map(code, value.description)
            else:
                p.skip("ukg", value)
        else:
            p.map(code, value.description)
            _compare(p, code, value, visma_values[code], winner)

    # Hand-made rows are checked against Visma as this plan leaves it, so that applying the plan
    # cannot make an issue appear or vanish (a planned insert may be the very value a row uses).
    after = dict(visma_values)
    for change in (*p.visma_inserts, *p.visma_updates):
        after[change.value] = OrgValue(
            code=change.value, description=change.description, active=change.active
        )
    for code, value, target, where in mapped_elsewhere:
        _check_mapped_target(p, code, value, target, where, after.get(target))

    for code in sorted(set(visma_values) - covered):
        value = visma_values[code]
        row_target, where = targets.get(code, (code, ""))
        if not value.active:
            p.skip("visma", value)
        elif row_target != code:
            p.issue(
                "code_reserved",
                code,
                f"Visma value {code} has no UKG org level, but {where} already sends UKG "
                f"{label} {code} to {row_target}; creating it in UKG would post to {row_target}",
                f"create the org level in UKG under a free code and map it in {MAPPING_FILE}, "
                f"or correct {where}",
            )
        elif p.ukg("Insert", code, value):
            p.map(code, value.description)
    return p.result()


def _check_mapped_target(
    p: _SegmentPlanner,
    code: str,
    value: OrgValue,
    target: str,
    where: str,
    visma_value: OrgValue | None,
) -> None:
    """A hand-made row sends ``code`` to ``target``: it must exist (and be active) in Visma."""
    seg = p.setting
    if visma_value is None:
        p.issue(
            "mapped_value_missing",
            code,
            f"{where} maps org level {seg.ukg_level} code {code} to {target}, which Visma "
            f"segment {seg.segment_id} ({seg.name}) does not have",
            f"create {target} in Visma or correct {where}",
        )
    elif value.active and not visma_value.active:
        p.issue(
            "mapped_value_inactive",
            code,
            f"{where} maps active org level {seg.ukg_level} code {code} to {target}, which is "
            f"inactive in Visma",
            f"reactivate {target} in Visma or correct {where}",
        )
    else:
        p.unchanged.append(code)


def _compare(
    p: _SegmentPlanner, code: str, ukg: OrgValue, visma: OrgValue, winner: ConflictWinner
) -> None:
    fields = []
    if comparable_description(ukg.description, code) != comparable_description(
        visma.description, code
    ):
        fields.append("description")
    if ukg.active != visma.active:
        fields.append("active")
    if not fields:
        p.unchanged.append(code)
        return
    resolution: Resolution = "unresolved"
    if winner == "ukg":
        p.visma("Update", code, ukg)
        resolution = "update_visma"
    elif winner == "visma":
        resolution = "update_ukg" if p.ukg("Update", code, visma) else "for_hr"
    p.conflicts.append(
        Conflict(
            segment_id=p.setting.segment_id,
            ukg_level=p.setting.ukg_level,
            code=code,
            ukg=ukg,
            visma=visma,
            fields=tuple(fields),
            resolution=resolution,
        )
    )
