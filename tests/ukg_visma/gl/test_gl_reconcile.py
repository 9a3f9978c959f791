from __future__ import annotations

import copy
import json

from gl_factory import MAPPINGS, SETTINGS, export, gl_line, two_employees

from ukg_visma.gl.catalog import VismaCatalog
from ukg_visma.gl.holdings import held_batches
from ukg_visma.gl.journal import to_visma_payload
from ukg_visma.gl.reconcile import expected_totals, reconcile_held
from ukg_visma.gl.report import run_summary
from ukg_visma.gl.transform import transform
from ukg_visma.gl.validate import validate
from ukg_visma.money import dumps

CORRECTION = [gl_line("5000", debit="10.00", cc="220", dept="20"), gl_line("2930", credit="10.00")]


def _result(limit=None):
    lines = export(two_employees()) + export(
        CORRECTION, runId="NMF-202610-C1", payDate="2026-10-30"
    )
    return transform(lines, MAPPINGS, SETTINGS, line_limit=limit)


def _as_visma_renders(journal, number):
    """The batch as ``GET /v2/journaltransaction`` returns it (JSON numbers, project ``X``)."""
    body = json.loads(dumps(to_visma_payload(journal, SETTINGS, "2026-10")))
    lines = []
    for n, ln in enumerate(body["journalTransactionLines"], start=1):
        segments = ln["subaccount"]
        lines.append(
            {
                "lineNumber": n,
                "accountNumber": ln["accountNumber"]["value"],
                "subaccount": {
                    "subaccountNumber": "-".join(s["segmentValue"] for s in segments),
                    "segments": [{**s, "segmentDescription": "x"} for s in reversed(segments)],
                },
                "referenceNumber": ln["referenceNumber"]["value"],
                "debitAmountInCurrency": ln["debitAmountInCurrency"]["value"],
                "creditAmountInCurrency": ln["creditAmountInCurrency"]["value"],
                "project": {"id": ln.get("project", {}).get("value", "X")},
            }
        )
    return {
        "batchNumber": number,
        "status": "Balanced",
        "description": body["description"]["value"],
        "journalTransactionLines": lines,
    }


def reconcile(mapped, batches, keys):
    """The reconciliation as the DAG runs it: Visma's listing → our batches → net per key."""
    held = held_batches(batches, tenant=SETTINGS.company.tenant)
    runs = {tuple(k.split(":")[1:3]) for k in keys}
    return reconcile_held(mapped, held, runs=runs, expected_keys=keys)


def _batches(result):
    return [_as_visma_renders(j, f"{n:06d}") for n, j in enumerate(result.journals, start=1)]


FOREIGN = {
    "batchNumber": "000900",
    "status": "Posted",
    "description": "Manual accrual",
    "journalTransactionLines": [
        {"accountNumber": "5000", "subaccount": "10-110", "debitAmountInCurrency": 999.0}
    ],
}


def test_expected_totals_per_account_subaccount_project():
    totals = expected_totals(_result().mapped)
    rows = {(r.account, r.subaccount, r.project): (r.ukg_debit_ore, r.ukg_credit_ore)
            for r in totals.itertuples()}  # fmt: skip
    assert rows[("5000", "20-220", "P1001")] == (3000000, 0)
    assert rows[("5000", "20-220", "")] == (2001000, 0)
    assert rows[("2930", "00-000", "")] == (0, 6388500)


def test_what_was_posted_reconciles_and_other_batches_are_ignored():
    result = _result(limit=3)
    report = reconcile(result.mapped, [FOREIGN, *_batches(result)], result.journal_keys)
    assert report.ok, report.to_markdown()
    assert report.differences.empty and report.missing_journals == ()
    assert report.batch_numbers[result.journal_keys[0]] == ("000001",)
    assert "## Reconciliation UKG ↔ Visma: OK" in report.to_markdown()
    assert "No differences." in report.to_markdown()


def test_an_amount_off_by_one_ore_is_a_difference():
    result = _result()
    batches = _batches(result)
    batches[1]["journalTransactionLines"][3]["debitAmountInCurrency"] = 41250.01
    report = reconcile(result.mapped, batches, result.journal_keys)
    assert not report.ok
    (diff,) = report.differences.itertuples()
    assert (diff.account, diff.subaccount, diff.project, diff.diff_debit_ore) == (
        "5000",
        "10-110",
        "",
        1,
    )
    assert "| 5000 | 10-110 | - | 41,250.00 | 0.00 | 41,250.01 | 0.00 | 0.01 | 0.00 |" in (
        report.to_markdown()
    )
    assert report.to_csv().splitlines()[0] == (
        "account,subaccount,project,ukg_debit_ore,ukg_credit_ore,visma_debit_ore,"
        "visma_credit_ore,diff_debit_ore,diff_credit_ore"
    )


def test_a_duplicate_batch_and_a_missing_journal_fail():
    result = _result()
    batches = _batches(result)
    twice = copy.deepcopy(batches[1]) | {"batchNumber": "000077"}
    report = reconcile(result.mapped, [batches[1], twice], result.journal_keys)
    key_r1, key_c1 = result.journal_keys[1], result.journal_keys[0]
    assert report.duplicate_journals == {key_r1: ("000002", "000077")}
    assert report.missing_journals == (key_c1,)
    md = report.to_markdown()
    assert f"- journal {key_c1}: no batch in Visma" in md
    assert f"- journal {key_r1}: held by 2 batches 000002, 000077" in md
    assert not report.ok


def test_voided_batches_do_not_count_and_paged_batches_merge():
    result = _result()
    batches = _batches(result)
    voided = copy.deepcopy(batches[1]) | {"batchNumber": "000050", "status": "Voided"}
    page1 = copy.deepcopy(batches[1])
    page2 = copy.deepcopy(batches[1])
    page1["journalTransactionLines"] = page1["journalTransactionLines"][:3]
    page2["journalTransactionLines"] = page2["journalTransactionLines"][3:]
    report = reconcile(result.mapped, [batches[0], page1, voided, page2], result.journal_keys)
    assert report.ok, report.to_markdown()
    assert report.voided == {result.journal_keys[1]: ("000050",)}


def test_run_summary_lists_journals_batches_and_totals():
    result = _result()
    report = reconcile(result.mapped, _batches(result), result.journal_keys)
    text = run_summary(
        "2026-10",
        result.journals,
        reconciliation=report,
        statuses={result.journal_keys[1]: "released"},
        warnings=["UKG was slow today"],
    )
    assert text.startswith("# UKG payroll → Visma: pay period 2026-10 (Visma period 202610)")
    assert "**posted, reconciled** — 2 journal(s), debit 98,310.00, credit 98,310.00." in text
    assert (
        f"| {result.journal_keys[1]} | NMF-202610-R1 | 2026-10-23 | 1/1 | 7 | 98,300.00 | "
        "98,300.00 | 000002 | released |"
    ) in text
    assert "| 5000 | Wages (lønn til ansatte) | 91,260.00 | 0.00 |" in text
    assert "| 20-220 | 57,060.00 | 0.00 |" in text
    assert "- UKG was slow today" in text
    dry = run_summary("2026-10", result.journals, dry_run=True)
    assert "**dry run, nothing posted**" in dry and "| - | - |" in dry


def test_run_summary_of_a_failed_validation_says_nothing_was_posted():
    result = transform(
        export([gl_line("5000", debit="1.00", cc="360"), gl_line("2930", credit="1.00")]),
        MAPPINGS,
        SETTINGS,
    )
    catalog = VismaCatalog.from_api(accounts=[], dimension=[], projects=[], periods=[])
    report = validate(result.mapped, result.journals, catalog, "2026-10", settings=SETTINGS)
    text = run_summary("2026-10", result.journals, validation=report)
    assert "**validation failed, nothing posted**" in text
    assert "- cost centre 360 from UKG has no Visma segment value" in text
