"""The extract reads a run's GL blocks concurrently (``payroll.gl_read_concurrency``) and stages
exactly what a sequential read stages — also through a 429 storm in the middle of the read; a
block that is missing still stops the run. Judged from the staged Parquet and the UKG sandbox's
own call log."""

from __future__ import annotations

import pytest
from ledger_truth import PERIOD, REGULAR

pytestmark = pytest.mark.e2e

BLOCKS = 12  # the regular run cut into this many blocks, so that readers overlap


def _cut_into_blocks(sandbox, blocks: int = BLOCKS, declared: int | None = None) -> int:
    """Regenerate the regular run in ``blocks`` blocks (lines saying ``declared`` of them);
    returns its line count."""
    info = sandbox.ukg_admin("GET", f"/_sandbox/gl-runs/{REGULAR}/versions?lines=true")
    lines = info["versions"][-1]["glLines"]
    body = {"emit": False, "lines": lines, "block_size": -(-len(lines) // blocks)}
    if declared is not None:
        body["declared_blocks"] = declared
    sandbox.ukg_admin("POST", f"/_sandbox/gl-runs/{REGULAR}/regenerate", body)
    return len(lines)


def _extract(tmp_path, readers: int, key: str):
    from ukg_visma.audit.store import get_engine
    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.periods import PayPeriod
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks import staging
    from ukg_visma.tasks.payroll.extract import extract
    from ukg_visma.tasks.payroll.run import PayrollRun

    settings = load_settings()
    settings = settings.model_copy(
        update={"payroll": settings.payroll.model_copy(update={"gl_read_concurrency": readers})}
    )
    ukg = UkgHook()
    ctx = PayrollRun(run_key=key, period=PayPeriod.parse(PERIOD))
    engine = get_engine(f"sqlite:///{tmp_path}/{key}.db")
    result = extract(ukg, engine, ctx, [{"runId": REGULAR}], settings)
    return result, staging.read_frame(result["lines"]), ukg


def _gl_reads(sandbox, since: int) -> list[dict]:
    return [
        c
        for c in sandbox.calls("ukg", since=since)
        if c["path"].startswith("/payroll/v2/general-ledger")
    ]


def _blocks_read(calls: list[dict]) -> list[int]:
    from urllib.parse import parse_qs

    return sorted(
        int(parse_qs(c.get("query") or "")["blockId"][0]) for c in calls if c["status"] == 200
    )


def _last(sandbox) -> int:
    return max((c["seq"] for c in sandbox.calls("ukg")), default=0)


def test_concurrent_read_stages_what_a_sequential_read_stages(payroll, tmp_path):
    count = _cut_into_blocks(payroll)
    since = _last(payroll)
    sequential, seq_frame, _ = _extract(tmp_path, 1, "sequential")
    seq_calls = _gl_reads(payroll, since)
    since = _last(payroll)
    concurrent, con_frame, hook = _extract(tmp_path, 4, "concurrent")
    con_calls = _gl_reads(payroll, since)

    assert sequential["line_count"] == concurrent["line_count"] == count
    assert seq_frame.equals(con_frame)  # same lines, same order, same hashes
    assert list(con_frame["block_id"].drop_duplicates()) == list(range(1, BLOCKS + 1))
    # each block 1..N read once, plus the one empty probe past the last (404), either way
    for calls in (seq_calls, con_calls):
        assert _blocks_read(calls) == list(range(1, BLOCKS + 1))
        assert [c["status"] for c in calls].count(404) == 1
    assert hook.stats.requests >= BLOCKS + 1  # the readers' counters reach the task's hook


def test_a_429_storm_mid_read_still_ends_complete(payroll, tmp_path):
    count = _cut_into_blocks(payroll)
    _, expected, _ = _extract(tmp_path, 1, "sequential")
    # three block reads go through, then the next six GL calls answer 429 (fewer than the
    # retry policy's eight attempts, so no single read can run out of them)
    payroll.faults(
        "ukg",
        [
            {"method": "GET", "path": "general-ledger", "latency_ms": 1, "times": 3},
            {"method": "GET", "path": "general-ledger", "status": 429, "times": 6,
             "retry_after": 0},
        ],
    )  # fmt: skip
    since = _last(payroll)
    result, frame, hook = _extract(tmp_path, 4, "storm")
    calls = _gl_reads(payroll, since)

    assert [c["status"] for c in calls].count(429) == 6
    assert result["line_count"] == count
    assert frame.equals(expected)
    assert _blocks_read(calls) == list(range(1, BLOCKS + 1))  # each block delivered once
    assert hook.stats.rate_limited == 6 and hook.stats.retries >= 6


def test_a_missing_block_still_stops_the_extract(payroll, tmp_path):
    from ukg_visma.gl.extract import IncompleteExportError

    _cut_into_blocks(payroll, declared=BLOCKS + 1)  # lines say 13 blocks; UKG serves 12
    with pytest.raises(IncompleteExportError) as err:
        _extract(tmp_path, 4, "missing")
    assert f"run {REGULAR}: block(s) {BLOCKS + 1} of {BLOCKS + 1} not read" in str(err.value)


def test_lines_beyond_the_declared_block_count_are_still_named(payroll, tmp_path):
    from ukg_visma.gl.extract import IncompleteExportError

    _cut_into_blocks(payroll, declared=BLOCKS - 3)  # lines say 9 blocks; UKG serves 12
    with pytest.raises(IncompleteExportError) as err:
        _extract(tmp_path, 4, "beyond")
    assert f"run {REGULAR}: block(s) 10, 11, 12 beyond totalNrOfBlocks 9" in str(err.value)


def test_a_listed_run_whose_first_block_is_missing_stops_the_extract(payroll, tmp_path):
    """UKG lists the run as completed with a GL export, but block 1 answers 404: the run is not
    quietly read as empty (the period would be called done without it)."""
    from ukg_visma.gl.extract import IncompleteExportError

    payroll.faults("ukg", {"method": "GET", "path": "general-ledger", "status": 404, "times": 1})
    since = _last(payroll)
    with pytest.raises(IncompleteExportError) as err:
        _extract(tmp_path, 4, "first-missing")
    assert f"run {REGULAR}: UKG lists it as completed with a GL export, but block 1" in str(
        err.value
    )
    assert [c["status"] for c in _gl_reads(payroll, since)] == [404]  # nothing else was read
