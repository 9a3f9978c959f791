"""OpenLineage from a real pay-period run: UKG GL runs in, Visma journal batches out.

The run goes through ``dag.test`` against the sandbox in a fresh interpreter whose Airflow has
the OpenLineage provider's **file transport** configured (the provider decides at plugin load
whether lineage is on, so the setting must be there before Airflow starts). The events the
provider wrote are then read back: the datasets and their ``ukgVismaPayroll`` facets must match
what the sandbox's UKG holds and what Visma now holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ledger_truth import ore
from payroll_helpers import our_batches

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
RUN = """
import sys
sys.path[:0] = [{here!r}, {shared!r}]
from payroll_helpers import run_period
print("STATE", run_period("2026-10").state)
"""


def _events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_posted_period_emits_ukg_inputs_and_visma_outputs_with_facets(payroll, tmp_path):
    events_file = tmp_path / "openlineage.jsonl"
    env = dict(os.environ)
    env["AIRFLOW__OPENLINEAGE__TRANSPORT"] = json.dumps(
        {"type": "file", "log_file_path": str(events_file), "append": True}
    )
    env["AIRFLOW__OPENLINEAGE__NAMESPACE"] = "ukg-visma-test"
    done = subprocess.run(
        [sys.executable, "-c", RUN.format(here=str(HERE), shared=str(HERE.parent / "shared"))],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "STATE success" in done.stdout, (done.stdout[-3000:], done.stderr[-5000:])
    events = _events(events_file)
    complete = [e for e in events if e.get("eventType") == "COMPLETE"]

    def job(event: dict) -> str:
        return str(event["job"]["name"])

    extract = [e for e in complete if job(e).endswith(".extract")]
    assert len(extract) == 1, sorted({job(e) for e in complete})
    inputs = extract[0]["inputs"]
    assert {d["name"].rsplit("/", 1)[-1] for d in inputs} == {"NMF-202610-R1", "NMF-202610-C1"}
    for d in inputs:
        assert d["namespace"].startswith("ukg://"), d
        facet = d["facets"]["ukgVismaPayroll"]
        assert facet["period"] == "2026-10" and facet["runId"] == d["name"].rsplit("/", 1)[-1]
        assert facet["version"] and facet["lines"] > 0

    posts = [e for e in complete if ".post_journal" in job(e)]
    # post_journal also reports the staging files it reads (ObjectStoragePath's own lineage:
    # UKG → staging → Visma); the Visma batches are the visma:// datasets
    found = [d for e in posts for d in e["outputs"] if d["namespace"].startswith("visma://")]
    outputs = list({(d["namespace"], d["name"]): d for d in found}.values())
    batches = {b["batchNumber"]: b for b in our_batches(payroll)}
    assert len(outputs) == len(batches) == 2, (outputs, list(batches))
    assert {d["facets"]["ukgVismaPayroll"]["batchNumber"] for d in outputs} == set(batches)
    for d in outputs:
        assert d["namespace"].startswith("visma://"), d
        facet = d["facets"]["ukgVismaPayroll"]
        batch = batches[facet["batchNumber"]]
        assert facet["period"] == "2026-10" and d["name"] == f"2026-10/{facet['journalKey']}"
        assert facet["lines"] == len(batch["journalTransactionLines"])
        debit = sum(
            ore(line.get("debitAmountInCurrency")) for line in batch["journalTransactionLines"]
        )
        assert facet["debit"] == facet["credit"] == f"{debit // 100}.{debit % 100:02d}"


def test_without_a_transport_nothing_is_collected_and_no_openlineage_client_is_imported():
    """No OpenLineage transport → Airflow's NoOpCollector → the report functions return at
    once, without reading the hook (an ``object()`` here, which has no config) and without
    importing the OpenLineage client."""
    code = """
import sys
from ukg_visma.lineage import report_gl_runs_read, report_journal_written
assert report_gl_runs_read(object(), "2026-10", [{"runId": "R1"}], {"runs": ["R1"]}) == 0
assert report_journal_written(object(), "2026-10", {"journal_key": "k"}, {}) is False
print("CLIENT", "openlineage.client" in sys.modules)
"""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENLINEAGE", "AIRFLOW__OPENLINEAGE"))
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "CLIENT False" in done.stdout, done.stdout
