"""Mapping drift: org codes UKG uses that the mapping or Visma cannot take.

Why a check of its own, run early: a cost centre created in UKG mid-month shows up first on
employee records, weeks before it reaches a GL export. The employee-sync DAG runs this every run
and warns; the pay-period DAG runs it as part of validation. Either way the report names each
code, where it was seen and the fix, days before payday instead of on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, cast

import pandas as pd
from pydantic import BaseModel, ConfigDict

from ukg_visma.alignment.inputs import mapping_targets, read_visma_segments
from ukg_visma.alignment.plan import MAPPING_FILE
from ukg_visma.settings import SegmentSetting, Settings

__all__ = [
    "DriftFinding",
    "DriftReport",
    "codes_from_employees",
    "codes_from_gl_lines",
    "detect_drift",
]

Problem = Literal["unmapped", "value_missing", "value_inactive"]
SEEN_COLUMNS = ["level", "code", "source_ref"]
ALIGNMENT_DAG = "ukg_visma_cost_center_alignment"


class DriftFinding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ukg_level: int
    code: str
    segment_id: int
    segment_name: str
    problem: Problem
    segment_value: str | None  # the Visma value the mapping points to, when mapped
    seen_count: int
    seen_in: tuple[str, ...]  # a sorted sample of where it was seen (employees, GL rows)
    fix: str

    @property
    def message(self) -> str:
        what = {
            "unmapped": "has no row in the cost-centre mapping",
            "value_missing": f"maps to {self.segment_value}, which Visma does not have",
            "value_inactive": f"maps to {self.segment_value}, which is inactive in Visma",
        }[self.problem]
        more = self.seen_count - len(self.seen_in)
        where = ", ".join(self.seen_in) + (f" and {more} more" if more > 0 else "")
        return (
            f"{self.segment_name} (org level {self.ukg_level}) {self.code} {what}; "
            f"seen {self.seen_count} time(s): {where}"
        )


class DriftReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    checked_codes: int
    findings: tuple[DriftFinding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        if self.ok:
            return f"no mapping drift: {self.checked_codes} org code(s) from {self.source} checked"
        lines = [f"mapping drift in {self.source}: {len(self.findings)} org code(s) cannot post"]
        lines += [f"- {f.message}. Fix: {f.fix}" for f in self.findings]
        return "\n".join(lines)


def _segments(settings: Settings | Sequence[SegmentSetting]) -> list[SegmentSetting]:
    return list(settings.segments if isinstance(settings, Settings) else settings)


def _seen_frame(org_codes_seen: pd.DataFrame | Iterable[Sequence[Any]]) -> pd.DataFrame:
    if isinstance(org_codes_seen, pd.DataFrame):
        counted = "count" in org_codes_seen.columns
        frame = org_codes_seen.loc[:, [*SEEN_COLUMNS, "count"] if counted else SEEN_COLUMNS]
    else:
        frame = pd.DataFrame(list(org_codes_seen), columns=SEEN_COLUMNS)
    frame = frame.dropna(subset=["level", "code"])
    frame = frame.assign(
        level=frame["level"].astype(int),
        code=frame["code"].astype(str).str.strip(),
        source_ref=frame["source_ref"].fillna("").astype(str),
    )
    if "count" not in frame.columns:
        frame = frame.assign(count=1)
    return frame[frame["code"] != ""]


def count_seen(seen: pd.DataFrame, *, max_refs: int = 10) -> pd.DataFrame:
    """``level, code, source_ref, count``: per code its count and only the ``max_refs`` first
    references (sorted) — all :func:`detect_drift` reports of it.

    Why: a GL export's million lines name a few hundred codes; counted per group of lines (and
    the groups' counts added up the same way) the drift check never holds a row per line, and
    :func:`detect_drift` reports the same findings.
    """
    frame = _seen_frame(seen)
    key = ["level", "code"]
    totals = frame.groupby(key, sort=True)["count"].sum().reset_index().assign(source_ref="")
    named = frame.loc[frame["source_ref"] != "", SEEN_COLUMNS].drop_duplicates()
    named = named.sort_values(SEEN_COLUMNS).groupby(key, sort=False).head(max_refs)
    return pd.concat([totals[[*SEEN_COLUMNS, "count"]], named.assign(count=0)], ignore_index=True)


def detect_drift(
    org_codes_seen: pd.DataFrame | Iterable[Sequence[Any]],
    mapping: Any,
    visma_segments: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    *,
    settings: Settings | Sequence[SegmentSetting],
    source: str = "the latest UKG data",
    max_refs: int = 10,
) -> DriftReport:
    """Check every ``(level, code, source_ref)`` seen against the mapping and live Visma values.

    ``mapping``: ``ukg_visma.mappings.Mappings`` (or its ``segments``); ``visma_segments``: the
    body of ``GET /v1/dimension/SUBACCOUNT``. Levels that settings do not map are not checked; a
    segment's default value (``00``/``000``) always passes.
    """
    segments = {s.ukg_level: s for s in _segments(settings)}
    targets = mapping_targets(mapping)
    visma = read_visma_segments(visma_segments)
    seen = _seen_frame(org_codes_seen)
    seen = seen[seen["level"].isin(list(segments))]
    findings: list[DriftFinding] = []
    checked = 0
    for key, part in seen.groupby(["level", "code"], sort=True):
        refs = part["source_ref"]
        level, code = cast(tuple[int, str], key)  # the frame's columns: int level, str code
        checked += 1
        setting = segments[int(level)]
        if code == setting.default:
            continue
        values = visma[setting.segment_id].values if setting.segment_id in visma else {}
        mapped = targets.get((int(level), code))
        target, where = mapped if mapped is not None else (None, "")
        value = values.get(target if target is not None else code)
        if target is not None and target != setting.default and value is None:
            problem: Problem = "value_missing"
            fix = f"create {target} in Visma segment {setting.segment_id} or correct {where}"
        elif (
            target is not None
            and target != setting.default
            and value is not None
            and not value.active
        ):
            problem = "value_inactive"
            fix = f"reactivate {target} in Visma or correct {where}"
        elif target is None:
            problem = "unmapped"
            fix = _unmapped_fix(setting, code, value)
        else:
            continue
        unique = sorted(set(refs) - {""})
        findings.append(
            DriftFinding(
                ukg_level=int(level),
                code=code,
                segment_id=setting.segment_id,
                segment_name=setting.name,
                problem=problem,
                segment_value=target,
                seen_count=int(part["count"].sum()),
                seen_in=tuple(unique[:max_refs]),
                fix=fix,
            )
        )
    return DriftReport(source=source, checked_codes=checked, findings=tuple(findings))


def _unmapped_fix(setting: SegmentSetting, code: str, visma_value: Any) -> str:
    segment = f"Visma segment {setting.segment_id} ({setting.name})"
    if visma_value is None:
        return (
            f"run the {ALIGNMENT_DAG} DAG to create {code} in {segment} and map it, or map it "
            f"to an existing value in {MAPPING_FILE}"
        )
    if not visma_value.active:
        return (
            f"{code} is inactive in {segment}: reactivate it and run the {ALIGNMENT_DAG} DAG, "
            f"or map it to an active value in {MAPPING_FILE}"
        )
    return f"{segment} has {code}: run the {ALIGNMENT_DAG} DAG (or add the row to {MAPPING_FILE})"


def codes_from_gl_lines(
    lines: pd.DataFrame,
    settings: Settings | Sequence[SegmentSetting],
    *,
    system_ids: bool | None = None,
) -> pd.DataFrame:
    """``level, code, source_ref`` from UKG GL lines (``orgLevelN`` columns, as UKG sends them,
    or the canonical ``org_levelN`` frame of the pay DAG's extract).

    The reference names the run, block and ``systemId`` (``GL NMF-202604-R1 block 2 systemId
    2417``; the published GL line has no employee), else the run and block, so finance can find
    the line in UKG.
    """
    if "source_key" in lines:  # the canonical frame of ukg_visma.gl.export_frame.gl_frame
        lines = lines.rename(
            columns={
                "run_id": "runId",
                "system_id": "systemId",
                "block_id": "blockId",
                **{f"org_level{n}": f"orgLevel{n}" for n in range(1, 5)},
            }
        )
    if system_ids is None:  # a group of the lines can say whether the whole export has them
        system_ids = "systemId" in lines and not blank(lines["systemId"]).all()
    if "systemId" in lines and not system_ids:
        lines = lines.drop(columns="systemId")
    frames = []
    run = lines["runId"].astype(str) if "runId" in lines else pd.Series("?", index=lines.index)
    if "systemId" in lines and "blockId" in lines:
        who = "block " + lines["blockId"].astype(str) + " systemId " + lines["systemId"].astype(str)
    elif "blockId" in lines:
        who = "block " + lines["blockId"].astype(str)
    else:
        who = "row " + pd.Series(range(len(lines)), index=lines.index).astype(str)
    refs = "GL " + run + " " + who
    for setting in _segments(settings):
        column = f"orgLevel{setting.ukg_level}"
        if column in lines:
            frames.append(
                pd.DataFrame(
                    {"level": setting.ukg_level, "code": lines[column], "source_ref": refs}
                )
            )
    return _concat(frames)


def blank(values: pd.Series) -> pd.Series:
    return values.astype(str).isin(["", "None", "nan"])


def codes_from_employees(
    snapshots: pd.DataFrame | Iterable[Mapping[str, Any]],
    settings: Settings | Sequence[SegmentSetting],
) -> pd.DataFrame:
    """``level, code, source_ref`` from employee snapshots (``orgLevelNCode`` fields).

    Terminated employees are left out: their old cost centre will not receive new payroll lines.
    """
    frame = snapshots if isinstance(snapshots, pd.DataFrame) else pd.DataFrame(list(snapshots))
    if "employeeStatus" in frame:
        frame = frame[frame["employeeStatus"].astype(str) != "T"]
    ident = frame["employeeNumber"] if "employeeNumber" in frame else frame.get("employeeId")
    refs = "employee " + (ident if ident is not None else pd.Series("?", index=frame.index)).astype(
        str
    )
    frames = []
    for setting in _segments(settings):
        column = f"orgLevel{setting.ukg_level}Code"
        if column in frame:
            frames.append(
                pd.DataFrame(
                    {"level": setting.ukg_level, "code": frame[column], "source_ref": refs}
                )
            )
    return _concat(frames)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=SEEN_COLUMNS)
    return pd.concat(frames, ignore_index=True).dropna(subset=["code"])
