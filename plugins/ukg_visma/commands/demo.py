"""``ukg-visma demo``: the end-to-end walk-through behind ``make demo``.

Runs Airflow itself (``airflow dags list`` / ``airflow dags test``) as subprocesses, exactly as a
user would, so the demo proves the same path a deployment takes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

EXPECTED = ("ukg_visma_cost_center_alignment", "ukg_visma_employee_sync", "ukg_visma_payroll_gl")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the end-to-end demo (used by `make demo`)")
    parser.set_defaults(func=_run)


def _airflow(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["airflow", *args], capture_output=True, text=True, check=False)


def _run(args: argparse.Namespace) -> int:
    parsed = _airflow("dags", "reserialize")
    if parsed.returncode != 0:
        print(parsed.stderr[-2000:], file=sys.stderr)
        return parsed.returncode
    listed = _airflow("dags", "list", "-o", "plain")
    if listed.returncode != 0:
        print(listed.stderr[-2000:], file=sys.stderr)
        return listed.returncode
    errors = _airflow("dags", "list-import-errors", "-o", "plain")
    found = [d for d in EXPECTED if d in listed.stdout]
    print("DAGs known to Airflow:")
    for dag_id in found:
        print(f"  {dag_id}")
    missing = sorted(set(EXPECTED) - set(found))
    if missing or ("No data found" not in errors.stdout + errors.stderr and errors.stdout.strip()):
        print(f"missing DAGs: {missing}\n{errors.stdout}", file=sys.stderr)
        return 1
    return 0
