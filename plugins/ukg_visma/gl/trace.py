"""Audit rows for the GL lines: every UKG source line → the Visma batch and line that hold it.

Pure: returns plain dicts in the shape ``ukg_visma.audit.records.upsert_records`` takes (this
module does not import the audit store). Called once after the transform (``status`` "mapped",
targets named by journal key) and again after posting (with the batch numbers, so the target
reads ``batch 000123 line 4``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ukg_visma.gl.line_hash import source_hashes
from ukg_visma.gl.transform import lineage_targets, segment_columns_of
from ukg_visma.money import to_decimal

__all__ = ["source_records"]

_DETAIL = [
    "run_id", "ukg_account", "org_level1", "org_level2", "org_level3", "org_level4", "project",
    "system_id", "visma_account", "visma_project", "visma_task",
]  # fmt: skip


def source_records(
    mapped: pd.DataFrame,
    lineage: pd.DataFrame,
    *,
    batch_numbers: Mapping[str, str] | None = None,
    status: str = "mapped",
) -> list[dict[str, Any]]:
    """One audit row per source line: key, content hash, target journal line(s), detail."""
    targets = lineage_targets(lineage, batch_numbers).set_index("source_key")["target"]
    segs = segment_columns_of(mapped)
    subaccount = mapped[segs[0]].astype("str")
    for col in segs[1:]:
        subaccount = subaccount + "-" + mapped[col].astype("str")
    frame = pd.DataFrame(
        {
            "source_key": mapped["source_key"],
            "source_hash": source_hashes(mapped),
            **{c: mapped[c] for c in _DETAIL},
            "subaccount": subaccount,
            "debit": mapped["debit_ore"].map(lambda o: str(to_decimal(o))),
            "credit": mapped["credit_ore"].map(lambda o: str(to_decimal(o))),
        }
    )
    frame["target"] = frame["source_key"].map(targets).fillna("")
    rows = []
    for rec in frame.astype(object).to_dict("records"):
        rows.append(
            {
                "source_key": rec.pop("source_key"),
                "source_hash": rec.pop("source_hash"),
                "target_kind": "journal_line",
                "target_key": rec.pop("target"),
                "status": status,
                "detail": rec,
            }
        )
    return rows
