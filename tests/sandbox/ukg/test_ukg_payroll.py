"""UKG payroll contract: the GL export in blocks and pages, pay periods, pay register, own runs.

Field names and types are checked against the published models (``ukg_published_payroll.json``,
extracted from UKG's OpenAPI document); paths the contract lacks answer 404.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from ukg_helpers import (
    BLOCK_SIZE,
    GL_LINE_FIELDS,
    PAY_PERIOD_FIELDS,
    PAY_REGISTER_FIELDS,
    PUBLISHED,
)

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
        sum((Decimal(str(x["debitAmt"])) for x in lines), Decimal(0)),
        sum((Decimal(str(x["creditAmt"])) for x in lines), Decimal(0)),
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
    assert sorted(x["systemId"] for x in lines) == list(range(1, len(lines) + 1))


_JSON_TYPES = {"string": str, "integer": int, "boolean": bool}


def _typed_as_published(item: dict, model: str) -> list[str]:
    """The fields of ``item`` whose JSON type differs from the published model's."""
    wrong = []
    for field, value in item.items():
        kind = PUBLISHED[model][field].split(":")[0]
        if value is None:
            continue
        if kind == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, _JSON_TYPES[kind]) and not (
                kind == "integer" and isinstance(value, bool)
            )
        if not ok:
            wrong.append(f"{field}={value!r} (published {kind})")
    return wrong


def test_gl_lines_carry_only_published_fields_with_published_types(ukg):
    raw = ukg.get(GL, {"runId": RUN, "blockId": 1, "per_Page": 50})
    lines = raw.json()
    assert all(set(x) == GL_LINE_FIELDS for x in lines)
    for gone in ("payDate", "employeeNumber", "earningCode", "deductionCode", "taxCode"):
        assert gone not in raw.text
    assert [w for x in lines for w in _typed_as_published(x, "GeneralLedgerRunDetailsV2")] == []
    assert isinstance(lines[0]["glJson"], str) and lines[0]["userWhoRanThisGl"]
    assert lines[0]["periodStartDate"] == "2026-06-01T00:00:00"


def test_gl_amounts_are_exact_json_numbers(ukg):
    """The wire text holds plain decimals (``41250.1``), which a decimal parser reads exactly."""
    raw = ukg.get(GL, {"runId": RUN, "blockId": 1, "per_Page": 200}).text
    parsed = __import__("json").loads(raw, parse_float=Decimal)
    stored = ukg.app.state.ukg.run(RUN)["lines"][:200]
    assert [Decimal(str(x["debitAmt"])) for x in parsed] == [Decimal(x["debitAmt"]) for x in stored]
    assert '"debitAmt":"' not in raw and '"creditAmt":"' not in raw


def test_scenario_has_lines_alike_but_for_system_id(ukg):
    lines, _ = _read_run(ukg, RUN)
    seen: dict[tuple, int] = {}
    for x in lines:
        key = tuple(sorted((k, str(v)) for k, v in x.items() if k not in ("systemId", "blockId")))
        seen[key] = seen.get(key, 0) + 1
    assert max(seen.values()) >= 2  # legitimate twins: two employees, same account/org/job


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
    assert lines[0]["glRunDateTime"] == "2026-10-29T10:15:00Z"
    debit, credit = _sums(lines)
    assert debit == credit
    # unpublished filters are not honoured: the same run whatever they say
    filtered = ukg.get(GL, {"mostRecent": "true", "payGroup": "XX", "companyCode": "ZZ"}).json()
    assert filtered == lines


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


def test_there_is_no_pay_run_listing(ukg):
    """``/payroll/v1/payroll-runs`` is not in UKG's contract: a 404 like any unknown path."""
    assert "/payroll/v1/payroll-runs" not in PUBLISHED["operations"]
    for params in ({}, {"payDateFrom": "2026-04-01", "payDateTo": "2026-05-31"}):
        assert ukg.get("/payroll/v1/payroll-runs", params).status_code == 404
    assert ukg.get("/payroll/v1/no-such-thing").status_code == 404


PERIODS = "/payroll/v1/paygroup-payperiods"
REGISTER = "/payroll/v1/pay-register"


def test_pay_periods_regular_and_off_cycle(ukg):
    periods = ukg.all_pages(PERIODS, {"payGroup": "NO-M", "per_Page": 5})
    assert all(set(p) <= PAY_PERIOD_FIELDS for p in periods)
    assert [w for p in periods for w in _typed_as_published(p, "PayGroupPayPeriods")] == []
    assert len(periods) == 13  # 12 regular pay dates + October's off-cycle
    april = next(p for p in periods if p["payDate"].startswith("2026-04"))
    assert april["payDate"] == "2026-04-24T00:00:00"  # the 25th is a Saturday
    assert april["periodStartDate"] == "2026-04-01T00:00:00"
    assert april["periodControl"] == "202604241" and april["payDateSeq"] == 1
    october = [p for p in periods if p["payDate"].startswith("2026-10")]
    assert [(p["payDate"][:10], p["payDateSeq"], p["periodType"]) for p in october] == [
        ("2026-10-23", 1, "R"),
        ("2026-10-30", 2, "S"),
    ]
    assert {p["periodStartDate"] for p in october} == {"2026-10-01T00:00:00"}
    closed = [p["isPeriodClosed"] for p in periods if p["periodType"] == "R"]
    assert closed == [True] * 10 + [False] * 2
    assert all(p["dateTimePeriodClosed"] for p in periods if p["isPeriodClosed"])
    assert ukg.get(PERIODS, {"payGroup": "XX"}).json() == []
    by_control = ukg.get(PERIODS, {"startPerControl": "202610010", "endPerControl": "202610319"})
    assert [p["periodControl"] for p in by_control.json()] == ["202610231", "202610302"]
    by_date = ukg.get(PERIODS, {"payDate": "2026-10-30T00:00:00"}).json()
    assert [p["payDateSeq"] for p in by_date] == [2]


def test_pay_period_closure_is_set_through_the_admin_route(ukg):
    opened = ukg.admin(
        "POST",
        "pay-periods",
        {"payGroup": "NO-M", "payDate": "2026-06-25", "isPeriodClosed": False},
    )
    assert opened["isPeriodClosed"] is False and opened["dateTimePeriodClosed"] is None
    served = ukg.get(PERIODS, {"payGroup": "NO-M", "payDate": "2026-06-25"}).json()
    assert served == [opened]
    closed = ukg.admin(
        "POST",
        "pay-periods",
        {"payGroup": "NO-M", "payDate": "2026-11-25", "isPeriodClosed": True,
         "dateTimePeriodClosed": "2026-11-26T08:00:00Z"},
    )  # fmt: skip
    assert closed["isPeriodClosed"] and closed["dateTimePeriodClosed"] == "2026-11-26T08:00:00Z"
    new = {"payGroup": "NO-X", "payDate": "2026-11-20", "isPeriodClosed": True}
    assert ukg.http.post("/_sandbox/pay-periods", json=new).status_code == 400
    added = ukg.admin(
        "POST",
        "pay-periods",
        {**new, "periodStartDate": "2026-11-01", "periodEndDate": "2026-11-30"},
    )
    assert added["payGroup"] == "NO-X" and added["periodControl"] == "202611201"


def test_pay_register_checks_and_a_void(ukg):
    june = ukg.all_pages(REGISTER, {"payGroup": "NO-M", "payDate": "2026-06-25", "per_Page": 100})
    assert june and all(set(c) <= PAY_REGISTER_FIELDS for c in june)
    assert [w for c in june for w in _typed_as_published(c, "PayRegister")] == []
    assert {c["periodControl"] for c in june} == {"202606251"}
    assert not any(c["isVoided"] or c["isVoidingRecord"] for c in june)
    net = sum(Decimal(str(c["netAmount"])) for c in june)
    gl_net = sum(
        Decimal(str(x["creditAmt"])) for x in _read_run(ukg, RUN)[0] if x["baseSegment"] == "2930"
    )
    assert net == gl_net > 0
    ukg.admin("POST", f"gl-runs/{RUN}/void", {"voidedDateTime": "2026-07-02T09:00:00Z"})
    after = ukg.all_pages(REGISTER, {"payGroup": "NO-M", "payDate": "2026-06-25"})
    originals = [c for c in after if not c["isVoidingRecord"]]
    voiding = [c for c in after if c["isVoidingRecord"]]
    assert len(originals) == len(voiding) == len(june)
    assert all(c["isVoided"] and c["voidDate"] == "2026-07-02T09:00:00Z" for c in originals)
    assert sum(Decimal(str(c["netAmount"])) for c in after) == 0
    other = ukg.all_pages(REGISTER, {"payGroup": "NO-M", "payDate": "2026-07-24"})
    assert other and not any(c["isVoided"] for c in other)


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
    assert lines[0]["debitAmt"] == 100.1 and lines[1]["debitAmt"] == 14.11  # numbers
    assert all(set(x) == GL_LINE_FIELDS for x in lines)  # employeeNumber given, not served
    assert [x["blockId"] for x in lines] == [1, 1, 2, 2, 3]
    most_recent = ukg.get(GL, {"mostRecent": "true"}).json()
    assert most_recent[0]["runId"] == "TEST-1"
    period = ukg.get(PERIODS, {"payGroup": "NO-M", "payDate": "2026-11-25"}).json()
    assert [(p["periodControl"], p["isPeriodClosed"]) for p in period] == [("202611251", True)]
    checks = ukg.get(REGISTER, {"payGroup": "NO-M", "payDate": "2026-11-25"}).json()
    assert sorted(str(c["employeeNumber"]) for c in checks) == ["9", "None"]


def test_own_run_may_give_or_omit_system_ids(ukg):
    run = _own_run(runId="TEST-SYS", block_size=10)
    run["lines"][0]["systemId"] = 7
    run["lines"][1]["systemId"] = 7  # the same systemId twice: served as given
    run["lines"][2]["systemId"] = None  # omitted
    ukg.admin("POST", "gl-runs", run)
    lines = ukg.get(GL, {"runId": "TEST-SYS"}).json()
    assert [x.get("systemId") for x in lines] == [7, 7, None, 4, 5]
    assert "systemId" not in lines[2]


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


def test_a_repeated_run_is_served_that_many_times_over_with_own_system_ids(ukg):
    """``repeat`` (a sandbox knob for benches): the stored lines served N times, made per block."""
    added = ukg.admin("POST", "gl-runs", _own_run(runId="TEST-REP", repeat=4, block_size=3))
    assert added["lines"] == 20 and added["totalNrOfBlocks"] == 7
    assert added["debit"] == added["credit"] == "456.84" and added["balanced"]
    lines, total = _read_run(ukg, "TEST-REP", per_page=2)
    assert total == 7 and len(lines) == 20
    assert [x["systemId"] for x in lines] == list(range(1, 21))
    assert [x["debitAmt"] for x in lines[:5]] == [x["debitAmt"] for x in lines[5:10]]
    assert _sums(lines) == (Decimal("456.84"), Decimal("456.84"))
    assert ukg.get(GL, {"runId": "TEST-REP", "blockId": 8}).status_code == 404
