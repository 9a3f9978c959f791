"""UKG payroll contract: the GL export in blocks and pages, payroll runs, pay periods, own runs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ukg_helpers import BLOCK_SIZE, GL_LINE_FIELDS

GL = "/payroll/v2/general-ledger"
RUN = "NMF-202606-R1"


def _read_run(ukg, run_id: str, per_page: int = 300) -> tuple[list[dict], int]:
    first = ukg.get(GL, {"runId": run_id, "per_Page": per_page})
    assert first.status_code == 200
    total = first.json()[0]["totalNrOfBlocks"]
    lines = []
    for block in range(1, total + 1):
        lines += ukg.all_pages(GL, {"runId": run_id, "blockId": block, "per_Page": per_page})
    return lines, total


def _sums(lines: list[dict]) -> tuple[Decimal, Decimal]:
    return (
        sum((Decimal(x["debitAmt"]) for x in lines), Decimal(0)),
        sum((Decimal(x["creditAmt"]) for x in lines), Decimal(0)),
    )


def test_a_run_read_block_by_block_balances_to_the_ore(ukg):
    lines, total = _read_run(ukg, RUN)
    stored = ukg.app.state.ukg.run(RUN)["lines"]
    assert total == -(-len(stored) // BLOCK_SIZE) >= 3
    assert len(lines) == len(stored)
    debit, credit = _sums(lines)
    assert debit == credit > 0
    assert {x["blockId"] for x in lines} == set(range(1, total + 1))
    assert all(set(x) == GL_LINE_FIELDS for x in lines)
    assert {x["runId"] for x in lines} == {RUN}
    assert {x["payDate"] for x in lines} == {"2026-06-25"}


def test_a_single_block_does_not_balance(ukg):
    block = ukg.all_pages(GL, {"runId": RUN, "blockId": 2, "per_Page": 1000})
    assert len(block) == BLOCK_SIZE
    debit, credit = _sums(block)
    assert debit != credit


def test_paging_links_and_short_last_page(ukg):
    first = ukg.get(GL, {"runId": RUN, "blockId": 1, "per_Page": 300})
    assert len(first.json()) == 300
    nxt = first.links["next"]["url"]
    assert "page=2" in nxt and "per_Page=300" in nxt and "blockId=1" in nxt
    third = ukg.get(GL, {"runId": RUN, "blockId": 1, "per_Page": 300, "page": 3})
    assert len(third.json()) == BLOCK_SIZE - 600
    assert "next" not in third.links
    beyond = ukg.get(GL, {"runId": RUN, "blockId": 1, "per_Page": 300, "page": 9})
    assert beyond.status_code == 200 and beyond.json() == []


def test_path_form_equals_query_form(ukg):
    by_path = ukg.get(f"{GL}/{RUN}", {"blockId": 2, "per_Page": 50, "page": 2}).json()
    by_query = ukg.get(GL, {"runId": RUN, "blockId": 2, "per_Page": 50, "page": 2}).json()
    assert by_path == by_query and len(by_path) == 50


def test_most_recent_is_the_october_correction(ukg):
    lines = ukg.get(GL, {"mostRecent": "true"}).json()
    assert {x["runId"] for x in lines} == {"NMF-202610-C1"}
    assert lines[0]["payDate"] == "2026-10-30"
    debit, credit = _sums(lines)
    assert debit == credit


@pytest.mark.parametrize(
    ("params", "status", "has_body"),
    [
        ({"runId": "NMF-209901-R1"}, 404, False),
        ({"runId": RUN, "blockId": 99}, 404, True),
        ({"runId": RUN, "blockId": "x"}, 400, True),
        ({}, 400, True),
        ({"runId": RUN, "per_Page": 10_001}, 400, True),
        ({"runId": RUN, "page": 0}, 400, True),
    ],
    ids=["unknown-run", "block-out-of-range", "bad-block", "no-run", "page-too-big", "page-0"],
)
def test_gl_errors(ukg, params, status, has_body):
    response = ukg.get(GL, params)
    assert response.status_code == status
    if has_body:
        body = response.json()
        assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    else:
        assert response.content == b""


def test_payroll_runs_by_pay_date(ukg):
    response = ukg.get(
        "/payroll/v1/payroll-runs", {"payDateFrom": "2026-04-01", "payDateTo": "2026-05-31"}
    )
    runs = response.json()
    assert [r["runId"] for r in runs] == ["NMF-202604-R1", "NMF-202605-R1"]
    assert runs[0]["payDate"] == "2026-04-24"  # the 25th is a Saturday
    assert {
        "runId",
        "coId",
        "companyCode",
        "payGroup",
        "payDate",
        "periodStartDate",
        "periodEndDate",
    } <= set(runs[0])
    october = ukg.get("/payroll/v1/payroll-runs", {"payDateFrom": "2026-10-01"}).json()
    assert [r["runId"] for r in october] == ["NMF-202610-R1", "NMF-202610-C1"]
    paged = ukg.all_pages("/payroll/v1/payroll-runs", {"per_page": 4})
    assert len(paged) == 11
    bad = ukg.get("/payroll/v1/payroll-runs", {"payDateFrom": "May 1st"})
    assert bad.status_code == 400 and "payDateFrom" in bad.json()["errors"]


def test_pay_periods(ukg):
    periods = ukg.get("/payroll/v1/paygroup-payperiods", {"payGroup": "NO-M"}).json()
    assert len(periods) == 12
    assert periods[0] == {
        "companyCode": "NMF", "coId": "C0001", "payGroup": "NO-M",
        "periodStartDate": "2026-01-01", "periodEndDate": "2026-01-31",
        "payDate": "2026-01-23", "isPeriodClosed": True,
    }  # fmt: skip
    assert [p["isPeriodClosed"] for p in periods] == [True] * 10 + [False] * 2
    assert ukg.get("/payroll/v1/paygroup-payperiods", {"payGroup": "XX"}).json() == []


def _own_run(**extra):
    lines = [
        {"generalLedgerAccount": "5000-10-110", "baseSegment": "5000", "debitAmt": "100.10",
         "creditAmt": "0", "orgLevel2": "10", "orgLevel3": "110", "employeeNumber": "9"},
        {"generalLedgerAccount": "5400-10-110", "baseSegment": "5400", "debitAmt": 14.11,
         "creditAmt": 0, "orgLevel2": "10", "orgLevel3": "110", "employeeNumber": "9"},
        {"generalLedgerAccount": "2770", "baseSegment": "2770", "debitAmt": "0",
         "creditAmt": "14.11"},
        {"generalLedgerAccount": "2600", "baseSegment": "2600", "debitAmt": "0",
         "creditAmt": "30.00"},
        {"generalLedgerAccount": "2930", "baseSegment": "2930", "debitAmt": "0",
         "creditAmt": "70.10"},
    ]  # fmt: skip
    return {"runId": "TEST-1", "periodStartDate": "2026-11-01", "periodEndDate": "2026-11-30",
            "payDate": "2026-11-25", "glRunDateTime": "2026-11-20T10:00:00Z", "lines": lines,
            "block_size": 2, **extra}  # fmt: skip


def test_bring_your_own_gl_run(ukg):
    added = ukg.admin("POST", "gl-runs", _own_run())
    assert added == {"runId": "TEST-1", "lines": 5, "blockSize": 2, "totalNrOfBlocks": 3,
                     "debit": "114.21", "credit": "114.21", "balanced": True}  # fmt: skip
    lines, total = _read_run(ukg, "TEST-1", per_page=1)
    assert total == 3 and len(lines) == 5
    assert all(x["companyCode"] == "NMF" and x["payGroup"] == "NO-M" for x in lines)
    assert lines[1]["debitAmt"] == 14.11  # served as given (numbers stay numbers)
    assert [x["blockId"] for x in lines] == [1, 1, 2, 2, 3]
    most_recent = ukg.get(GL, {"mostRecent": "true"}).json()
    assert most_recent[0]["runId"] == "TEST-1"
    runs = ukg.get("/payroll/v1/payroll-runs", {"payDateFrom": "2026-11-01"}).json()
    assert [r["runId"] for r in runs] == ["TEST-1"] and runs[0]["employeeCount"] == 2


def test_own_run_conflicts_unless_replaced(ukg):
    ukg.admin("POST", "gl-runs", _own_run())
    again = ukg.http.post("/_sandbox/gl-runs", json=_own_run())
    assert again.status_code == 409
    unbalanced = _own_run(replace=True, block_size=10)
    unbalanced["lines"] = unbalanced["lines"][:4]
    replaced = ukg.admin("POST", "gl-runs", unbalanced)
    assert replaced["balanced"] is False and replaced["totalNrOfBlocks"] == 1
    assert len(ukg.get(GL, {"runId": "TEST-1"}).json()) == 4


def test_a_scenario_run_can_be_re_run(ukg):
    rerun = _own_run(runId="NMF-202605-R1", replace=True)
    ukg.admin("POST", "gl-runs", rerun)
    lines, _ = _read_run(ukg, "NMF-202605-R1")
    assert len(lines) == 5
    ukg.admin("POST", "reset", {"seed": 42, "employees": 250})
    lines, _ = _read_run(ukg, "NMF-202605-R1")
    assert len(lines) > 1000
