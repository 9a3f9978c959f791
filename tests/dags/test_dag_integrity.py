"""Every DAG file imports cleanly, declares ownership and retries, and parses fast."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))
EXPECTED_DAG_IDS = {
    "ukg_visma_payroll_gl",
    "ukg_visma_employee_sync",
    "ukg_visma_cost_center_alignment",
}
# Generous bound for a 0.5 s budget: CI machines are slow and share two cores.
PARSE_BOUND_S = 1.5


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_expected_dag_ids(dagbag):
    assert set(dagbag.dag_ids) == EXPECTED_DAG_IDS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAG_IDS))
def test_dag_metadata(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.tags, f"{dag_id} has no tags"
    assert dag.doc_md, f"{dag_id} has no doc_md"
    for t in dag.tasks:
        assert t.owner and t.owner != "airflow", f"{dag_id}.{t.task_id} has no owner"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAG_IDS))
def test_remote_tasks_retry(dagbag, dag_id):
    """Tasks that talk to UKG or Visma retry at least twice (transient faults, 429)."""
    dag = dagbag.dags[dag_id]
    for t in dag.tasks:
        if "local-only" in (t.doc_md or t.doc or ""):
            continue
        assert t.retries >= 2, f"{dag_id}.{t.task_id} retries={t.retries}"


@pytest.mark.parametrize("path", DAG_FILES, ids=[p.stem for p in DAG_FILES])
def test_parse_time(path):
    """Parse each DAG file in a fresh interpreter, after Airflow itself is imported, and time it."""
    code = (
        "import time, runpy, sys\n"
        "import airflow.sdk\n"
        "t = time.perf_counter()\n"
        f"runpy.run_path({str(path)!r})\n"
        "print(time.perf_counter() - t)\n"
    )
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    elapsed = float(out.stdout.strip().splitlines()[-1])
    print(f"\n{path.name}: parsed in {elapsed:.3f} s (process {time.perf_counter() - start:.1f} s)")
    assert elapsed < PARSE_BOUND_S
