"""Pay-run discovery as pure logic (gl.pay_runs): headers, pay periods and checks as UKG's
published operations answer them."""

from __future__ import annotations

import datetime as dt

import pytest

from ukg_visma.gl.pay_runs import choose_pay_period, discover, is_voided
from ukg_visma.periods import PayPeriod

OCT = PayPeriod.parse("2026-10")


def _period(pay_date: str, seq: int, closed: bool = True) -> dict:
    return {
        "payGroup": "NO-M", "payDate": f"{pay_date}T00:00:00", "payDateSeq": seq,
        "periodStartDate": "2026-10-01T00:00:00", "periodEndDate": "2026-10-31T00:00:00",
        "periodControl": f"{pay_date.replace('-', '')}{seq}", "isPeriodClosed": closed,
    }  # fmt: skip


def _head(run_id: str, exported: str) -> dict:
    return {
        "runId": run_id, "glRunDateTime": exported, "companyCode": "NMF", "coId": "C0001",
        "payGroup": "NO-M", "periodStartDate": "2026-10-01T00:00:00",
        "periodEndDate": "2026-10-31T00:00:00", "payPeriodEndDate": "2026-10-31T00:00:00",
    }  # fmt: skip


PERIODS = [_period("2026-10-23", 1), _period("2026-10-30", 2)]
HEADS = {
    "NMF-202610-R1": _head("NMF-202610-R1", "2026-10-19T15:20:00Z"),
    "NMF-202610-C1": _head("NMF-202610-C1", "2026-10-29T10:15:00Z"),
}


def _discover(heads=HEADS, periods=PERIODS, **kw):
    return discover(OCT, heads, {}, periods, kw.pop("voids", {}), pay_groups=["NO-M"],
                    company_code="NMF", **kw)  # fmt: skip


def test_regular_and_off_cycle_get_their_own_pay_dates():
    found = _discover()
    assert [(r.run_id, str(r.pay_date), r.pay_date_source) for r in found.ready] == [
        ("NMF-202610-R1", "2026-10-23", "paygroup-payperiods"),
        ("NMF-202610-C1", "2026-10-30", "paygroup-payperiods"),
    ]
    assert found.missing == () and found.waiting == ()


def test_a_re_export_keeps_the_pay_date_already_posted():
    heads = {**HEADS, "NMF-202610-R1": _head("NMF-202610-R1", "2026-12-04T09:00:00Z")}
    posted = {"NMF-202610-R1": dt.date(2026, 10, 23), "NMF-202610-C1": dt.date(2026, 10, 30)}
    found = _discover(heads, posted_pay_dates=posted)
    assert {r.run_id: str(r.pay_date) for r in found.ready} == {
        "NMF-202610-R1": "2026-10-23", "NMF-202610-C1": "2026-10-30",
    }  # fmt: skip


def test_a_closed_pay_period_without_a_run_is_missing():
    found = _discover({"NMF-202610-C1": HEADS["NMF-202610-C1"]})
    assert [p["periodControl"] for p in found.missing] == ["202610231"]
    text = found.missing_text(OCT)
    assert "pay group NO-M pay date 2026-10-23" in text and "run_id=" in text
    named = _discover({"NMF-202610-C1": HEADS["NMF-202610-C1"]}, named_runs=["NMF-202610-C1"])
    assert named.missing == () and any("without a named run" in f for f in named.findings)


def test_an_open_pay_period_waits_and_the_fallback_is_a_finding():
    found = _discover(periods=[_period("2026-10-23", 1, closed=False), PERIODS[1]])
    assert [r.run_id for r in found.waiting] == ["NMF-202610-R1"]
    fallback = _discover({"NMF-202610-R1": HEADS["NMF-202610-R1"]}, periods=[])
    (run,) = fallback.ready
    assert (str(run.pay_date), run.pay_date_source) == ("2026-10-31", "payPeriodEndDate")
    assert any("payPeriodEndDate" in f for f in fallback.findings)


def test_other_companies_and_months_are_left_out():
    other = {**_head("OTH-1", "2026-10-19T00:00:00Z"), "companyCode": "OTH", "coId": "C2"}
    found = _discover({**HEADS, "OTH-1": other})
    assert {r.run_id for r in found.ready} == set(HEADS)
    assert _discover(HEADS, periods=PERIODS, posted_pay_dates={}).ready
    september = discover(PayPeriod.parse("2026-09"), HEADS, {}, PERIODS, {}, pay_groups=["NO-M"],
                         company_code="NMF")  # fmt: skip
    assert september.ready == () and september.missing == ()


@pytest.mark.parametrize(
    ("checks", "voided", "note"),
    [
        ([], False, None),
        ([{"isVoided": False}], False, None),
        ([{"isVoided": True}, {"isVoided": True, "isVoidingRecord": True}], True, None),
        ([{"isVoided": True}, {"isVoided": False}], False, "1 of 2 checks voided"),
    ],
    ids=["no-checks", "paid", "voided", "partial"],
)
def test_void_from_the_pay_register(checks, voided, note):
    got, finding = is_voided(checks)
    assert got is voided and (note is None or note in finding)


def test_a_voided_run_is_ready_and_flagged():
    found = _discover(voids={"202610231": (True, None)})
    assert {r.run_id: r.voided for r in found.ready} == {
        "NMF-202610-R1": True,
        "NMF-202610-C1": False,
    }


def test_choose_names_the_ambiguity():
    chosen, notes = choose_pay_period(HEADS["NMF-202610-C1"], PERIODS)
    assert chosen["periodControl"] == "202610302" and "2 pay dates" in notes[0]
