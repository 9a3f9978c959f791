"""Unit tests of the pay-period steps' own logic, beside their end-to-end tests (tests/dags).

The end-to-end tests run the DAG against the sandboxes; these pin the pieces a step is made of
— on hand-made journals, Visma listings and a real SQLite audit store — so a change to one shows
here in seconds, named.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from ukg_visma.audit import ledger, records
from ukg_visma.audit.store import get_engine
from ukg_visma.gl.catalog import CatalogPeriod
from ukg_visma.gl.completeness import block_keys
from ukg_visma.gl.corrections import plan_postings
from ukg_visma.gl.holdings import held_batches
from ukg_visma.gl.journal import Journal, JournalKey, JournalLine, journal_ref
from ukg_visma.gl.pay_runs import of_company
from ukg_visma.periods import PayPeriod
from ukg_visma.settings import load_settings
from ukg_visma.tasks.payroll.approval import (
    DECISION_FIELD,
    PeriodNotPosted,
    decision_of,
    require_posted,
)
from ukg_visma.tasks.payroll.extract import block_record
from ukg_visma.tasks.payroll.gl_events import event_run_id
from ukg_visma.tasks.payroll.holdings import batch_rows, remember, visma_periods
from ukg_visma.tasks.payroll.pay_runs import named_run_ids
from ukg_visma.tasks.payroll.plan import plan_summary
from ukg_visma.tasks.payroll.reconcile import key_figures
from ukg_visma.tasks.payroll.reversals import (
    ReversalRequestError,
    pay_period_of,
    reversal_periods,
)
from ukg_visma.tasks.payroll.run import PayrollRun
from ukg_visma.tasks.payroll.staged import hash_name, stage_journals, stage_ref, staged_journals

TENANT = "nordicmfg"
VERSION = "20261019T152000Z"
KEY = f"{TENANT}:NMF:NMF-202610-R1:{VERSION}:0"
SUB = [{"segmentId": 1, "segmentValue": "10"}, {"segmentId": 2, "segmentValue": "110"}]


def journal(amount_ore: int = 12_345, *, split: int = 0, period: str | None = None) -> Journal:
    return Journal(
        key=JournalKey(
            tenant=TENANT,
            company="NMF",
            pay_run="NMF-202610-R1",
            run_version=VERSION,
            split_index=split,
        ),
        company="NMF",
        pay_run="NMF-202610-R1",
        pay_groups=("NO-M",),
        pay_date=dt.date(2026, 10, 23),
        gl_run_datetime=VERSION,
        lines=(
            JournalLine(
                line_number=1,
                account="5000",
                segments=((1, "10"), (2, "110")),
                side="D",
                amount_ore=amount_ore,
            ),
            JournalLine(
                line_number=2, account="2930", segments=(), side="C", amount_ore=amount_ore
            ),
        ),
        visma_period=period,
    )


def listing_row(number: str, key: str, *, period: str = "202610", status: str = "Posted") -> dict:
    """One batch of ``GET /v2/journaltransaction`` as Visma lists it."""
    return {
        "batchNumber": number,
        "status": status,
        "description": f"Payroll NO-M 2026-10 UKG run NMF-202610-R1 key={key}",
        "financialPeriod": period,
        "transactionDate": "2026-10-23T00:00:00",
        "journalTransactionLines": [
            {
                "lineNumber": 1,
                "accountNumber": "5000",
                "subaccount": SUB,
                "debitAmountInCurrency": 123.45,
                "creditAmountInCurrency": 0,
                "referenceNumber": journal_ref(key),
            },
            {
                "lineNumber": 2,
                "accountNumber": "2930",
                "subaccount": [],
                "debitAmountInCurrency": 0,
                "creditAmountInCurrency": 123.45,
                "referenceNumber": journal_ref(key),
            },
        ],
    }


@pytest.fixture
def engine(tmp_path):
    return get_engine(f"sqlite:///{tmp_path}/audit.db")


@pytest.fixture
def ctx(engine, request):
    run = PayrollRun(run_key=f"manual__{request.node.name[:40]}", period=PayPeriod(2026, 10))
    records.start_run(engine, run.audit_run_id, run.flow, run.period.key)
    return run


# -- approval ---------------------------------------------------------------------------------
def test_an_approved_or_undecided_period_passes_the_last_task() -> None:
    require_posted("2026-10", {"approved": True})
    require_posted("2026-10", None)


def test_a_rejected_period_fails_with_who_why_and_what_to_do() -> None:
    with pytest.raises(PeriodNotPosted) as raised:
        require_posted("2026-10", {"approved": False, "by": "Kari", "reason": "wrong cost centre"})
    text = str(raised.value)
    assert text.startswith("pay period 2026-10 is NOT posted: Reject by Kari — wrong cost centre")
    assert "Nothing reached Visma" in text


def test_the_hitl_result_becomes_who_when_what_and_why() -> None:
    at = dt.datetime(2026, 10, 24, 9, 30, tzinfo=dt.UTC)
    decision = decision_of(
        {
            "chosen_options": ["Reject"],
            "params_input": {DECISION_FIELD: "  mapping wrong  "},
            "responded_by_user": {"id": "7", "name": "Kari"},
            "responded_at": at,
        }
    )
    assert decision == {
        "approved": False,
        "choice": "Reject",
        "reason": "mapping wrong",
        "by": "Kari",
        "at": at.isoformat(),
    }
    assert decision_of({"chosen_options": ["Approve"]})["approved"] is True


# -- extract and the GL events ----------------------------------------------------------------
def test_the_run_id_param_names_one_run_or_several() -> None:
    assert named_run_ids(None) == []
    assert named_run_ids(" NMF-202610-R1 , ,NMF-202610-X1") == ["NMF-202610-R1", "NMF-202610-X1"]


def test_a_pay_run_belongs_to_a_company_by_code_or_id() -> None:
    assert of_company({"companyCode": "NMF"}, "NMF")
    assert of_company({"coId": "C0001"}, "C0001")
    assert not of_company({"companyCode": "OTH"}, "NMF")
    assert not of_company({}, "NMF")
    assert of_company({}, "NMF", strict=False)  # the lines then decide


def test_a_block_record_counts_sums_and_hashes_its_lines() -> None:
    frame = pd.DataFrame(
        {
            "run_id": ["R1", "R1"],
            "block_id": [3, 3],
            "source_hash": ["aa", "bb"],
            "debit_ore": [100, 0],
            "credit_ore": [0, 100],
        }
    )
    row = block_record(frame, "file:///staged/block-3.parquet")
    assert row["source_key"] == "R1/3" and row["status"] == "extracted"
    assert row["detail"] == {
        "run_id": "R1",
        "block": 3,
        "lines": 2,
        "debit_ore": 100,
        "credit_ore": 100,
        "lines_uri": "file:///staged/block-3.parquet",
    }
    other = block_record(frame.assign(source_hash=["aa", "bc"]), "u")
    assert other["source_hash"] != row["source_hash"]
    assert block_keys(pd.concat([frame, frame.assign(block_id=4)])) == ["R1/3", "R1/4"]


def test_an_inbox_event_names_its_gl_run() -> None:
    assert event_run_id({"payload": {"Payload": {"RunId": "NMF-202610-R1"}}}) == "NMF-202610-R1"
    assert event_run_id({"payload": {"Payload": {}}}) is None
    assert event_run_id({}) is None


# -- what Visma holds, remembered in the ledger -----------------------------------------------
def test_batch_rows_are_the_chain_the_store_keeps() -> None:
    held = held_batches([listing_row("000007", KEY)], tenant=TENANT)
    assert batch_rows(held) == [
        {
            "batch_number": "000007",
            "journal_key": KEY,
            "visma_period": "202610",
            "company": "NMF",
            "pay_run": "NMF-202610-R1",
            "kind": "full",
            "run_version": VERSION,
            "reverses": None,
            "status": "Posted",
            "debit_ore": 12_345,
            "note": held[0].description,
        }
    ]


def test_remember_adopts_live_batches_and_the_searched_periods_follow_them(engine, ctx) -> None:
    held = held_batches(
        [listing_row("000007", KEY, period="202611"), listing_row("000008", KEY, status="Voided")],
        tenant=TENANT,
    )
    remember(engine, ctx, held)
    entry = ledger.get(engine, KEY)
    assert entry is not None and entry.batch_number == "000007"
    # a fresh run of the period searches where the store saw our batches, and its own periods
    periods = {p: CatalogPeriod(p) for p in ("202610", "202611", "202612")}
    found = visma_periods(engine, ctx.period.key, [journal(period="202612")], "202610", periods)
    assert {"202610", "202611", "202612"} <= set(found) and found == sorted(found)
    assert visma_periods(engine, "2026-09", [], "202609") == ["202609"]


# -- the staged journals and payloads ---------------------------------------------------------
def test_staged_journals_read_back_what_the_transform_staged(ctx) -> None:
    journals = [journal(), journal(500, split=1)]
    stage_journals(ctx, journals)
    assert staged_journals(ctx) == journals


def test_a_staged_ref_points_at_the_payload_and_carries_no_amount_detail(ctx) -> None:
    j = journal()
    ref = stage_ref(ctx, j, load_settings(), "2026-10-30")
    assert hash_name(j) in ref["payload"] and "/" not in hash_name(j)
    with open(ref["payload"].removeprefix("file://"), encoding="utf-8") as fh:
        payload = json.load(fh)
    assert payload["financialPeriod"]["value"] == ref["visma_period"] == "202610"
    assert ref["journal_key"] == KEY and ref["lines"] == 2 and ref["debit_ore"] == 12_345
    assert str(payload["transactionDate"]["value"]).startswith("2026-10-30")
    assert set(ref) >= {"payload_hash", "company", "pay_run", "run_version", "split_index"}


# -- the plan's summary, the reconciliation's key figures -------------------------------------
def test_the_plan_summary_is_json_and_names_what_each_run_creates() -> None:
    plan = plan_postings([journal()], [], mode="adjust", line_limit=500)
    summary = plan_summary(plan)
    assert json.loads(json.dumps(summary)) == summary
    assert summary["runs"] == [
        {
            "company": "NMF",
            "pay_run": "NMF-202610-R1",
            "pay_groups": ["NO-M"],
            "version": VERSION,
            "outcome": "new",
            "message": plan.runs[0].message,
            "held": [],
            "create": [KEY],
        }
    ]
    assert summary["duplicates"] == {}


def test_key_figures_total_the_journals_and_say_the_result() -> None:
    figures = key_figures([journal(), journal(655, split=1)], ["000007", "000008"], ok=False)
    assert figures == {
        "debit_ore": 13_000,
        "credit_ore": 13_000,
        "debit": figures["debit"],
        "credit": figures["credit"],
        "batch_count": 2,
        "result": "mismatch",
    }
    assert figures["debit"].replace("\xa0", " ").startswith("130")


# -- reversal on request ----------------------------------------------------------------------
def test_a_batch_is_about_the_pay_period_its_description_names_else_its_period() -> None:
    (held,) = held_batches([listing_row("000007", KEY, period="202611")], tenant=TENANT)
    assert pay_period_of(held) == PayPeriod(2026, 10)  # "2026-10" in the description
    bare = held_batches([listing_row("000009", KEY, period="202611")], tenant=TENANT)[0]
    bare = type(bare)(**{**bare.__dict__, "description": f"key={KEY}"})
    assert pay_period_of(bare) == PayPeriod(2026, 11)
    odd = type(bare)(**{**bare.__dict__, "period_id": "2026"})
    with pytest.raises(ReversalRequestError, match="cannot tell its pay period"):
        pay_period_of(odd)


def test_a_reversal_is_searched_in_the_batch_period_and_later_ones() -> None:
    (held,) = held_batches([listing_row("000007", KEY)], tenant=TENANT)
    periods = {
        "202610": CatalogPeriod("202610", closed_in_gl=True),
        "202611": CatalogPeriod("202611"),
    }
    found = reversal_periods(held, periods)
    assert found[0] == "202610" and "202611" in found
