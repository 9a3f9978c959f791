from __future__ import annotations

from ukg_visma.audit import records as rec


def test_upsert_counts_attempts_and_never_stores_secrets(engine):
    rec.start_run(engine, "r1", "payroll_gl", "2026-10")
    row = {
        "source_key": "NMF-202610-R1/1/1",
        "status": "mapped",
        "detail": {"amount": "100.00", "access_token": "tok-123"},
    }
    rec.upsert_records(engine, "r1", "payroll_gl", "gl_line", [row])
    rec.upsert_records(engine, "r1", "payroll_gl", "gl_line", [{**row, "status": "posted"}])
    rows = rec.fetch_records(engine, run_id="r1")
    assert len(rows) == 1
    assert rows[0]["status"] == "posted"
    assert rows[0]["attempts"] == 2
    assert "access_token" not in rows[0]["detail"]
    rec.set_status(
        engine, "r1", "gl_line", ["NMF-202610-R1/1/1"], "released", target_key="batch 7 line 1"
    )
    assert rec.fetch_records(engine, run_id="r1")[0]["target_key"] == "batch 7 line 1"
    rec.finish_run(engine, "r1", "success", {"journals": 1, "password": "x"})
