"""``ukg_visma_payroll_gl`` end to end over real HTTP against both sandbox servers."""

from __future__ import annotations

import collections

import pytest
from payroll_helpers import our_batches, run_period, task_states

from ukg_visma.gl.journal import journal_key_from_batch

pytestmark = pytest.mark.e2e


def test_clean_period_posts_releases_and_reconciles(payroll):
    dagrun = run_period("2026-10")
    states = task_states(dagrun)
    assert str(dagrun.state) == "success", states
    batches = our_batches(payroll)
    keys = collections.Counter(journal_key_from_batch(b) for b in batches)
    assert keys and all(n == 1 for n in keys.values()), keys
    assert {b["status"] for b in batches} == {"Posted"}
    # the regular run and the off-cycle correction run are two journals (two pay dates)
    assert {k.split(":")[2] for k in keys} == {"NMF-202610-R1", "NMF-202610-C1"}


def test_every_source_line_is_traceable_to_its_visma_batch_line(payroll, tmp_path, capsys):
    from ukg_visma.audit.store import get_engine
    from ukg_visma.cli import main
    from ukg_visma.commands.audit import trace_rows

    dagrun = run_period("2026-10")
    assert str(dagrun.state) == "success"
    url = f"sqlite:///{tmp_path}/audit.db"
    rows = trace_rows(get_engine(url), "2026-10", None, None)
    batches = {b["batchNumber"]: b for b in our_batches(payroll)}
    assert rows and {r["status"] for r in rows} == {"posted"}
    for r in rows:
        # "batch 000002 line 7": that batch exists and has that line
        _, number, _, line = r["target_key"].split(" + ")[0].split()
        assert number in batches
        assert int(line) <= len(batches[number]["journalTransactionLines"])
    assert main(["audit", "trace", "--period", "2026-10", "--account", "5000",
                 "--cost-center", "110", "--audit-url", url]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "5000     110   posted" in out and "batch " in out


def test_approval_gate_sits_between_validation_and_posting(monkeypatch, tmp_path):
    """With approval_required, no journal task can start before a human approves."""
    import shutil
    from pathlib import Path

    from payroll_helpers import load_dag

    mappings = tmp_path / "mappings"
    shutil.copytree(Path(__file__).resolve().parents[2] / "include" / "mappings", mappings)
    text = (mappings / "settings.yaml").read_text()
    (mappings / "settings.yaml").write_text(
        text.replace("approval_required: false", "approval_required: true")
    )
    monkeypatch.setenv("UKG_VISMA_MAPPINGS_DIR", str(mappings))
    dag = load_dag()
    approve = dag.get_task("approve_posting")
    from airflow.providers.standard.operators.hitl import ApprovalOperator

    assert isinstance(approve, ApprovalOperator)
    # the form's reason field (kept on Reject), optional: the HITL form disables both buttons
    # while a non-nullable field is empty
    assert approve.params["decision_reason"] is None
    assert approve.params.get_param("decision_reason").schema["type"] == ["null", "string"]
    # What the UI's trigger form sends: every DAG param, the empty ones as null. The task's
    # params are resolved with the conf on top (Airflow's process_params); the form's field
    # must survive that (it was called 'reason' like the DAG's reversal param, and a UI-triggered
    # run failed approve_posting on "None is not of type 'string'").
    from airflow.sdk.definitions.param import process_params

    form_conf = {name: None for name in dag.params} | {"period": "2026-10", "dry_run": False}
    resolved = process_params(dag, approve, form_conf, suppress_exception=False)
    assert resolved["decision_reason"] is None and resolved["period"] == "2026-10"
    process_params(dag, approve, form_conf | {"reason": "wrong batch"}, suppress_exception=False)
    assert approve.upstream_task_ids == {"validate"}
    # Visma is read (plan) only after the approval, right before the posting
    upstream = {"validate", "fetch_catalog", "approve_posting"}
    assert dag.get_task("plan").upstream_task_ids == upstream
    assert dag.get_task("post_journal").upstream_task_ids == {"plan"}
    monkeypatch.delenv("UKG_VISMA_MAPPINGS_DIR")
    assert "approve_posting" not in load_dag().task_ids
