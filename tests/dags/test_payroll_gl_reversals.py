"""Reversal on request, closed periods, one audit store for everyone, retries across stores.

Judged from the Visma sandbox's state (``ledger_truth``), not from the project's records.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ledger_truth import (
    OFF_CYCLE,
    PERIOD,
    REGULAR,
    journal_posts,
    key_of,
    last_call,
    ours,
    per_account,
    report_text,
    ukg_latest_per_account,
    use_store,
    value,
    visma_net,
)
from payroll_helpers import run_period, task_states

pytestmark = pytest.mark.e2e


def _without(net: dict, batch: dict) -> dict:
    """``net`` minus what ``batch`` contributes, per account."""
    out = dict(per_account(net))
    for line in batch["journalTransactionLines"]:
        account = str(value(line["accountNumber"]))
        amount = int(float(value(line["debitAmountInCurrency"]) or 0) * 100 + 0.5) - int(
            float(value(line["creditAmountInCurrency"]) or 0) * 100 + 0.5
        )
        out[account] = out.get(account, 0) - amount
    return {k: v for k, v in out.items() if v}


def test_reversal_requested_in_a_manual_run_reverses_once_and_a_rerun_posts_it_back(
    payroll, posted, monkeypatch, tmp_path
):
    target = next(b for b in ours(payroll) if f":{OFF_CYCLE}:" in key_of(b))
    number = target["batchNumber"]
    since = last_call(payroll)
    dagrun = run_period(PERIOD, reverse_batches=[number], reason="wrong cost centre")
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert journal_posts(payroll, since) == 1
    (reversal,) = [b for b in ours(payroll) if f":REV-{number}:" in key_of(b)]
    text = str(value(reversal["description"]))
    assert f"Reversal of batch {number}" in text and "wrong cost centre" in text
    assert reversal["status"] == "Posted"
    assert per_account(visma_net(payroll)) == _without(posted, target)
    assert "run the period again" in report_text(dagrun)

    # asked again, from another audit store: Visma already holds the reversal
    use_store(monkeypatch, tmp_path / "other.db")
    since = last_call(payroll)
    assert str(run_period(PERIOD, reverse_batches=[number]).state) == "success"
    assert journal_posts(payroll, since) == 0

    # the period run again posts the reversed run back (one adjustment), UKG = Visma again
    since = last_call(payroll)
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert journal_posts(payroll, since) == 1
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])


def test_the_reverse_command_reverses_once_and_refuses_what_it_must_not(
    payroll, posted, monkeypatch, tmp_path, capsys
):
    from ukg_visma.cli import main

    target = next(b for b in ours(payroll) if f":{REGULAR}:" in key_of(b))
    number = target["batchNumber"]
    since = last_call(payroll)
    assert main(["reverse", "--batch", number, "--reason", "posted twice by hand"]) == 0
    out = capsys.readouterr().out
    assert journal_posts(payroll, since) == 1
    (reversal,) = [b for b in ours(payroll) if f":REV-{number}:" in key_of(b)]
    assert f"batch {number} reversed by batch {reversal['batchNumber']}" in out
    assert per_account(visma_net(payroll)) == _without(posted, target)

    # again, from an empty store: nothing posted, and it says why
    use_store(monkeypatch, tmp_path / "empty.db")
    since = last_call(payroll)
    assert main(["reverse", "--batch", number]) == 0
    assert f"already reversed by batch {reversal['batchNumber']}" in capsys.readouterr().out
    assert journal_posts(payroll, since) == 0
    # a reversal is not reversed, an unknown batch is not invented
    assert main(["reverse", "--batch", reversal["batchNumber"]]) == 2
    assert "is itself the reversal" in capsys.readouterr().out
    assert main(["reverse", "--batch", "999999"]) == 2
    assert "does not exist in Visma" in capsys.readouterr().out
    assert journal_posts(payroll, since) == 0


def test_a_closed_period_moves_to_the_next_open_one_when_settings_say_so(
    payroll, monkeypatch, tmp_path
):
    settings = Path(os.environ["UKG_VISMA_MAPPINGS_DIR"]) / "settings.yaml"
    settings.write_text(
        settings.read_text().replace(
            "closed_period: fail", "closed_period: post_to_next_open_period"
        )
    )
    dagrun = run_period("2026-03")  # 202603 is closed in the sandbox's Visma
    assert str(dagrun.state) == "success", task_states(dagrun)
    batches = ours(payroll)
    assert batches and {b["financialPeriod"] for b in batches} == {"202604"}
    assert all("2026-03" in str(value(b["description"])) for b in batches)
    assert all(str(b["transactionDate"]).startswith("2026-04-01") for b in batches)
    # a re-run from an empty store finds them in 202604 and posts nothing
    use_store(monkeypatch, tmp_path / "empty.db")
    since = last_call(payroll)
    assert str(run_period("2026-03").state) == "success"
    assert journal_posts(payroll, since) == 0


def test_the_audit_cli_reads_the_store_the_tasks_use(payroll, pg_url, monkeypatch, capsys):
    """docker-compose sets only the ukg_visma_audit connection: tasks and CLI must agree."""
    from ukg_visma.cli import main

    monkeypatch.delenv("UKG_VISMA_AUDIT_URL")
    uri = pg_url.replace("postgresql+psycopg2://", "postgresql://")
    monkeypatch.setenv("AIRFLOW_CONN_UKG_VISMA_AUDIT", uri)
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    numbers = sorted(b["batchNumber"] for b in ours(payroll))
    assert main(["audit", "ledger", "--period", PERIOD]) == 0
    out = capsys.readouterr().out
    assert all(f"batch {n}" in out for n in numbers)
    assert "no ukg_visma_audit connection" not in out
    # the chain original → adjustment shows in trace
    payroll.ukg_admin("POST", f"/_sandbox/gl-runs/{OFF_CYCLE}/void", {})
    assert str(run_period(PERIOD).state) == "success"
    assert main(["audit", "trace", "--period", PERIOD, "--limit", "1"]) == 0
    out = capsys.readouterr().out
    off_cycle = next(b for b in ours(payroll) if f":{OFF_CYCLE}:" in key_of(b))
    assert f"reversal of {off_cycle['batchNumber']}" in out


def test_a_multi_worker_executor_without_a_shared_store_is_said_loudly(monkeypatch):
    from ukg_visma.audit.airflow import shared_store_warning

    monkeypatch.delenv("UKG_VISMA_AUDIT_URL", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_UKG_VISMA_AUDIT", raising=False)
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    assert shared_store_warning() is None
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    warning = shared_store_warning()
    assert warning and "ukg_visma_audit" in warning and "CeleryExecutor" in warning
    monkeypatch.setenv("UKG_VISMA_AUDIT_URL", "postgresql+psycopg2://u@h/db")
    assert shared_store_warning() is None


def test_a_retry_on_a_worker_with_another_audit_store_reads_visma_before_posting(
    payroll, monkeypatch, tmp_path
):
    """Attempt 1 (store A) posts and dies before recording; attempt 2 (store B) must adopt."""
    from ukg_visma.audit import ledger
    from ukg_visma.audit.store import get_engine
    from ukg_visma.hooks.exceptions import ValidationError
    from ukg_visma.hooks.visma import VismaHook
    from ukg_visma.tasks.payroll import posting

    dagrun = run_period(PERIOD, dry_run=True)  # stages the plan: refs are built, nothing posted
    assert str(dagrun.state) == "success", task_states(dagrun)
    from ukg_visma.periods import PayPeriod
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks.payroll.run import PayrollRun
    from ukg_visma.tasks.payroll.staged import stage_ref, staged_journals

    ctx = PayrollRun(run_key=dagrun.run_id, period=PayPeriod.parse(PERIOD))
    journal = staged_journals(ctx)[0]
    ref = stage_ref(ctx, journal, load_settings(), None)
    # the POST commits but its answer is lost, and the read-back fails too: outcome unknown
    payroll.faults(
        "visma",
        [
            {"method": "POST", "path": "^/v2/journaltransaction$", "times": 1,
             "drop_response_after_commit": True},
            {"method": "GET", "path": "^/v2/journaltransaction$", "status": 400, "times": 1},
        ],
    )  # fmt: skip
    engine_a = get_engine(f"sqlite:///{tmp_path}/worker-a.db")
    with pytest.raises(ValidationError):  # the read-back after the lost answer failed
        posting.post_journal(VismaHook(), engine_a, ref, ctx.period, owner="t/a", try_number=1)
    assert ledger.get(engine_a, journal.journal_key).status == "unknown"
    payroll.clear_faults("visma")
    assert len(ours(payroll)) == 1

    engine_b = get_engine(f"sqlite:///{tmp_path}/worker-b.db")  # knows nothing
    since = last_call(payroll)
    result = posting.post_journal(VismaHook(), engine_b, ref, ctx.period, owner="t/b", try_number=2)
    assert journal_posts(payroll, since) == 0
    (batch,) = ours(payroll)
    assert result["batch_number"] == batch["batchNumber"] and result["adopted"]
    assert key_of(batch) == journal.journal_key
