from __future__ import annotations

from gl_factory import MAPPINGS, SETTINGS, export, two_employees

from ukg_visma.gl.trace import source_records
from ukg_visma.gl.transform import transform

KEY = "nordicmfg:NMF:NMF-202610-R1:20261019T152000Z:0"


def test_one_audit_row_per_source_line_with_its_target():
    result = transform(export(two_employees()), MAPPINGS, SETTINGS)
    rows = source_records(result.mapped, result.lineage)
    assert len(rows) == 9 and len({r["source_key"] for r in rows}) == 9
    first = rows[0]
    assert first["source_key"] == "NMF-202610-R1/1/1"
    assert len(first["source_hash"]) == 64
    assert (first["target_kind"], first["target_key"], first["status"]) == (
        "journal_line",
        f"{KEY} line 4",
        "mapped",
    )
    assert first["detail"] == {
        "run_id": "NMF-202610-R1", "ukg_account": "5000", "org_level1": "MOS",
        "org_level2": "10", "org_level3": "110", "org_level4": "", "project": "",
        "system_id": "1", "visma_account": "5000", "visma_project": "",
        "visma_task": "", "subaccount": "10-110", "debit": "41250.00", "credit": "0.00",
    }  # fmt: skip
    posted = source_records(
        result.mapped, result.lineage, batch_numbers={KEY: "000123"}, status="posted"
    )
    assert posted[0]["target_key"] == "batch 000123 line 4" and posted[0]["status"] == "posted"
