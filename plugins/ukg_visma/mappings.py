"""The mapping files finance reviews: UKG codes → Visma accounts, segment values and projects.

``include/mappings/`` holds ``accounts.csv``, ``cost_centers.csv``, ``projects.csv`` (hand-kept,
reviewed) and optionally ``cost_centers.generated.csv`` (written by the alignment DAG; a manual row
for the same UKG code wins). Columns are explained in ``include/mappings/README.md``.

Why strict loading: a typo in a mapping file must stop the run at start with the file and line,
not post wages to the wrong cost centre. Every problem in every file is collected and reported in
one :class:`MappingError`, so finance fixes them in one pass.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeGuard

import pandas as pd

from ukg_visma.errors import NotRetryable
from ukg_visma.settings import SegmentSetting, Settings, load_settings, mappings_dir

__all__ = [
    "ACCOUNT_COLUMNS",
    "COST_CENTER_COLUMNS",
    "DIMENSIONS",
    "GENERATED_COST_CENTERS",
    "PROJECT_COLUMNS",
    "AccountMapping",
    "MappingError",
    "Mappings",
    "ProjectMapping",
    "SegmentMapping",
    "format_cost_center_rows",
    "load_mappings",
]

ACCOUNTS_FILE = "accounts.csv"
COST_CENTERS_FILE = "cost_centers.csv"
PROJECTS_FILE = "projects.csv"
GENERATED_COST_CENTERS = "cost_centers.generated.csv"

ACCOUNT_COLUMNS = ("ukg_account", "visma_account", "dimensions", "description")
COST_CENTER_COLUMNS = (
    "ukg_level",
    "ukg_code",
    "segment_id",
    "segment_value",
    "description",
    "origin",
)
PROJECT_COLUMNS = ("ukg_project", "visma_project", "visma_task", "description")
# org: the line carries the segments mapped from its org levels and its project (expense lines);
# none: the line carries each segment's default value and no project (balance-sheet lines).
DIMENSIONS = ("org", "none")
ORIGINS = ("manual", "generated")

Dimensions = Literal["org", "none"]
Origin = Literal["manual", "generated"]


def _is_dimensions(value: str) -> TypeGuard[Dimensions]:
    return value in DIMENSIONS


def _is_origin(value: str) -> TypeGuard[Origin]:
    return value in ORIGINS


class MappingError(NotRetryable, ValueError):
    """One or more mapping rows are invalid; ``problems`` lists each as ``file line N: ...``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the mapping files:\n{listing}")


@dataclass(frozen=True)
class AccountMapping:
    ukg_account: str
    visma_account: str
    dimensions: Dimensions
    description: str
    source: str  # "accounts.csv line 4": where finance finds the row


@dataclass(frozen=True)
class SegmentMapping:
    ukg_level: int
    ukg_code: str
    segment_id: int
    segment_value: str
    description: str
    origin: Origin
    source: str


@dataclass(frozen=True)
class ProjectMapping:
    ukg_project: str
    visma_project: str
    visma_task: str
    description: str
    source: str


@dataclass(frozen=True)
class Mappings:
    """The validated mappings plus the segment settings they were checked against."""

    accounts: Mapping[str, AccountMapping]
    segments: Mapping[tuple[int, str], SegmentMapping]  # (ukg_level, ukg_code) → value
    projects: Mapping[str, ProjectMapping]
    segment_settings: tuple[SegmentSetting, ...]
    # generated rows shadowed by a manual row for the same code (reported, not an error)
    shadowed: tuple[SegmentMapping, ...] = field(default=())

    def segment_values(self, ukg_level: int) -> dict[str, str]:
        """``{ukg_code: segment_value}`` for one org level."""
        return {
            code: m.segment_value
            for (level, code), m in self.segments.items()
            if level == ukg_level
        }

    def accounts_frame(self) -> pd.DataFrame:
        """The account map as a frame, for a vectorised merge with the GL lines."""
        return pd.DataFrame(
            [
                (m.ukg_account, m.visma_account, m.dimensions, m.description)
                for m in self.accounts.values()
            ],
            columns=["ukg_account", "visma_account", "dimensions", "account_description"],
            dtype="string",
        )


@dataclass
class _Row:
    line: int
    values: dict[str, str]


def _read_rows(text: str, name: str, columns: Sequence[str], problems: list[str]) -> list[_Row]:
    """CSV rows with their physical line numbers; ``#`` lines and blank lines are skipped."""
    rows: list[_Row] = []
    header: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in next(csv.reader(io.StringIO(raw)))]
        if header is None:
            header = [c.lstrip("\ufeff") for c in cells]
            missing = [c for c in columns if c not in header]
            unknown = [c for c in header if c not in columns]
            if missing or unknown:
                problems.append(
                    f"{name} line {number}: header must be {','.join(columns)}"
                    + (f"; missing {', '.join(missing)}" if missing else "")
                    + (f"; unknown {', '.join(unknown)}" if unknown else "")
                )
                return []
            continue
        if len(cells) != len(header):
            problems.append(
                f"{name} line {number}: {len(cells)} cells, expected {len(header)}: {raw.strip()!r}"
            )
            continue
        rows.append(_Row(number, dict(zip(header, cells, strict=True))))
    if header is None:
        problems.append(f"{name}: empty file, expected the header {','.join(columns)}")
    return rows


def _required(row: _Row, name: str, columns: Iterable[str], problems: list[str]) -> bool:
    blank = [c for c in columns if not row.values[c]]
    for c in blank:
        problems.append(f"{name} line {row.line}: {c} is blank")
    return not blank


def _parse_accounts(text: str, name: str, problems: list[str]) -> dict[str, AccountMapping]:
    out: dict[str, AccountMapping] = {}
    for row in _read_rows(text, name, ACCOUNT_COLUMNS, problems):
        v = row.values
        if not _required(row, name, ("ukg_account", "visma_account", "dimensions"), problems):
            continue
        dimensions = v["dimensions"]
        if not _is_dimensions(dimensions):
            problems.append(
                f"{name} line {row.line}: dimensions {v['dimensions']!r} must be one of "
                f"{', '.join(DIMENSIONS)}"
            )
            continue
        if v["ukg_account"] in out:
            problems.append(
                f"{name} line {row.line}: duplicate ukg_account {v['ukg_account']!r} "
                f"(already on {out[v['ukg_account']].source})"
            )
            continue
        out[v["ukg_account"]] = AccountMapping(
            v["ukg_account"],
            v["visma_account"],
            dimensions,
            v["description"],
            f"{name} line {row.line}",
        )
    return out


def _parse_cost_centers(
    text: str,
    name: str,
    segments: Sequence[SegmentSetting],
    problems: list[str],
    *,
    generated_file: bool,
) -> dict[tuple[int, str], SegmentMapping]:
    by_level = {s.ukg_level: s for s in segments}
    out: dict[tuple[int, str], SegmentMapping] = {}
    for row in _read_rows(text, name, COST_CENTER_COLUMNS, problems):
        v = row.values
        where = f"{name} line {row.line}"
        if not _required(
            row, name, ("ukg_level", "ukg_code", "segment_id", "segment_value", "origin"), problems
        ):
            continue
        if not (v["ukg_level"].isdigit() and v["segment_id"].isdigit()):
            problems.append(f"{where}: ukg_level and segment_id must be whole numbers")
            continue
        level, segment_id = int(v["ukg_level"]), int(v["segment_id"])
        setting = by_level.get(level)
        if setting is None:
            problems.append(
                f"{where}: org level {level} is not mapped to a segment in settings.yaml "
                f"(mapped levels: {', '.join(str(k) for k in sorted(by_level))})"
            )
            continue
        if segment_id != setting.segment_id:
            problems.append(
                f"{where}: segment_id {segment_id} does not match settings.yaml, which maps org "
                f"level {level} to segment {setting.segment_id} ({setting.name})"
            )
            continue
        if len(v["segment_value"]) != len(setting.default):
            problems.append(
                f"{where}: segment_value {v['segment_value']!r} must have "
                f"{len(setting.default)} characters like the segment's default "
                f"{setting.default!r}"
            )
            continue
        origin = v["origin"]
        if not _is_origin(origin):
            problems.append(f"{where}: origin {v['origin']!r} must be manual or generated")
            continue
        if generated_file and v["origin"] != "generated":
            problems.append(f"{where}: rows in {GENERATED_COST_CENTERS} must have origin generated")
            continue
        key = (level, v["ukg_code"])
        if key in out:
            problems.append(
                f"{where}: duplicate org level {level} code {v['ukg_code']!r} "
                f"(already on {out[key].source})"
            )
            continue
        out[key] = SegmentMapping(
            level,
            v["ukg_code"],
            segment_id,
            v["segment_value"],
            v["description"],
            origin,
            where,
        )
    return out


def _parse_projects(text: str, name: str, problems: list[str]) -> dict[str, ProjectMapping]:
    out: dict[str, ProjectMapping] = {}
    for row in _read_rows(text, name, PROJECT_COLUMNS, problems):
        v = row.values
        if not _required(row, name, ("ukg_project", "visma_project", "visma_task"), problems):
            continue
        if v["ukg_project"] in out:
            problems.append(
                f"{name} line {row.line}: duplicate ukg_project {v['ukg_project']!r} "
                f"(already on {out[v['ukg_project']].source})"
            )
            continue
        out[v["ukg_project"]] = ProjectMapping(
            v["ukg_project"],
            v["visma_project"],
            v["visma_task"],
            v["description"],
            f"{name} line {row.line}",
        )
    return out


def parse_mappings(
    *,
    accounts: str,
    cost_centers: str,
    projects: str,
    segments: Sequence[SegmentSetting],
    generated_cost_centers: str | None = None,
    names: Mapping[str, str] | None = None,
) -> Mappings:
    """Build :class:`Mappings` from the files' texts (what :func:`load_mappings` reads)."""
    n = {
        "accounts": ACCOUNTS_FILE,
        "cost_centers": COST_CENTERS_FILE,
        "projects": PROJECTS_FILE,
        "generated": GENERATED_COST_CENTERS,
        **(names or {}),
    }
    problems: list[str] = []
    account_map = _parse_accounts(accounts, n["accounts"], problems)
    manual = _parse_cost_centers(
        cost_centers, n["cost_centers"], segments, problems, generated_file=False
    )
    generated = (
        _parse_cost_centers(
            generated_cost_centers, n["generated"], segments, problems, generated_file=True
        )
        if generated_cost_centers is not None
        else {}
    )
    project_map = _parse_projects(projects, n["projects"], problems)
    if problems:
        raise MappingError(problems)
    merged = dict(generated)
    merged.update(manual)  # manual rows win over what the alignment DAG generated
    shadowed = tuple(m for key, m in generated.items() if key in manual)
    return Mappings(account_map, merged, project_map, tuple(segments), shadowed)


def load_mappings(directory: Path | None = None, settings: Settings | None = None) -> Mappings:
    """Load and validate ``include/mappings`` (or ``directory``) against ``settings.segments``.

    Without ``directory``, a company's own folder (``company.mappings_dir`` of the settings
    given, e.g. ``load_settings().for_company("plant_b")``) is read: each company of a group
    posts through its own chart."""
    if directory is None and settings is not None:
        folder = settings.mappings_folder()
    else:
        folder = directory or mappings_dir()
    settings = settings or load_settings(folder)
    problems: list[str] = []
    texts: dict[str, str] = {}
    for key, file in (
        ("accounts", ACCOUNTS_FILE),
        ("cost_centers", COST_CENTERS_FILE),
        ("projects", PROJECTS_FILE),
    ):
        path = folder / file
        if not path.is_file():
            problems.append(f"{path}: file is missing")
        else:
            texts[key] = path.read_text(encoding="utf-8-sig")
    if problems:
        raise MappingError(problems)
    generated_path = folder / GENERATED_COST_CENTERS
    generated = generated_path.read_text(encoding="utf-8-sig") if generated_path.is_file() else None
    return parse_mappings(
        accounts=texts["accounts"],
        cost_centers=texts["cost_centers"],
        projects=texts["projects"],
        generated_cost_centers=generated,
        segments=settings.segments,
        names={
            "accounts": str(folder / ACCOUNTS_FILE),
            "cost_centers": str(folder / COST_CENTERS_FILE),
            "projects": str(folder / PROJECTS_FILE),
            "generated": str(generated_path),
        },
    )


def format_cost_center_rows(rows: Iterable[Mapping[str, object]]) -> str:
    """CSV text in the ``cost_centers*.csv`` layout (for the alignment DAG's generated file)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COST_CENTER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COST_CENTER_COLUMNS})
    return buf.getvalue()
