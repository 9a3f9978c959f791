"""Throughput of the GL transform + validation: pandas (what the DAG runs) vs plain Python.

    .venv/bin/python bench/bench_transform.py            # 10k, 100k, 1M lines
    .venv/bin/python bench/bench_transform.py 10000 50000

Both sides start from the same UKG GL export as the transform task reads it (the extract task
stages the raw lines as Parquet; here the Parquet round trip happens before timing) and do the
same work: parse amounts to øre, map accounts/org levels/projects, aggregate to journal
lines, split into balanced journals, keep the lineage, and validate every line against a Visma
catalog. The naive side loops over rows with dicts; the pandas side is ``ukg_visma.gl``.
Prints rows/s for each and the ratio. Figures are machine- and load-dependent: see RESULTS.md.
"""

from __future__ import annotations

import io
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from random import Random
from typing import Any

import numpy as np
import pandas as pd

from ukg_visma.gl.catalog import VismaCatalog
from ukg_visma.gl.export_frame import gl_frame
from ukg_visma.gl.split import split_balanced
from ukg_visma.gl.transform import build_journals, map_lines
from ukg_visma.gl.validate import validate
from ukg_visma.mappings import Mappings, load_mappings
from ukg_visma.money import parse_amount
from ukg_visma.settings import Settings, load_settings

EXPENSE = ["5000", "5020", "5090", "5400", "5405", "5420"]
BALANCE = ["2600", "2770", "2780", "2930", "2940", "2990"]
DEPTS = ["10", "20", "30", "40", "50"]
PROJECTS = ["PRJ1001", "PRJ1002", "PRJ1003"]


def synthetic_export(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` UKG GL lines as raw columns: employee pairs (expense debit / liability credit)."""
    rng = np.random.default_rng(seed)
    pairs = n // 2
    ore = rng.integers(100, 5_000_000, size=pairs)
    amounts = np.array([f"{o // 100}.{o % 100:02d}" for o in ore], dtype=object)
    plant = rng.integers(1, 4, size=pairs)
    dept = rng.integers(0, 5, size=pairs)
    centre = np.array([f"{p}{d + 1}0" for p, d in zip(plant, dept, strict=True)], dtype=object)
    depts = np.array(DEPTS, dtype=object)[dept]
    expense = np.array(EXPENSE, dtype=object)[rng.integers(0, 6, size=pairs)]
    liability = np.array(BALANCE, dtype=object)[rng.integers(0, 6, size=pairs)]
    on_project = rng.random(pairs) < 0.08
    chosen = np.array(PROJECTS, dtype=object)[rng.integers(0, 3, pairs)]
    project = np.where(on_project, chosen, np.full(pairs, None, dtype=object))
    employee = np.array([f"{10000 + i}" for i in range(pairs)], dtype=object)
    zero = np.full(pairs, "0.00", dtype=object)

    def inter(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.empty(pairs * 2, dtype=object)
        out[0::2], out[1::2] = a, b
        return out

    rows = pairs * 2
    block = np.arange(rows) // 2000 + 1
    frame = pd.DataFrame(
        {
            "runId": "NMF-202610-R1",
            "glRunDateTime": "2026-10-19T15:20:00Z",
            "blockId": block,
            "totalNrOfBlocks": int(block.max()),
            "coId": "C0001",
            "companyCode": "NMF",
            "payGroup": "NO-M",
            "periodStartDate": "2026-10-01",
            "periodEndDate": "2026-10-31",
            "payDate": "2026-10-23",
            "baseSegment": inter(expense, liability),
            "generalLedgerAccount": inter(expense, liability),
            "debitAmt": inter(amounts, zero),
            "creditAmt": inter(zero, amounts),
            "orgLevel1": inter(plant.astype(str).astype(object), plant.astype(str).astype(object)),
            "orgLevel2": inter(depts, depts),
            "orgLevel3": inter(centre, centre),
            "orgLevel4": None,
            "project": inter(project, np.full(pairs, None, dtype=object)),
            "employeeNumber": inter(employee, employee),
        }
    )
    return frame.astype(object)


def staged(raw: pd.DataFrame) -> pd.DataFrame:
    """The export after the extract task's Parquet staging, as the transform task reads it."""
    buf = io.BytesIO()
    raw.to_parquet(buf, index=False)
    buf.seek(0)
    return pd.read_parquet(buf)


def catalog() -> VismaCatalog:
    accounts = [{"accountCD": a, "active": True} for a in EXPENSE + BALANCE]
    centres = [f"{p}{d}0" for p in "123" for d in "12345"]
    segments = [
        {"segmentId": 1, "length": 2, "segmentValues": [{"value": v} for v in ["00", *DEPTS]]},
        {"segmentId": 2, "length": 3, "segmentValues": [{"value": v} for v in ["000", *centres]]},
    ]
    projects = [
        {"projectID": p, "status": "Active", "tasks": [{"taskId": "01"}]}
        for p in ("P1001", "P1002", "P1003")
    ]
    periods = [{"periodId": "202610", "active": True, "closedInGeneralLedger": False}]
    return VismaCatalog.from_api(
        accounts=accounts, dimension={"segments": segments}, projects=projects, periods=periods
    )


def pandas_pipeline(raw: pd.DataFrame, m: Mappings, s: Settings, cat: VismaCatalog) -> int:
    mapped = map_lines(gl_frame(raw), m)
    journals, lineage = build_journals(mapped, m, s)
    report = validate(mapped, journals, cat, "2026-10", settings=s)
    assert report.ok and len(lineage) == len(raw), report.to_markdown()
    return len(journals)


def naive_pipeline(raw: pd.DataFrame, m: Mappings, s: Settings, cat: VismaCatalog) -> int:
    """The same work, one row at a time with dicts (what one would write without pandas)."""
    segments = sorted(s.segments, key=lambda x: x.segment_id)
    level_codes = {x.segment_id: m.segment_values(x.ukg_level) for x in segments}
    agg: dict[tuple, int] = defaultdict(int)
    lineage: dict[tuple, list[str]] = defaultdict(list)
    findings: dict[tuple, list[str]] = defaultdict(list)
    position: dict[tuple, int] = defaultdict(int)
    cols = [raw[c].to_numpy() for c in raw.columns]
    names = {c: i for i, c in enumerate(raw.columns)}
    for row in zip(*cols, strict=True):
        run, block = row[names["runId"]], row[names["blockId"]]
        position[(run, block)] += 1
        key = f"{run}/{block}/{position[(run, block)]}"
        net = parse_amount(row[names["debitAmt"]], allow_negative=True) - parse_amount(
            row[names["creditAmt"]], allow_negative=True
        )
        ukg = str(row[names["baseSegment"]])
        account = m.accounts.get(ukg)
        if account is None:
            findings[("account_unmapped", ukg)].append(key)
            continue
        acc = cat.accounts.get(account.visma_account)
        if acc is None or not acc.active or acc.control_module:
            findings[("account", account.visma_account)].append(key)
        org = account.dimensions == "org"
        values = []
        for x in segments:
            code = row[names[f"orgLevel{x.ukg_level}"]]
            value = level_codes[x.segment_id].get(str(code)) if org else x.default
            if value is None:
                findings[("segment_unmapped", x.segment_id, code)].append(key)
                value = f"?{code}"
            seg_value = cat.segments[x.segment_id].values.get(value)
            if seg_value is None or not seg_value.active:
                findings[("segment_value", value)].append(key)
            values.append(value)
        project, task = "", ""
        ukg_project = row[names["project"]]
        if org and isinstance(ukg_project, str) and ukg_project:
            mapping = m.projects.get(ukg_project)
            if mapping is None:
                findings[("project_unmapped", ukg_project)].append(key)
            else:
                project, task = mapping.visma_project, mapping.visma_task
                found = cat.projects.get(project)
                if found is None or not found.open or task not in found.tasks:
                    findings[("project", project)].append(key)
        group = (row[names["companyCode"]], run, row[names["payDate"]])
        line: tuple[Any, ...] = (
            group, account.visma_account, *values, project, task, "C" if net < 0 else "D"
        )  # fmt: skip
        agg[line] += abs(net)
        lineage[line].append(key)
    period = cat.periods.get("202610")
    assert period is not None and period.open and not findings
    by_group: dict[tuple, tuple[list, list]] = defaultdict(lambda: ([], []))
    for line, amount in sorted(agg.items()):
        if amount:
            by_group[line[0]][0 if line[-1] == "D" else 1].append((line, amount))
    journals = 0
    for debits, credits in by_group.values():
        journals += len(split_balanced(debits, credits, s.payroll.line_limit))
    return journals


def _time(fn: Callable[..., int], *args: Any, repeat: int = 1) -> tuple[float, int]:
    """Best wall time of ``repeat`` runs: the machine is shared, the minimum is the signal."""
    best, result = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(sizes: list[int]) -> None:
    s = load_settings()
    m = load_mappings(settings=s)
    cat = catalog()
    print(f"{'lines':>9} | {'pandas rows/s':>14} | {'naive rows/s':>13} | {'ratio':>6} | journals")
    print(f"{'-' * 9}-+-{'-' * 14}-+-{'-' * 13}-+-{'-' * 6}-+---------")
    rng = Random(1)
    for n in sizes:
        raw = staged(synthetic_export(n, seed=rng.randint(0, 1000)))
        pandas_pipeline(raw.head(1000), m, s, cat)  # warm-up (imports, caches)
        repeat = 3 if n <= 100_000 else 1
        t_pd, j_pd = _time(pandas_pipeline, raw, m, s, cat, repeat=repeat)
        t_py, j_py = _time(naive_pipeline, raw, m, s, cat, repeat=repeat)
        assert j_pd == j_py, (j_pd, j_py)
        print(
            f"{len(raw):>9,} | {len(raw) / t_pd:>14,.0f} | {len(raw) / t_py:>13,.0f} | "
            f"{t_py / t_pd:>5.1f}x | {j_pd}"
        )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    main(args)
