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
    # partitioned (since the switch): the key names the period, there is no data interval
    keyed = SimpleNamespace(
        conf={}, run_type="backfill", partition_key="2026-07", data_interval_start=None
    )
    assert running_note(keyed) == "Pay period 2026-07 — running (backfill run)."
    keyed.conf = {"period": "2026-08"}
    assert (running_note(keyed) or "").startswith(
        "Pay-period run refused: this backfill run is for pay period 2026-07 (its partition key)"
    )
    # a run made before the switch: its data interval
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


def test_a_failed_period_names_the_task_and_the_cause() -> None:
    failure = ("validate", "validation FAILED with 2 error(s): cost centre 360 has no mapping "
                           "(3 rows). Nothing was posted; fix the mapping or the data, then "
                           "clear validate")  # fmt: skip
    assert note_text(None, state="failed", period="2026-04", failure=failure) == (
        "Pay period 2026-04: FAILED in validate — validation FAILED with 2 error(s): cost centre "
        "360 has no mapping (3 rows). Nothing was posted; fix the mapping or the data, then "
        "clear validate. See the Run report tab."
    )


def test_the_employee_sync_note_counts_changes_pending_quarantine_and_headcount() -> None:
    from ukg_visma.ui.notes import sync_note_text

    summary = {
        "changes": {"hire": 2, "termination": 1, "transfer": 1, "return_from_leave": 1},
        "pending": 1, "quarantined": 0, "mismatches": 0, "cost_centres": 12,
        "headcount": {"ukg_active": 120, "visma_active": 120}, "outcome": "success",
    }  # fmt: skip
    assert sync_note_text(summary, state="succeeded") == (
        "Employee sync: 2 hires, 1 termination, 1 transfer, 1 return from leave change; 1 "
        "pending, 0 quarantined; headcount OK (120 employed in 12 cost centre(s), UKG = Visma). "
        "See the Run report tab."
    )
    quiet = sync_note_text({**summary, "changes": {}, "quarantined": 2,
                            "outcome": "success_with_quarantine"}, state="succeeded")  # fmt: skip
    assert quiet.startswith("Employee sync: no employee changed; 1 pending, 2 quarantined")
    assert "— success with quarantine." in quiet
    failed = sync_note_text(None, state="failed", failure=("check_headcount", "mismatch in 360"))
    assert failed == (
        "Employee sync: FAILED in check_headcount — mismatch in 360. See the Run report tab."
    )


def test_the_alignment_note_says_dry_run_or_applied() -> None:
    from ukg_visma.ui.notes import alignment_note_text

    counts = {"visma_inserts": 3, "visma_updates": 0, "departments_to_create": 3,
              "unresolved_conflicts": 1, "for_hr": 0}  # fmt: skip
    assert alignment_note_text({**counts, "dry_run": True}, state="succeeded") == (
        "Cost-centre alignment (dry run, nothing written): 3 SUBACCOUNT value(s) to create, 0 "
        "to update, 3 department(s); 1 unresolved conflict(s). See the Run report tab."
    )
    applied = alignment_note_text({**counts, "unresolved_conflicts": 0}, state="succeeded")
    assert applied == (
        "Cost-centre alignment applied: created 3 SUBACCOUNT value(s) and 3 department(s), "
        "updated 0; both sides agree. See the Run report tab."
    )


def test_the_sync_note_keeps_hires_first_whatever_order_xcom_hands_back() -> None:
    from ukg_visma.ui.notes import sync_note_text

    summary = {"changes": {"termination": 48, "hire": 1128}, "pending": 0, "quarantined": 24,
               "mismatches": 0, "cost_centres": 15, "headcount": {"ukg_active": 1128},
               "outcome": "success_with_quarantine"}  # fmt: skip
    assert sync_note_text(summary, state="succeeded").startswith(
        "Employee sync: 1128 hires, 48 terminations; 0 pending, 24 quarantined; headcount OK"
    )
