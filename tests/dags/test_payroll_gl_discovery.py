"""Pay-run discovery from UKG's published operations only, judged from the Visma sandbox.

UKG publishes no pay-run listing: a month whose runs nobody announced (no GL event, not the most
recent export, nothing of ours in Visma) but whose pay period UKG shows closed must fail loudly,
naming the pay group and pay date — never end green with nothing posted. Given ``run_id`` (a
backfill of a month long past), the same month posts exactly, dated by paygroup-payperiods.
Both run as the scheduler makes them: partitioned runs keyed 2026-07 (``run_partition``).
"""

from __future__ import annotations

from pathlib import Path

from ledger_truth import ours, per_account, ukg_latest_per_account, visma_net
from payroll_helpers import run_partition, task_states


def _reports(tmp_path: Path, name: str) -> list[Path]:
    return sorted(Path(tmp_path).rglob(name))


def test_a_closed_pay_period_without_a_discoverable_run_fails_loudly(payroll, tmp_path):
    dagrun = run_partition("2026-07", run_type="scheduled", announce=False)
    states = task_states(dagrun)
    assert str(dagrun.state) == "failed" and states["wait_for_gl_export"] == "failed", states
    assert ours(payroll, live_only=False) == []  # nothing reached Visma
    import os

    home = Path(os.environ.get("AIRFLOW_HOME", tmp_path))
    reports = _reports(home, "discovery.md") + _reports(tmp_path, "discovery.md")
    assert reports, "the discovery report is written"
    text = reports[-1].read_text(encoding="utf-8")
    assert "pay group NO-M pay date 2026-07-24" in text and "run_id=" in text


def test_a_backfill_of_an_old_month_by_run_id_posts_exactly_with_the_pay_date(payroll):
    dagrun = run_partition("2026-07", announce=False, run_id="NMF-202607-R1")
    assert dagrun.partition_key == "2026-07" and dagrun.logical_date is None
    assert str(dagrun.state) == "success", task_states(dagrun)
    batches = ours(payroll)
    assert batches and {str(b["transactionDate"])[:10] for b in batches} == {"2026-07-24"}
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, ["NMF-202607-R1"])
