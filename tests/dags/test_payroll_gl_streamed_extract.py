"""The extract streams a run block by block (issue #24) and stages exactly what reading the
whole export at once gives: the same frame, the same completeness proof; the audit holds one row
per block whose counts and sums are the staged lines'. Judged against the UKG sandbox's export
read back in one piece."""

from __future__ import annotations

import pytest
from ledger_truth import PERIOD, REGULAR

pytestmark = pytest.mark.e2e


def _extract(tmp_path, run_id: str, key: str):
    from ukg_visma.audit import records
    from ukg_visma.audit.store import get_engine
    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.periods import PayPeriod
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks import staging
    from ukg_visma.tasks.payroll.extract import extract
    from ukg_visma.tasks.payroll.run import PayrollRun

    ctx = PayrollRun(run_key=key, period=PayPeriod.parse(PERIOD))
    engine = get_engine(f"sqlite:///{tmp_path}/{key}.db")
    result = extract(UkgHook(), engine, ctx, [{"runId": run_id}], load_settings())
    return result, staging.read_frame(result["lines"]), records.fetch_records(engine)


def _whole(run_id: str):
    """The export read in one piece and framed at once (what the extract did before #24)."""
    from ukg_visma.gl.completeness import check_complete
    from ukg_visma.gl.export_frame import gl_frame
    from ukg_visma.gl.line_hash import source_hashes
    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.tasks.payroll.gl_blocks import read_run

    frame = gl_frame(read_run(UkgHook(), run_id, 1))
    frame["source_hash"] = source_hashes(frame)
    return frame, check_complete(frame)


def test_streamed_extract_stages_what_the_whole_export_gives(payroll, tmp_path):
    info = payroll.ukg_admin("GET", f"/_sandbox/gl-runs/{REGULAR}/versions?lines=true")
    lines = info["versions"][-1]["glLines"]
    payroll.ukg_admin(
        "POST",
        f"/_sandbox/gl-runs/{REGULAR}/regenerate",
        {"emit": False, "lines": lines, "block_size": -(-len(lines) // 9)},
    )
    result, staged, rows = _extract(tmp_path, REGULAR, "streamed")
    whole, report = _whole(REGULAR)
    assert result["line_count"] == len(whole) == len(lines)
    assert staged.equals(whole.astype({"source_hash": "str"}))
    blocks = [r for r in rows if r["source_kind"] == "gl_block"]
    assert not [r for r in rows if r["source_kind"] == "gl_line"]  # no row per line
    assert [r["source_key"] for r in blocks] == [f"{REGULAR}/{b}" for b in range(1, 10)]
    assert sum(r["detail"]["lines"] for r in blocks) == len(whole)
    assert sum(r["detail"]["debit_ore"] for r in blocks) == report.runs[0].debit_ore
    assert sum(r["detail"]["credit_ore"] for r in blocks) == report.runs[0].credit_ore
    assert {r["detail"]["lines_uri"] for r in blocks} == {result["lines"]}


def test_a_large_repeated_export_is_exact_to_the_ore(payroll, tmp_path):
    """A run of ~40 × the regular one (the sandbox's ``repeat``, in 2,000-line blocks): every
    line staged once, the sums exactly 40 × the regular run's."""
    [run] = [r for r in payroll.ukg_state()["glRuns"] if r["runId"] == REGULAR]
    info = payroll.ukg_admin("GET", f"/_sandbox/gl-runs/{REGULAR}/versions?lines=true")
    base = info["versions"][-1]["glLines"]
    body = {"runId": "NMF-BIG-R1", "periodStartDate": "2026-10-01",
            "periodEndDate": "2026-10-31", "payDate": str(run["payDate"])[:10],
            "emit": False, "lines": base, "repeat": 40, "block_size": 2000}  # fmt: skip
    payroll.ukg_admin("POST", "/_sandbox/gl-runs", body)
    small, _ = _whole(REGULAR)
    result, staged, rows = _extract(tmp_path, "NMF-BIG-R1", "big")
    assert result["line_count"] == len(staged) == 40 * len(base)
    assert staged["system_id"].is_unique
    assert int(staged["debit_ore"].sum()) == 40 * int(small["debit_ore"].sum())
    assert int(staged["credit_ore"].sum()) == 40 * int(small["credit_ore"].sum())
    assert len([r for r in rows if r["source_kind"] == "gl_block"]) == -(-len(staged) // 2000)
