"""GL transform + validate at 50k / 200k / 500k lines: seconds, peak RSS, growth, two baselines.

    .venv/bin/python -m bench.transform_scale                  # 50k, 200k, 500k
    .venv/bin/python -m bench.transform_scale 100000 1000000   # any sizes
    .venv/bin/python -m bench.transform_scale --profile 500000 # cProfile of the pipeline, top 25

For each size the export is generated once (``bench_transform.synthetic_export``) and staged as
Parquet, as the extract task stages it. Then each measurement runs in its **own fresh
interpreter**, so its peak RSS belongs to that size and that side alone:

- ``pipeline``: what the payroll DAG's transform + validate tasks do (``ukg_visma.gl``):
  read the staged Parquet → ``gl_frame`` → ``map_lines`` → ``build_journals`` → ``validate``.
  Seconds exclude the Parquet read (reported apart); best of 3 runs.
- ``rowloop``: the same work row by row with dicts (``bench_transform.naive_pipeline``); 1 run.
- ``floor``: a bare merge + groupby of the same rows: the amounts as int64 (parsed before
  timing), merged with the account table (UKG → Visma account), grouped by company, run, pay
  date, Visma account, org levels 2 and 3, project and side, summed. No validation, no lineage,
  no journals: the arithmetic a vectorised pipeline cannot go below. Best of 3 runs.

Peak RSS is the whole child process (interpreter + pandas + the staged frame + the work) at the
end of the first timed run; ``base`` is the RSS after imports and the Parquet read, before the
work. ``cpu s`` is the process CPU time of the best run (the machine is shared: wall time moves
with the other jobs' load, CPU time less so; Arrow kernels may use both cores).
Target (issue #16): 500k lines < 1 s and < 600 MB on this 2-core machine.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path

from bench.common import child, load, machine

SIZES = [50_000, 200_000, 500_000]


def _stage(n: int, directory: Path) -> Path:
    from bench.bench_transform import synthetic_export

    path = directory / f"gl_{n}.parquet"
    synthetic_export(n, seed=n % 997).to_parquet(path, index=False)
    return path


def _measure(kind: str, path: str) -> dict:
    """In the child: read the staged export, run ``kind``, report seconds and RSS."""
    import numpy as np
    import pandas as pd

    from bench.bench_transform import catalog, naive_pipeline, pandas_pipeline
    from bench.common import peak_rss_mb, rss_mb
    from ukg_visma.mappings import load_mappings
    from ukg_visma.money import ore_series
    from ukg_visma.settings import load_settings

    s = load_settings()
    m = load_mappings(settings=s)
    cat = catalog()
    start = time.perf_counter()
    raw = pd.read_parquet(path)
    read_s = time.perf_counter() - start
    base = rss_mb()
    if kind == "pipeline":
        pandas_pipeline(raw.head(1000), m, s, cat)  # warm-up: imports, caches

        def work() -> object:
            return pandas_pipeline(raw, m, s, cat)

        repeat = 3
    elif kind == "rowloop":

        def work() -> object:
            return naive_pipeline(raw, m, s, cat)

        repeat = 1
    else:
        net = (
            ore_series(raw["debitAmt"], allow_negative=True)[0]
            - ore_series(raw["creditAmt"], allow_negative=True)[0]
        ).to_numpy()
        lines = raw[["companyCode", "runId", "payDate", "baseSegment", "orgLevel2", "orgLevel3"]]
        lines = lines.assign(
            project=raw["project"].fillna(""),
            side=np.where(net < 0, "C", "D"),
            amount=np.abs(net),
        )
        table = pd.DataFrame(
            {
                "baseSegment": list(m.accounts),
                "visma_account": [a.visma_account for a in m.accounts.values()],
            }
        )
        by = ["companyCode", "runId", "payDate", "visma_account", "orgLevel2", "orgLevel3"]

        def work() -> object:
            merged = lines.merge(table, on="baseSegment", how="left")
            return merged.groupby([*by, "project", "side"], sort=True)["amount"].sum()

        repeat = 3
    best, cpu, result, peak = float("inf"), float("inf"), None, 0.0
    for i in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        result = work()
        best = min(best, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
        if i == 0:
            peak = peak_rss_mb()  # one run's peak (repeats only add allocator noise)
    return {
        "kind": kind,
        "lines": len(raw),
        "seconds": best,
        "cpu_s": cpu,
        "read_s": read_s,
        "base_mb": base,
        "peak_mb": peak,
        "result": result if isinstance(result, int) else None,
    }


def _profile(n: int) -> None:
    from bench.bench_transform import catalog, pandas_pipeline
    from ukg_visma.mappings import load_mappings
    from ukg_visma.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        import pandas as pd

        raw = pd.read_parquet(_stage(n, Path(tmp)))
    s = load_settings()
    m = load_mappings(settings=s)
    cat = catalog()
    pandas_pipeline(raw.head(1000), m, s, cat)
    prof = cProfile.Profile()
    prof.enable()
    pandas_pipeline(raw, m, s, cat)
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main(sizes: list[int]) -> list[dict]:
    print(f"transform + validate — {machine()}; {load()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = str(_stage(n, Path(tmp)))
            row = {k: child("transform_scale", "--child", k, path) for k in
                   ("pipeline", "rowloop", "floor")}  # fmt: skip
            assert row["pipeline"]["result"] == row["rowloop"]["result"], row
            rows.append(row)
    print(
        f"{'lines':>9} | {'pipeline s':>10} | {'cpu s':>5} | {'lines/s':>9} | {'peak MB':>7} | "
        f"{'base MB':>7} | "
        f"{'row-loop s':>10} | {'loop MB':>7} | {'floor s':>7} | {'x floor':>7} | growth"
    )
    prev = None
    for row in rows:
        p, r, f = row["pipeline"], row["rowloop"], row["floor"]
        growth = "" if prev is None else (
            f"{p['seconds'] / prev['seconds']:.2f}x time, {p['peak_mb'] / prev['peak_mb']:.2f}x MB "
            f"for {p['lines'] / prev['lines']:.1f}x lines"
        )  # fmt: skip
        print(
            f"{p['lines']:>9,} | {p['seconds']:>10.3f} | {p['cpu_s']:>5.2f} | "
            f"{p['lines'] / p['seconds']:>9,.0f} | "
            f"{p['peak_mb']:>7.0f} | {p['base_mb']:>7.0f} | {r['seconds']:>10.3f} | "
            f"{r['peak_mb']:>7.0f} | {f['seconds']:>7.3f} | {p['seconds'] / f['seconds']:>6.1f}x | "
            f"{growth}"
        )
        prev = p
    print(f"(after: {load()})")
    return rows


if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv[:1] == ["--child"]:
        print(json.dumps(_measure(argv[1], argv[2])))
    elif argv[:1] == ["--profile"]:
        _profile(int(argv[1]) if len(argv) > 1 else 500_000)
    else:
        main([int(a) for a in argv] or SIZES)
