"""One readable line per failed try (issue #14), read from the real task log files.

The pay-period DAG runs as a worker runs it (``dag.test(use_executor=True)``, the LocalExecutor's
supervisor writing each try's log file; the api-server of ``test_no_secret_leaks``). Visma answers
the first journal POST with 503: ``post_journal``'s first try fails as an expected transient
condition. Its log must say so in the retry policy's one line — what failed, attempt k of n, next
try in s — and hold no stack trace; the second try posts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_fixture import QUICK_RETRIES, override_settings
from test_no_secret_leaks import ROOT, cluster  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.journey]


# In a process of its own: the LocalExecutor of ``dag.test(use_executor=True)`` keeps state per
# process, so a second api-server in the same pytest worker (after the secrets test's) is not used.
RUN = """
import json, sys
import pendulum
from airflow.dag_processing.dagbag import DagBag
at = pendulum.now("UTC").replace(microsecond=0)
dag = DagBag(dag_folder=sys.argv[1]).dags["ukg_visma_payroll_gl"]
conf = {"period": "2026-10", "run_id": "NMF-202610-R1,NMF-202610-C1"}
run = dag.test(run_after=at, logical_date=at, run_conf=conf, use_executor=True)
print(json.dumps({"state": str(run.state), "tries": [[t.task_id, t.map_index, t.try_number]
                  for t in run.get_task_instances()]}))
"""


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_transient_failure_logs_one_summary_line_and_no_trace(cluster, sandbox):  # noqa: F811
    _, logs = cluster
    override_settings(Path(os.environ["UKG_VISMA_MAPPINGS_DIR"]), retries=QUICK_RETRIES)
    sandbox.faults("visma", {"method": "POST", "path": r"^/v2/journaltransaction$",
                             "status": 503, "times": 1})  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(ROOT / "dags" / "ukg_visma_payroll_gl.py")],
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}"},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["state"] == "success", result
    tries = {(task, index): n for task, index, n in result["tries"]}
    retried = [key for key, n in tries.items() if key[0] == "post_journal" and n == 2]
    assert len(retried) == 1, tries
    folder = next(logs.rglob(f"task_id=post_journal/map_index={retried[0][1]}"))
    first, second = folder / "attempt=1.log", folder / "attempt=2.log"
    records = _records(first)
    text = first.read_text(encoding="utf-8")
    decisions = [r for r in records if r["event"] == "Retry policy decision"]
    assert len(decisions) == 1
    reason = decisions[0]["reason"]
    assert reason.startswith("post_journal failed (transient, TransientError): Visma.net POST "
                             "/v2/journaltransaction → 503: service unavailable")  # fmt: skip
    assert "attempt 1 of 6; next try in 1 s" in reason  # post_journal has retries=5
    exited = [r for r in records if r["event"] == "Task exited"]
    assert [r["exit_code"] for r in exited] == ["transient: TransientError"]
    # no trace: no error_detail/exception record, no frames, no "Task failed with exception"
    assert not [r for r in records if "error_detail" in r or "exception" in r]
    assert "Task failed with exception" not in text and "Traceback" not in text
    assert '"frames"' not in text and "exc_type" not in text
    assert [r["level"] for r in records if r["level"] in ("error", "critical")] == ["error"]
    later = _records(second)
    assert not [r for r in later if r["event"] in ("Retry policy decision", "Task exited")]
    assert not [r for r in later if r["level"] == "error"]
