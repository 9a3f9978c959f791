"""The DAG-run note and the key figures in XCom: what a controller reads in the run list."""

from __future__ import annotations

from ukg_visma.ui.notes import note_text


def test_a_reconciled_run_names_period_totals_batches_and_result() -> None:
    figures = {
        "period": "2026-10",
        "ok": True,
        "result": "reconciled",
        "debit": "1,234,567.50",
        "credit": "1,234,567.50",
        "batches": ["000123", "000124"],
    }
    assert note_text(figures, state="succeeded") == (
        "Pay period 2026-10: reconciled — debit 1,234,567.50, credit 1,234,567.50, "
        "2 batch(es) (000123, 000124). See the Run report tab."
    )


def test_dry_runs_reversals_and_runs_without_figures() -> None:
    assert "dry run, nothing posted" in note_text(
        {"period": "2026-10", "dry_run": True}, state="succeeded"
    )
    reversal = note_text({"period": "2026-10", "reversed": ["7"], "ok": True}, state="succeeded")
    assert reversal.startswith("Pay period 2026-10: reversal of 7 — OK")
    assert note_text(None, state="failed").startswith("Pay-period run failed: no reconciliation")


def test_a_rejected_run_says_who_and_why() -> None:
    decision = {"approved": False, "by": "controller", "reason": "cost centre 360 is wrong"}
    assert note_text(None, state="succeeded", decision=decision, period="2026-10") == (
        "Pay period 2026-10: REJECTED by controller — cost centre 360 is wrong. Nothing was posted."
    )


def test_the_running_note_names_the_pay_period_or_the_refusal() -> None:
    import datetime as dt
    from types import SimpleNamespace

    from ukg_visma.ui.notes import running_note

    october = dt.datetime(2026, 9, 30, 22, 0, tzinfo=dt.UTC)  # 2026-10-01 00:00 in Oslo
    scheduled = SimpleNamespace(
        conf={}, run_type="scheduled", partition_key=None, data_interval_start=october
    )
    assert running_note(scheduled) == "Pay period 2026-10 — running (scheduled run)."
    manual = SimpleNamespace(
        conf={"period": "2026-06"}, run_type="manual", partition_key=None,
        data_interval_start=october,
    )  # fmt: skip
    assert running_note(manual) == "Pay period 2026-06 — running (manual run)."
    backfill = SimpleNamespace(
        conf={"period": "2026-06"}, run_type="backfill", partition_key=None,
        data_interval_start=october,
    )  # fmt: skip
    refused = running_note(backfill) or ""
    assert refused.startswith("Pay-period run refused: this backfill run is for pay period 2026-10")


def test_a_note_fits_airflows_1000_character_column_whatever_the_batch_count() -> None:
    # dag_run_note.content is VARCHAR(1000): a longer note made PostgreSQL refuse the scheduler's
    # flush after the listener returned, stopping the scheduler (204 batches, bench.mapped_posting)
    from airflow.models.dagrun import DagRunNote

    limit = DagRunNote.__table__.c.content.type.length
    batches = [f"{n:06d}" for n in range(1, 205)]
    figures = {"period": "2026-10", "ok": True, "result": "reconciled", "debit": "1.00",
               "credit": "1.00", "batches": batches}  # fmt: skip
    note = note_text(figures, state="succeeded")
    assert len(note) <= limit
    assert note == (
        "Pay period 2026-10: reconciled — debit 1.00, credit 1.00, 204 batch(es) (000001 … "
        "000204; every batch in the Run report). See the Run report tab."
    )
    reversal = note_text({"period": "2026-10", "reversed": batches, "ok": True}, state="x")
    rejected = note_text(
        None, state="x", decision={"approved": False, "reason": "r" * 5000}, period="2026-10"
    )
    assert len(reversal) <= limit and len(rejected) <= limit
    assert rejected.endswith("…")
