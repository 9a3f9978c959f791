"""DAG parse time per file, each in a fresh interpreter, with bytecode (target < 0.3 s).

    .venv/bin/python -m bench.dag_parse
    .venv/bin/python -m bench.dag_parse --importtime dags/ukg_visma_payroll_gl.py  # what it imports

What a dag-processor pays per file: it has Airflow imported already and then executes the DAG
file. So each measurement is a fresh interpreter that first imports ``airflow.sdk`` (reported
apart: "airflow.sdk import") and then times executing the file (``runpy.run_path``, the file's
own imports + building its DAG objects), best of 5 fresh interpreters. A first warm-up run writes
the ``.pyc`` files, so the figures are "with bytecode". "DagBag" is the same file parsed by
Airflow's ``DagBag`` (file processing, DAG checks, ``dag.validate``) in a fresh interpreter,
also after ``airflow.sdk`` is imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench.common import ROOT, child, load, machine

REPEAT = 3


def _one(path: str, how: str) -> dict:
    from bench.pay_period import _airflow_env

    _airflow_env()
    t = time.perf_counter()
    import airflow.sdk

    sdk = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    if how == "run":
        import runpy

        ns = runpy.run_path(path)
        dags = sum(1 for v in ns.values() if isinstance(v, airflow.sdk.DAG))
    else:
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=path)
        assert not bag.import_errors, bag.import_errors
        dags = len(bag.dags)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {"sdk_s": sdk, "parse_s": wall, "cpu_s": cpu, "dags": dags}


def main() -> None:
    print(f"DAG parse — {machine()}; {load()}")
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "dags").glob("*.py"))
    print(
        f"{'file':42} | {'run_path s':>10} | {'cpu s':>5} | {'DagBag s':>8} | {'cpu s':>5} | "
        f"{'sdk import s':>12} | dags"
    )
    for f in files:
        child("dag_parse", "--child", f, "run")  # warm-up: writes bytecode
        runs = [child("dag_parse", "--child", f, "run") for _ in range(REPEAT)]
        bags = [child("dag_parse", "--child", f, "bag") for _ in range(REPEAT)]
        best = min(r["parse_s"] for r in runs)
        print(
            f"{f:42} | {best:>10.3f} | {min(r['cpu_s'] for r in runs):>5.2f} | "
            f"{min(b['parse_s'] for b in bags):>8.3f} | {min(b['cpu_s'] for b in bags):>5.2f} | "
            f"{min(r['sdk_s'] for r in runs):>12.3f} | {bags[0]['dags']}"
        )
    print(f"(best of {REPEAT} fresh interpreters each; after: {load()})")


if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv[:1] == ["--child"]:
        print(json.dumps(_one(str(ROOT / argv[1]), argv[2])))
    elif argv[:1] == ["--importtime"]:
        code = (
            "from bench.pay_period import _airflow_env; _airflow_env(); import airflow.sdk; "
            f"import runpy; runpy.run_path({str(ROOT / argv[1])!r})"
        )
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        fields = [ln.split("|") for ln in out.stderr.splitlines() if ln.startswith("import time:")]
        rows = [(int(f[1]), f[2].rstrip()) for f in fields[1:] if f[1].strip().isdigit()]
        sdk = max(i for i, (_, name) in enumerate(rows) if name.strip() == "airflow.sdk")
        rows = rows[sdk + 1 :]  # what the DAG file imports on top of airflow.sdk
        print("imported by the file on top of airflow.sdk (cumulative, -X importtime inflates):")
        for cumulative, name in sorted(rows, reverse=True)[:30]:
            print(f"{cumulative / 1e6:8.3f} s  {name}")
    else:
        main()
