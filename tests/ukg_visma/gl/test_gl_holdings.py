"""What Visma holds, read back from a period listing: rows of ``GET /v2/journaltransaction``
(every page) → our :class:`HeldBatch` objects. Rows are hand-made in the listing's shapes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ukg_visma.gl.holdings import batch_kind, held_batches, net_by_line
from ukg_visma.gl.journal import journal_ref

TENANT = "nordicmfg"
FULL = "nordicmfg:NMF:NMF-202610-R1:20261019T152000Z:0"
FULL_1 = "nordicmfg:NMF:NMF-202610-R1:20261019T152000Z:1"
ADJ = "nordicmfg:NMF:NMF-202610-R1:20261021T090000Z-ADJ2:0"
REV = "nordicmfg:NMF:NMF-202610-R1:REV-000007:0"
SUB = [{"segmentId": 1, "segmentValue": "10"}, {"segmentId": 2, "segmentValue": "110"}]


def line(n, account, *, debit=0, credit=0, key=FULL, sub=SUB, project=None, task=None, ref=None):
    out = {
        "lineNumber": n,
        "accountNumber": account,
        "subaccount": sub,
        "debitAmountInCurrency": debit,
        "creditAmountInCurrency": credit,
        "referenceNumber": journal_ref(key) if ref is None else ref,
    }
    if project is not None:
        out["project"] = project
    if task is not None:
        out["projectTask"] = task
    return out


def row(number, key, lines, *, status="Posted", text="Payroll NO-M 2026-10 UKG run NMF-202610-R1"):
    return {
        "batchNumber": number,
        "status": status,
        "description": f"{text} key={key}" if key else text,
        "financialPeriod": "202610",
        "transactionDate": "2026-10-23T00:00:00",
        "journalTransactionLines": lines,
    }


def test_a_batch_on_several_pages_is_merged_by_batch_and_line_number():
    rows = [
        row("000002", FULL_1, [
            line(1, "5000", debit=10, key=FULL_1), line(2, "2930", credit=10, key=FULL_1),
        ]),
        row("000001", FULL, [line(1, "5000", debit=100), line(2, "2600", credit=30)]),
        # the next page repeats the header and line 2 (a page boundary moved) and brings line 3
        row("000001", FULL, [line(2, "2600", credit=30), line(3, "2930", credit=70)]),
    ]  # fmt: skip
    (first, second) = held_batches(rows, tenant=TENANT)
    assert [first.number, second.number] == ["000001", "000002"]  # batch-number order
    assert [(ln.account, ln.debit_ore, ln.credit_ore) for ln in first.lines] == [
        ("5000", 10000, 0),
        ("2600", 0, 3000),
        ("2930", 0, 7000),
    ]
    assert first.debit_ore == first.credit_ore == 10000
    assert first.journal_key == FULL and second.journal_key == FULL_1
    assert first.period_id == "202610" and first.transaction_date == dt.date(2026, 10, 23)
    assert first.released and first.live and first.status == "Posted"
    assert net_by_line([first]) == {
        ("5000", ((1, "10"), (2, "110")), "", ""): 10000,
        ("2600", ((1, "10"), (2, "110")), "", ""): -3000,
        ("2930", ((1, "10"), (2, "110")), "", ""): -7000,
    }


def test_only_our_batches_of_this_tenant_and_company_count():
    other_tenant = FULL.replace("nordicmfg:", "othertenant:")
    other_company = FULL.replace(":NMF:", ":NMS:")
    rows = [
        row("000001", FULL, [line(1, "5000", debit=1), line(2, "2930", credit=1)]),
        row("000002", other_tenant, [line(1, "5000", debit=1, key=other_tenant)]),
        row("000003", other_company, [line(1, "5000", debit=2, key=other_company)]),
        row("000004", None, [line(1, "5000", debit=3, ref="")], text="Manual accrual"),
        # our key copied by hand into another batch: its lines carry a foreign reference
        row("000005", FULL, [line(1, "5000", debit=4, ref="MANUAL-17")]),
        # not a key (split index is not a number)
        row("000006", "nordicmfg:NMF:NMF-202610-R1:v:x", [line(1, "5000", debit=5)]),
        # a key with the wrong digest on its lines (another key's reference)
        row("000007", FULL, [line(1, "5000", debit=6, ref=journal_ref(FULL_1))]),
        # no batch number: cannot be held (nor reversed) by number
        row("", FULL, [line(1, "5000", debit=7)]),
    ]
    assert [b.number for b in held_batches(rows, tenant=TENANT)] == ["000001", "000003"]
    assert [b.number for b in held_batches(rows, tenant=TENANT, company="NMF")] == ["000001"]
    assert [b.number for b in held_batches(rows, tenant=TENANT, company="NMS")] == ["000003"]
    assert [b.number for b in held_batches(rows, tenant="othertenant")] == ["000002"]
    assert held_batches(rows, tenant="nobody") == []


def test_a_reference_on_one_line_is_enough_and_lines_without_reference_are_ours_too():
    lines = [line(1, "5000", debit=5), line(2, "2930", credit=5, ref="")]
    (b,) = held_batches([row("000009", FULL, lines)], tenant=TENANT)
    assert len(b.lines) == 2
    no_refs = [line(1, "5000", debit=5, ref=""), line(2, "2930", credit=5, ref="")]
    (b,) = held_batches([row("000010", FULL, no_refs)], tenant=TENANT)
    assert b.number == "000010"


def test_description_in_value_form_and_status_in_any_case():
    r = row("000011", FULL, [line(1, "5000", debit=1), line(2, "2930", credit=1)])
    r["description"] = {"value": r["description"]}
    r["status"] = "VOIDED"
    r["financialPeriod"] = {"value": "202610"}
    r["transactionDate"] = {"value": "2026-10-23T00:00:00"}
    (b,) = held_batches([r], tenant=TENANT)
    assert b.journal_key == FULL and not b.live and not b.released
    assert b.period_id == "202610" and b.transaction_date == dt.date(2026, 10, 23)


@pytest.mark.parametrize("status", ["Voided", "voided", "Void"])
def test_voided_batches_are_kept_but_not_live_and_not_in_the_net(status):
    rows = [
        row("000001", FULL, [line(1, "5000", debit=100), line(2, "2930", credit=100)]),
        row("000002", ADJ, [line(1, "5000", debit=5, key=ADJ), line(2, "2930", credit=5, key=ADJ)],
            status=status),
    ]  # fmt: skip
    held = held_batches(rows, tenant=TENANT)
    assert [(b.number, b.live) for b in held] == [("000001", True), ("000002", False)]
    assert held[1].adjustment_number == 2  # still tells which adjustment numbers were used
    sub = ((1, "10"), (2, "110"))
    assert net_by_line(held) == {("5000", sub, "", ""): 10000, ("2930", sub, "", ""): -10000}
    assert net_by_line(held[1:]) == {}


# The published enum of JournalTransactionDto.status, each with (live, released, on hold,
# releasable). Released = in the ledger, whatever the tenant calls it.
PUBLISHED_STATUSES = {
    "Hold": (True, False, True, False),
    "Balanced": (True, False, False, True),
    "Unposted": (True, True, False, False),
    "Posted": (True, True, False, False),
    "Completed": (True, True, False, False),
    "Voided": (False, False, False, False),
    "Released": (True, True, False, False),
    "PartiallyReleased": (True, True, False, False),
    "Scheduled": (True, False, False, False),  # a recurring template: not in the ledger
}


@pytest.mark.parametrize("status", sorted(PUBLISHED_STATUSES))
def test_every_published_status_is_classified(status):
    from ukg_visma.gl.holdings import awaiting_release, is_on_hold, is_releasable, is_voided

    (b,) = held_batches(
        [row("000001", FULL, [line(1, "5000", debit=1), line(2, "2930", credit=1)], status=status)],
        tenant=TENANT,
    )
    live, released, on_hold, releasable = PUBLISHED_STATUSES[status]
    assert (b.live, b.released, is_on_hold(status), is_releasable(status)) == (
        live, released, on_hold, releasable,
    )  # fmt: skip
    assert is_voided(status) is not live
    # what the plan still releases and a reconcile with release on must not find
    assert awaiting_release([b], [b.run]) == ([b] if live and not released else [])
    assert awaiting_release([b], [("NMF", "another run")]) == []


@pytest.mark.parametrize(
    ("spelling", "meaning"),
    [("On hold", "hold"), ("Void", "voided"), ("Partially Released", "released"),
     ("RELEASED", "released"), ("completed", "released"), ("unposted", "released"),
     ("", "unknown"), (None, "unknown"), ("Unreleased", "unknown")],
)  # fmt: skip
def test_status_spellings_of_the_description_and_any_case(spelling, meaning):
    from ukg_visma.gl.holdings import is_on_hold, is_released, is_voided

    assert is_released(spelling) is (meaning == "released")
    assert is_voided(spelling) is (meaning == "voided")
    assert is_on_hold(spelling) is (meaning == "hold")


def test_kind_base_version_adjustment_number_and_reversed_batch_from_the_key():
    rows = [
        row("000001", FULL, [line(1, "5000", debit=1, key=FULL)]),
        row("000002", ADJ, [line(1, "5000", debit=1, key=ADJ)]),
        row("000003", REV, [line(1, "5000", credit=1, key=REV)]),
    ]
    full, adj, rev = held_batches(rows, tenant=TENANT)
    assert (full.kind, full.base_version, full.adjustment_number, full.reverses) == (
        "full", "20261019T152000Z", 0, None,
    )  # fmt: skip
    assert (adj.kind, adj.base_version, adj.adjustment_number, adj.reverses) == (
        "adjustment", "20261021T090000Z", 2, None,
    )  # fmt: skip
    assert (rev.kind, rev.base_version, rev.adjustment_number, rev.reverses) == (
        "reversal", "", 0, "000007",
    )  # fmt: skip
    assert full.run == adj.run == rev.run == ("NMF", "NMF-202610-R1")
    assert full.key.split_index == 0 and full.key.tenant == TENANT


@pytest.mark.parametrize(
    ("version", "parsed"),
    [
        ("20261019T152000Z", ("full", "20261019T152000Z", 0, None)),
        ("20261019T152000Z-ADJ1", ("adjustment", "20261019T152000Z", 1, None)),
        ("20261019T152000Z-ADJ12", ("adjustment", "20261019T152000Z", 12, None)),
        ("19_10_2026_15_20-ADJ3", ("adjustment", "19_10_2026_15_20", 3, None)),
        ("REV-000123", ("reversal", "", 0, "000123")),
        ("20261019T152000Z-ADJ", ("full", "20261019T152000Z-ADJ", 0, None)),
    ],
)
def test_batch_kind(version, parsed):
    assert batch_kind(version) == parsed


@pytest.mark.parametrize(
    ("project", "task", "held"),
    [
        (None, None, ("", "")),
        ("X", None, ("", "")),
        ({"value": "X"}, None, ("", "")),
        ({"id": "X", "description": "Non-Project Code."}, None, ("", "")),
        ("X", {"id": "T1"}, ("", "")),  # a task under the non-project code means nothing
        ("", None, ("", "")),
        ("PRJ1001", None, ("PRJ1001", "")),
        ({"value": "PRJ1001"}, {"value": "T10"}, ("PRJ1001", "T10")),
        ({"id": "PRJ1001", "internalId": 4}, {"id": "T10", "description": "x"}, ("PRJ1001", "T10")),
    ],
)
def test_project_x_is_no_project(project, task, held):
    (b,) = held_batches(
        [row("000001", FULL, [line(1, "5000", debit=1, project=project, task=task)])],
        tenant=TENANT,
    )
    assert (b.lines[0].project, b.lines[0].task) == held


@pytest.mark.parametrize(
    ("amount", "ore"),
    [
        (1234.5, 123450),
        (1234, 123400),
        ("1234.50", 123450),
        ("1234.5", 123450),
        (Decimal("1234.50"), 123450),
        ({"value": 1234.56}, 123456),
        ({"value": "0.01"}, 1),
        (0.1, 10),
        (12345678901.23, 1234567890123),
        (None, 0),
        ({"value": None}, 0),
    ],
)
def test_amounts_as_numbers_strings_and_value_objects(amount, ore):
    (b,) = held_batches(
        [row("000001", FULL, [line(1, "5000", debit=amount, credit=amount)])], tenant=TENANT
    )
    assert (b.lines[0].debit_ore, b.lines[0].credit_ore) == (ore, ore)


def test_amounts_fall_back_to_the_base_currency_fields():
    ln = {
        "lineNumber": 1,
        "accountNumber": {"number": "5000"},
        "subaccount": {"subaccountNumber": "10-110"},
        "debitAmount": "12.00",
        "creditAmount": 3,
        "referenceNumber": {"value": journal_ref(FULL)},
    }
    (b,) = held_batches([row("000001", FULL, [ln])], tenant=TENANT)
    assert b.lines[0].account == "5000"
    assert (b.lines[0].debit_ore, b.lines[0].credit_ore) == (1200, 300)


def test_an_amount_with_more_than_two_decimals_is_refused():
    with pytest.raises(ValueError, match="more than two decimals"):
        held_batches([row("000001", FULL, [line(1, "5000", debit="1.005")])], tenant=TENANT)


@pytest.mark.parametrize(
    "sub",
    [
        SUB,
        list(reversed(SUB)),
        {"subaccountNumber": "10-110", "segments": SUB},
        {"subaccountNumber": "10-110", "active": True, "segments": list(reversed(SUB))},
        {"subaccountNumber": "10-110"},
        {"subaccountCd": "10-110"},
        "10-110",
        [
            {"segmentId": {"value": 2}, "segmentValue": {"value": "110"}},
            {"segmentId": {"value": 1}, "segmentValue": {"value": "10"}},
        ],
    ],
)
def test_subaccount_shapes_give_the_same_segments(sub):
    (b,) = held_batches([row("000001", FULL, [line(1, "5000", debit=1, sub=sub)])], tenant=TENANT)
    assert b.lines[0].segments == ((1, "10"), (2, "110"))
    assert b.lines[0].subaccount == "10-110"


def test_net_by_line_nets_reversal_pairs_and_drops_zeros():
    rev_lines = [line(1, "5000", credit=100, key=REV), line(2, "2930", debit=100, key=REV)]
    rows = [
        row("000007", FULL, [line(1, "5000", debit=100), line(2, "2930", credit=100)]),
        row("000008", REV, rev_lines),
        row("000009", ADJ, [
            line(1, "5000", debit=7, project="PRJ1", task="T1", key=ADJ),
            line(2, "5000", debit=3, project="PRJ1", task="T2", key=ADJ),
            line(3, "2930", credit=10, key=ADJ),
        ]),
    ]  # fmt: skip
    held = held_batches(rows, tenant=TENANT)
    sub = ((1, "10"), (2, "110"))
    assert net_by_line(held) == {
        ("5000", sub, "PRJ1", "T1"): 700,
        ("5000", sub, "PRJ1", "T2"): 300,
        ("2930", sub, "", ""): -1000,
    }
    assert net_by_line(held[:2]) == {}


# -- the settle protocol's pure parts (docs/ledger-truth.md § Exactly once) --------------------


def _holders(*specs):
    """``(number, status, lines?, text?)`` → HeldBatch objects of one key (FULL)."""
    rows = []
    for number, status, *rest in specs:
        lines = rest[0] if rest else [line(1, "5000", debit=100), line(2, "2930", credit=100)]
        text = rest[1] if len(rest) > 1 else "Payroll NO-M 2026-10 UKG run NMF-202610-R1"
        rows.append(row(number, FULL, lines, status=status, text=text))
    return held_batches(rows, tenant=TENANT)


def test_the_winner_is_the_released_holder_else_the_lowest_live_one():
    from ukg_visma.gl.holdings import drop_losers, key_winner, losers

    held = _holders(("000009", "Hold"), ("000004", "Hold"), ("000007", "Balanced"))
    assert key_winner(held).number == "000004"
    assert [b.number for b in losers(held)] == ["000007", "000009"]
    assert [b.number for b in drop_losers(held)] == ["000004"]
    # a released holder wins whatever its number; voided and emptied batches hold nothing
    held = _holders(
        ("000002", "Voided"),
        ("000003", "Hold", [], "LOST to batch 000008"),
        ("000005", "Hold"),
        ("000008", "Posted"),
    )
    assert key_winner(held).number == "000008"
    assert [b.number for b in losers(held)] == ["000005"]
    assert held[1].neutralised and not held[1].holds_key
    assert {b.number for b in drop_losers(held)} == {"000002", "000008"}  # voided kept
    assert key_winner(_holders(("000001", "Voided"))) is None
    # two released holders: both stay (a real duplicate), the lowest is named the winner
    held = _holders(("000011", "Posted"), ("000010", "Released"))
    assert key_winner(held).number == "000010" and losers(held) == []
    assert len(drop_losers(held)) == 2


def test_batch_numbers_order_numerically():
    from ukg_visma.gl.holdings import batch_order

    assert sorted(["000010", "9", "000002"], key=batch_order) == ["000002", "9", "000010"]


def test_the_run_tag_goes_before_the_key_and_the_key_still_ends_the_description():
    from ukg_visma.gl.holdings import run_tag, run_tag_in, tag_description
    from ukg_visma.gl.journal import journal_key_from_batch

    tag = run_tag("manual__x/" + FULL)
    assert tag == run_tag("manual__x/" + FULL) and len(tag) == 8
    text = tag_description("Payroll NO-M 2026-10 " + "x" * 300 + f" key={FULL}", tag)
    assert len(text) <= 250 and text.endswith(f" run={tag} key={FULL}")
    assert run_tag_in(text) == tag
    assert journal_key_from_batch({"description": text, "journalTransactionLines": []}) == FULL
    lost = tag_description(text, tag, head="LOST to batch 000004")
    assert lost == f"LOST to batch 000004 run={tag} key={FULL}"
    assert tag_description(text, "0" * 8).count("run=") == 1  # a new tag replaces the old
    with pytest.raises(ValueError, match="no journal key"):
        tag_description("a batch of somebody else", tag)


@pytest.mark.parametrize(
    ("home", "opened", "want"),
    [
        # home open: it and the next two periods (a batch moved before home was reopened)
        ("202610", {"202610", "202611", "202612", "202701"}, ["202610", "202611", "202612"]),
        # home closed: through the first open period after it, and two more
        ("202610", {"202612", "202701", "202702"}, ["202610", "202611", "202612", "202701",
                                                    "202702"]),
        # the last period Visma has
        ("202612", {"202612"}, ["202612"]),
    ],
)  # fmt: skip
def test_the_bounded_scan_for_moved_batches(home, opened, want):
    from ukg_visma.gl.holdings import search_periods

    periods = ["202609", "202610", "202611", "202612", "202701", "202702", "202703"]
    if home == "202612":
        periods = ["202611", "202612"]
    open_by = {p: p in opened for p in periods}
    assert search_periods(home, open_by) == want
    assert "202705" in search_periods(home, open_by, extra=["202705", ""])
