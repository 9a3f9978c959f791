"""A pay run lands in Visma once and whole — judged from the Visma sandbox's own state.

Every test ends with Visma's net for the period compared with UKG's latest GL versions, computed
here from the sandboxes' raw state (not from the project's ledger or parsers): per account from
the UKG lines, and per account × subaccount × project against a clean posting of the latest
versions into an empty Visma with an empty audit store.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from ledger_truth import (
    OFF_CYCLE,
    PERIOD,
    PID,
    REGULAR,
    SCAN,
    assert_one_live_batch_per_key,
    journal_posts,
    key_of,
    last_call,
    ore,
    ours,
    per_account,
    period_listings,
    report_text,
    ukg_latest_per_account,
    use_store,
    value,
    visma_net,
)
from payroll_helpers import run_period, task_states

pytestmark = pytest.mark.e2e


def clean_posting_net(sandbox, monkeypatch, tmp_path) -> dict:
    """Visma's net after posting UKG's latest versions into an empty Visma, fresh store."""
    sandbox.visma_admin("POST", "/_sandbox/reset", {"scenario": "manufacturer", "seed": 42})
    use_store(monkeypatch, tmp_path / "clean-audit.db")
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    return visma_net(sandbox)


def test_an_empty_audit_store_posts_nothing_again(payroll, posted, monkeypatch, tmp_path):
    batches = {b["batchNumber"] for b in ours(payroll)}
    since = last_call(payroll)
    use_store(monkeypatch, tmp_path / "audit-b.db")  # a lost store, a new worker, a restore
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert journal_posts(payroll, since) == 0
    assert {b["batchNumber"] for b in ours(payroll)} == batches
    assert visma_net(payroll) == posted
    assert_one_live_batch_per_key(payroll)
    # discovery read it once (run ids of our journal keys), the plan once, reconcile once
    # more — each over the period and the bounded scan of later ones where moved batches may
    # be (gl/holdings.search_periods: two here): not once per journal
    assert period_listings(payroll, since) == 1 + 2 * SCAN
    assert "already in Visma" in report_text(dagrun)
    # store B learned Visma's batches: the ledger is a cache of Visma again
    from ukg_visma.audit import ledger
    from ukg_visma.audit.store import get_engine

    known = {e.batch_number for e in ledger.list_period(get_engine(), PERIOD)}
    assert known == batches


def _changed_lines(sandbox, run_id: str, ore: int) -> list[dict]:
    """The run's lines with ``ore`` more wages on the first 5000 line and as much more net pay."""
    info = sandbox.ukg_admin("GET", f"/_sandbox/gl-runs/{run_id}/versions?lines=true")
    lines = [dict(x) for x in info["versions"][-1]["glLines"]]
    wages = next(i for i, x in enumerate(lines) if x["baseSegment"] == "5000")
    net = next(i for i, x in enumerate(lines) if x["baseSegment"] == "2930")
    bump = Decimal(ore) / 100
    lines[wages]["debitAmt"] = str(Decimal(lines[wages]["debitAmt"]) + bump)
    lines[net]["creditAmt"] = str(Decimal(lines[net]["creditAmt"]) + bump)
    return lines


def test_a_reexport_with_unchanged_lines_posts_nothing(payroll, posted, monkeypatch, tmp_path):
    payroll.ukg_admin("POST", f"/_sandbox/gl-runs/{REGULAR}/regenerate", {"emit": False})
    since = last_call(payroll)
    use_store(monkeypatch, tmp_path / "audit-c.db")
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert journal_posts(payroll, since) == 0
    assert visma_net(payroll) == posted
    assert "re-export unchanged" in report_text(dagrun)


def test_a_changed_reexport_posts_one_adjustment_equal_to_the_difference(
    payroll, posted, monkeypatch, tmp_path
):
    before = {b["batchNumber"] for b in ours(payroll)}
    payroll.ukg_admin(
        "POST",
        f"/_sandbox/gl-runs/{REGULAR}/regenerate",
        {"emit": False, "lines": _changed_lines(payroll, REGULAR, 12_345)},
    )
    since = last_call(payroll)
    dagrun = run_period(PERIOD)  # same store A: the ledger knows v1, Visma decides
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert journal_posts(payroll, since) == 1
    (adjustment,) = [b for b in ours(payroll) if b["batchNumber"] not in before]
    assert "-ADJ1:" in key_of(adjustment) and adjustment["status"] == "Posted"
    lines = adjustment["journalTransactionLines"]
    assert sorted((str(value(x["accountNumber"])), ore(x["debitAmountInCurrency"]),
                   ore(x["creditAmountInCurrency"])) for x in lines) == [
        ("2930", 0, 12_345), ("5000", 12_345, 0)]  # fmt: skip
    after = visma_net(payroll)
    assert per_account(after) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])
    assert "adjustment" in report_text(dagrun)
    # a re-run after the adjustment posts nothing more
    since = last_call(payroll)
    assert str(run_period(PERIOD).state) == "success"
    assert journal_posts(payroll, since) == 0
    assert_one_live_batch_per_key(payroll)
    assert after == clean_posting_net(payroll, monkeypatch, tmp_path)


def test_reverse_and_repost_mode_reverses_then_posts_the_version_in_full(
    payroll, posted, monkeypatch, tmp_path
):
    mappings = Path(__import__("os").environ["UKG_VISMA_MAPPINGS_DIR"])
    settings = mappings / "settings.yaml"
    settings.write_text(
        settings.read_text().replace(
            "correction_mode: delta", "correction_mode: reverse_and_repost"
        )
    )
    regular_before = [b for b in ours(payroll) if f":{REGULAR}:" in key_of(b)]
    payroll.ukg_admin(
        "POST",
        f"/_sandbox/gl-runs/{REGULAR}/regenerate",
        {"emit": False, "lines": _changed_lines(payroll, REGULAR, 500)},
    )
    since = last_call(payroll)
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert journal_posts(payroll, since) == 2 * len(regular_before)
    keys = [key_of(b) for b in ours(payroll)]
    for b in regular_before:
        assert sum(f":REV-{b['batchNumber']}:" in k for k in keys) == 1
    after = visma_net(payroll)
    assert per_account(after) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])
    assert_one_live_batch_per_key(payroll)
    assert after == clean_posting_net(payroll, monkeypatch, tmp_path)


def test_a_voided_run_is_reversed_once(payroll, posted, monkeypatch, tmp_path):
    off_cycle = [b for b in ours(payroll) if f":{OFF_CYCLE}:" in key_of(b)]
    assert off_cycle
    payroll.ukg_admin("POST", f"/_sandbox/gl-runs/{OFF_CYCLE}/void", {})
    since = last_call(payroll)
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert journal_posts(payroll, since) == len(off_cycle)
    reversals = [b for b in ours(payroll) if ":REV-" in key_of(b)]
    assert {key_of(b).split(":")[3] for b in reversals} == {
        f"REV-{b['batchNumber']}" for b in off_cycle
    }
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR])
    assert "voided in UKG" in report_text(dagrun)
    since = last_call(payroll)
    use_store(monkeypatch, tmp_path / "audit-d.db")  # and again, from an empty store
    assert str(run_period(PERIOD).state) == "success"
    assert journal_posts(payroll, since) == 0


def test_an_off_cycle_run_gets_its_own_journal_without_touching_the_regular_one(
    payroll, posted, monkeypatch, tmp_path
):
    before = {b["batchNumber"]: b["status"] for b in ours(payroll)}
    payroll.ukg_admin(
        "POST",
        "/_sandbox/gl-runs",
        {
            "runId": "NMF-202610-B1",
            "runType": "Bonus",
            "periodStartDate": "2026-10-01",
            "periodEndDate": "2026-10-31",
            "payDate": "2026-10-28",
            "emit": False,
            "lines": [
                {"baseSegment": "5000", "generalLedgerAccount": "5000-10-110",
                 "accountType": "Expense", "orgLevel1": "1", "orgLevel2": "10",
                 "orgLevel3": "110", "description": "Bonus", "debitAmt": "15000.00",
                 "creditAmt": "0.00"},
                {"baseSegment": "2930", "generalLedgerAccount": "2930",
                 "accountType": "Liability", "description": "Net pay", "debitAmt": "0.00",
                 "creditAmt": "15000.00"},
            ],
        },
    )  # fmt: skip
    since = last_call(payroll)
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert journal_posts(payroll, since) == 1
    now = {b["batchNumber"]: b["status"] for b in ours(payroll)}
    assert {k: now[k] for k in before} == before  # the regular run's batches untouched
    (new,) = [b for b in ours(payroll) if b["batchNumber"] not in before]
    assert ":NMF-202610-B1:" in key_of(new)
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(
        payroll, [REGULAR, OFF_CYCLE, "NMF-202610-B1"]
    )


def test_a_duplicated_batch_in_visma_stops_the_period_and_fails_reconciliation(
    payroll, posted, monkeypatch, tmp_path
):
    """Two live batches for one key (posted by hand, or by an older release): never ignored."""
    from ukg_visma.hooks.visma import VismaHook

    original = next(b for b in ours(payroll) if f":{REGULAR}:" in key_of(b))
    copy = {
        "transactionDate": {"value": original["transactionDate"]},
        "financialPeriod": {"value": PID},
        "description": {"value": value(original["description"])},
        "hold": {"value": False},
        "journalTransactionLines": [
            {
                "operation": "Insert",
                "accountNumber": {"value": value(x["accountNumber"])},
                "subaccount": x["subaccount"] if isinstance(x["subaccount"], list)
                else x["subaccount"].get("segments"),
                "debitAmountInCurrency": {"value": value(x["debitAmountInCurrency"])},
                "creditAmountInCurrency": {"value": value(x["creditAmountInCurrency"])},
                "referenceNumber": {"value": value(x["referenceNumber"])},
                **({"project": {"value": value(x["project"])}}
                   if value(x.get("project")) not in (None, "", "X") else {}),
            }
            for x in original["journalTransactionLines"]
        ],
    }  # fmt: skip
    since = last_call(payroll)
    visma = VismaHook()
    visma.create_journal(copy)
    # released, as an older release of the connector (or a person) would have left it: an
    # unreleased copy is only a candidate for the key, and the settle protocol empties it
    (number,) = {b["batchNumber"] for b in ours(payroll) if key_of(b) == key_of(original)} - {
        original["batchNumber"]
    }
    visma.release_journal(number)
    dagrun = run_period(PERIOD)
    states = task_states(dagrun)
    assert str(dagrun.state) == "failed" and states["plan"] == "failed", states
    assert journal_posts(payroll, since) == 1  # the copy made by hand, nothing by the run
    plan = report_text(dagrun, "posting_plan.md")
    assert key_of(original) in plan and original["batchNumber"] in plan

    # the reconciliation, run on its own over the same Visma state, fails on it too
    from ukg_visma.gl.holdings import held_batches
    from ukg_visma.gl.reconcile import reconcile_held

    held = held_batches(payroll.visma_state()["journals"], tenant="nordicmfg")
    runs = {b.run for b in held}
    report = reconcile_held(None, held, runs=runs)
    assert not report.ok and key_of(original) in report.duplicate_journals


def test_an_export_that_understates_its_block_count_stops_before_posting(
    payroll, monkeypatch, caplog
):
    """Also #27: the malformed export fails the period in extract, and the failed run's note
    is written without a ``DetachedInstanceError`` (a run note read outside its session)."""
    import logging

    from approvals import note_of

    info = payroll.ukg_admin("GET", f"/_sandbox/gl-runs/{REGULAR}/versions?lines=true")
    lines = info["versions"][-1]["glLines"]
    block_size = -(-len(lines) // 3)  # three real blocks
    payroll.ukg_admin(
        "POST",
        f"/_sandbox/gl-runs/{REGULAR}/regenerate",
        {"emit": False, "lines": lines, "block_size": block_size, "declared_blocks": 2},
    )
    with caplog.at_level(logging.ERROR, logger="ukg_visma.ui.notes"):
        dagrun = run_period(PERIOD)
    states = task_states(dagrun)
    assert str(dagrun.state) == "failed" and states["extract"] == "failed", states
    assert journal_posts(payroll) == 0 and ours(payroll) == []
    text = report_text(dagrun, "extract.md")
    assert f"run {REGULAR}: block(s) 3 beyond totalNrOfBlocks 2" in text
    note = note_of(dagrun) or ""
    # written when the run failed (not left at "running"): the generic failure sentence
    assert note.startswith(f"Pay period {PERIOD}: run failed before reconciliation"), note
    assert not [r for r in caplog.records if "could not write the note" in r.getMessage()]
    assert "DetachedInstanceError" not in caplog.text


def test_a_non_iso_pay_period_end_date_is_a_finding_naming_the_line(payroll, tmp_path):
    """The GL endpoint serves what it was given; the extract names the line and the field
    (``payPeriodEndDate`` is a published date field; it is also the pay-date fallback)."""
    from ukg_visma.audit.store import get_engine
    from ukg_visma.gl.extract import MalformedExportError
    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.periods import PayPeriod
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks.payroll import extract as task
    from ukg_visma.tasks.payroll.run import PayrollRun

    payroll.ukg_admin(
        "POST",
        "/_sandbox/gl-runs",
        {
            "runId": "NMF-202610-X1",
            "periodStartDate": "2026-10-01",
            "periodEndDate": "2026-10-31",
            "payPeriodEndDate": "31.10.2026",
            "payDate": "2026-10-30",
            "emit": False,
            "lines": [
                {"baseSegment": "5000", "debitAmt": "10.00", "creditAmt": "0.00"},
                {"baseSegment": "2930", "debitAmt": "0.00", "creditAmt": "10.00"},
            ],
        },
    )
    ctx = PayrollRun(run_key="manual__iso", period=PayPeriod.parse(PERIOD))
    with pytest.raises(MalformedExportError) as err:
        task.extract(UkgHook(), get_engine(), ctx, [{"runId": "NMF-202610-X1"}], load_settings())
    message = str(err.value)
    assert (
        "payPeriodEndDate is not an ISO date (YYYY-MM-DD) on line NMF-202610-X1/1/1 "
        "('31.10.2026T00:00:00')" in message
    )
    assert "NMF-202610-X1/1/2" in message
