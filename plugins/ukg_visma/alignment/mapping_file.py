"""Merge an alignment's result into the cost-centre mapping without touching finance's rows.

Why a companion file: ``include/mappings/cost_centers.csv`` is reviewed and kept by hand; a DAG
rewriting it would drop comments, reorder rows and blur who decided what. Generated rows go to
``cost_centers.generated.csv`` (``origin=generated``), which ``ukg_visma.mappings.load_mappings``
merges, a manual row winning for the same code. Generated rows are never dropped automatically:
a cost centre that disappeared from UKG still has history that a backfill must be able to post.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ukg_visma.alignment.models import AlignmentPlan, MappedCode
from ukg_visma.mappings import GENERATED_COST_CENTERS, format_cost_center_rows
from ukg_visma.settings import mappings_dir

__all__ = ["GENERATED_HEADER", "MappingMerge", "merge_generated_rows", "write_generated_file"]

GENERATED_HEADER = (
    "# Written by the ukg_visma_cost_center_alignment DAG; edits here are overwritten.\n"
    "# To adopt or override a row, copy it to cost_centers.csv with origin=manual (manual wins).\n"
)

Key = tuple[int, str]


@dataclass(frozen=True)
class MappingMerge:
    """The generated file's rows after the merge, and what changed against the previous file."""

    rows: tuple[dict[str, str], ...]
    added: tuple[Key, ...]
    updated: tuple[Key, ...]
    kept: tuple[Key, ...]  # earlier generated rows this plan no longer produces, kept
    dropped: tuple[Key, ...]  # earlier generated rows shadowed by a manual row, removed
    manual: tuple[Key, ...]  # codes the plan maps that a manual row already covers

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.dropped)


def _entries(existing: Any) -> list[Any]:
    """Rows of a ``Mappings`` (merged rows plus the generated rows a manual row shadows)."""
    if existing is None:
        return []
    segments = getattr(existing, "segments", existing)
    rows = list(segments.values()) if isinstance(segments, Mapping) else list(segments)
    return rows + list(getattr(existing, "shadowed", ()))


def _get(entry: Any, key: str) -> Any:
    return entry.get(key) if isinstance(entry, Mapping) else getattr(entry, key)


def merge_generated_rows(
    plan: AlignmentPlan | Iterable[MappedCode], existing: Any = None
) -> MappingMerge:
    """Rows for ``cost_centers.generated.csv``: previous generated rows updated by ``plan``.

    ``existing`` is the loaded ``ukg_visma.mappings.Mappings`` (or rows with ``origin``): manual
    rows are left where they are and suppress a generated row for the same level and code.
    Pass the plan made *after* applying (or a plan whose writes were applied) so that the rows
    describe values that exist on both sides.
    """
    mapped = plan.mapped if isinstance(plan, AlignmentPlan) else list(plan)
    manual: set[Key] = set()
    previous: dict[Key, dict[str, str]] = {}
    for entry in _entries(existing):
        key = (int(_get(entry, "ukg_level")), str(_get(entry, "ukg_code")))
        if _get(entry, "origin") == "manual":
            manual.add(key)
        else:
            previous[key] = {
                "ukg_level": str(key[0]),
                "ukg_code": key[1],
                "segment_id": str(_get(entry, "segment_id")),
                "segment_value": str(_get(entry, "segment_value")),
                "description": str(_get(entry, "description") or ""),
                "origin": "generated",
            }
    rows = {key: row for key, row in previous.items() if key not in manual}
    added: list[Key] = []
    updated: list[Key] = []
    covered_by_manual: list[Key] = []
    produced: set[Key] = set()
    for code in mapped:
        key = (code.ukg_level, code.ukg_code)
        if key in manual:
            covered_by_manual.append(key)
            continue
        produced.add(key)
        row = code.row("generated")
        if key not in rows:
            added.append(key)
        elif rows[key] != row:
            updated.append(key)
        rows[key] = row
    return MappingMerge(
        rows=tuple(rows[key] for key in sorted(rows)),
        added=tuple(sorted(added)),
        updated=tuple(sorted(updated)),
        kept=tuple(sorted(set(previous) - produced - manual)),
        dropped=tuple(sorted(set(previous) & manual)),
        manual=tuple(sorted(covered_by_manual)),
    )


def write_generated_file(
    merge: MappingMerge | Iterable[Mapping[str, object]], directory: Path | None = None
) -> Path:
    """Write ``cost_centers.generated.csv`` atomically (a reader never sees half a file)."""
    rows = merge.rows if isinstance(merge, MappingMerge) else tuple(merge)
    folder = Path(directory or mappings_dir())
    target = folder / GENERATED_COST_CENTERS
    text = GENERATED_HEADER + format_cost_center_rows(rows)
    fd, tmp = tempfile.mkstemp(prefix=".cost_centers.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o664)  # mkstemp's 0600 would hide the file from finance's reviewers
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
