from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from gl_factory import MAPPINGS, SETTINGS, export, gl_line, two_employees

from ukg_visma.gl.journal import (
    JournalKey,
    as_period,
    dump_journals,
    journal_key_from_batch,
    journal_ref,
    load_journals,
    payload_hash,
    run_version,
    to_visma_payload,
)
from ukg_visma.gl.transform import transform
from ukg_visma.money import dumps

KEY = "nordicmfg:NMF:NMF-202610-R1:20261019T152000Z:0"


def _journal(**kw):
    return transform(export(two_employees()), MAPPINGS, SETTINGS, **kw).journals


@pytest.mark.parametrize(
    ("stamp", "version"),
    [
        ("2026-10-19T15:20:00Z", "20261019T152000Z"),
        ("2026-10-19T17:20:00+02:00", "20261019T152000Z"),
        ("2026-10-19T15:20:00", "20261019T152000"),
        ("2026-10-19T15:20:00.250", "20261019T152000.250000"),
        ("19/10/2026 15:20", "19_10_2026_15_20"),
    ],
)
def test_run_version_from_glRunDateTime(stamp, version):
    assert run_version(stamp) == version


def test_run_version_needs_a_stamp():
    with pytest.raises(ValueError, match="glRunDateTime is empty"):
        run_version(" ")


def test_key_round_trip_and_sanitising():
    key = JournalKey(
        tenant="nordicmfg", company="NMF", pay_run="NMF 202610:R1", run_version="v", split_index=3
    )
    assert key.key == "nordicmfg:NMF:NMF_202610_R1:v:3" == str(key)
    assert JournalKey.parse(key.key).split_index == 3
    with pytest.raises(ValueError, match="not a journal key"):
        JournalKey.parse("a:b:c")


def test_payload_is_the_exact_visma_body():
    (journal,) = _journal()
    body = to_visma_payload(journal, SETTINGS, "2026-10")
    lines = body.pop("journalTransactionLines")
    ref = journal_ref(KEY)
    assert body == {
        "transactionDate": {"value": "2026-10-23T00:00:00"},
        "postPeriod": {"value": "102026"},
        "financialPeriod": {"value": "202610"},
        "ledger": {"value": "1"},
        "currencyId": {"value": "NOK"},
        "branch": {"value": "1"},
        "transactionCode": {"value": "GEN"},
        "description": {"value": f"Payroll NO-M 2026-10 UKG run NMF-202610-R1 key={KEY}"},
        "hold": {"value": True},
        "controlTotalInCurrency": {"value": Decimal("98300.00")},
    }
    assert len(lines) == 7
    assert lines[0] == {
        "operation": "Insert",
        "accountNumber": {"value": "2600"},
        "subaccount": [
            {"segmentId": 1, "segmentValue": "00"},
            {"segmentId": 2, "segmentValue": "000"},
        ],
        "debitAmountInCurrency": {"value": Decimal("0.00")},
        "creditAmountInCurrency": {"value": Decimal("27375.00")},
        "transactionDescription": {"value": "Tax withholding (forskuddstrekk) - UKG NMF-202610-R1"},
        "referenceNumber": {"value": ref},
    }
    project_line = lines[5]
    assert project_line["project"] == {"value": "P1001"}
    assert project_line["projectTask"] == {"value": "01"}
    assert project_line["subaccount"][1] == {"segmentId": 2, "segmentValue": "220"}
    assert project_line["debitAmountInCurrency"] == {"value": Decimal("30000.00")}
    assert len(ref) == 15 and ref.startswith("UV")


def test_payload_options_hold_date_and_period_forms():
    (journal,) = _journal()
    body = to_visma_payload(
        journal, SETTINGS, "202610", hold=False, transaction_date=dt.date(2026, 10, 31)
    )
    assert body["hold"] == {"value": False}
    assert body["transactionDate"] == {"value": "2026-10-31T00:00:00"}
    assert as_period("202610") == as_period("2026-10")


def test_split_journals_say_which_part_they_are():
    journals = _journal(line_limit=3)
    body = to_visma_payload(journals[1], SETTINGS, "2026-10")
    assert f" part 2/{len(journals)} key={journals[1].journal_key}" in body["description"]["value"]


def test_payload_serialises_exactly_and_hashes_stably():
    (journal,) = _journal()
    body = to_visma_payload(journal, SETTINGS, "2026-10")
    text = dumps(body)
    assert '"creditAmountInCurrency": {"value": 27375.00}' in text
    assert json.loads(text, parse_float=Decimal)["controlTotalInCurrency"]["value"] == Decimal(
        "98300.00"
    )
    assert payload_hash(body) == payload_hash(to_visma_payload(journal, SETTINGS, "2026-10"))
    assert payload_hash(body) != payload_hash(to_visma_payload(journal, SETTINGS, "2026-11"))


def test_unbalanced_or_unmapped_journals_are_never_turned_into_a_body():
    body = [gl_line("5000", debit="100.00"), gl_line("2930", credit="99.00")]
    (unbalanced,) = transform(export(body), MAPPINGS, SETTINGS).journals
    with pytest.raises(ValueError, match="does not balance"):
        to_visma_payload(unbalanced, SETTINGS, "2026-10")
    body = [gl_line("5000", debit="100.00", cc="360"), gl_line("2930", credit="100.00")]
    (unmapped,) = transform(export(body), MAPPINGS, SETTINGS).journals
    with pytest.raises(ValueError, match=r"unmapped values on lines \[2\]"):
        to_visma_payload(unmapped, SETTINGS, "2026-10")


def _read_back(payload, number="000042"):
    """A batch as ``GET /v2/journaltransaction`` renders it (plain values, not wrapped)."""
    return {
        "batchNumber": number,
        "status": "Hold",
        "description": payload["description"]["value"],
        "journalTransactionLines": [
            {"lineNumber": i, "referenceNumber": ln["referenceNumber"]["value"]}
            for i, ln in enumerate(payload["journalTransactionLines"], start=1)
        ],
    }


def test_our_key_is_recognised_in_a_batch_read_back():
    (journal,) = _journal()
    payload = to_visma_payload(journal, SETTINGS, "2026-10")
    assert journal_key_from_batch(_read_back(payload)) == KEY
    assert journal_key_from_batch({"description": payload["description"]}) == KEY  # wrapped form
    assert journal_key_from_batch({"description": "Manual accrual October"}) is None
    assert journal_key_from_batch({}) is None
    copied = _read_back(payload)
    for line in copied["journalTransactionLines"]:
        line["referenceNumber"] = "INV-1001"
    assert journal_key_from_batch(copied) is None  # someone copied our text onto another batch


def test_journals_survive_a_staging_round_trip():
    journals = _journal(line_limit=3)
    text = dump_journals(journals)
    assert f'"journal_key":"{KEY}"' in text
    assert load_journals(text) == journals
    tampered = text.replace(f'"journal_key":"{KEY}"', '"journal_key":"someone:else:x:y:0"', 1)
    with pytest.raises(ValueError, match="does not match its key"):
        load_journals(tampered)
