"""The scenario generator: the contract customer (docs/contracts.md §1), balanced to the øre.

Checks what a finance user would check: every run balances; every account, segment value and
project on the lines exists in the generated Visma company — except, deliberately, cost centre
360 in April and project PRJ1099 in May; and the payroll arithmetic per employee-month holds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sandbox.scenario import build
from sandbox.scenario.payroll import EMPLOYEE_KEY

NI = {"MOS": Decimal("0.141"), "RAU": Decimal("0.141"), "MOR": Decimal("0.051")}
UKG_TO_VISMA_PROJECT = {"PRJ1001": "P1001", "PRJ1002": "P1002", "PRJ1003": "P1003"}
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def scenario():
    return build()


def _month(run: dict) -> str:
    return run["periodStartDate"][:7]


def _money(value: str) -> Decimal:
    amount = Decimal(value)
    assert amount == amount.quantize(CENT), value
    return amount


def _visma_values(scenario) -> tuple[set[str], set[str]]:
    segments = scenario.visma["dimensions"]["SUBACCOUNT"]["segments"]
    active = [{v["value"] for v in s["segmentValues"] if v["active"]} for s in segments]
    return active[0], active[1]


def test_build_is_deterministic():  # its speed: bench/test_time_bounds.py
    first = build(7, 1200)
    second = build(7, 1200)
    assert json.dumps(first.ukg) == json.dumps(second.ukg)
    assert json.dumps(first.visma) == json.dumps(second.visma)
    other = build(8, 1200)
    assert other.ukg["employees"] != first.ukg["employees"]
    assert other.ukg["glRuns"][0]["lines"] != first.ukg["glRuns"][0]["lines"]


def test_runs_are_the_contract_runs(scenario):
    runs = scenario.ukg["glRuns"]
    ids = [r["runId"] for r in runs]
    assert ids == [f"NMF-2026{m:02d}-R1" for m in range(1, 11)] + ["NMF-202610-C1"]
    for run in runs[:-1]:
        paid = date.fromisoformat(run["payDate"])
        assert paid.day <= 25 and paid.weekday() < 5 and _month(run) == run["payDate"][:7]
        assert (date(paid.year, paid.month, 25) - paid).days <= 3
    correction = runs[-1]
    assert correction["payDate"] == "2026-10-30" and 0 < len(correction["lines"]) < 60
    assert all(r["coId"] == "C0001" and r["companyCode"] == "NMF" for r in runs)
    assert all(r["payGroup"] == "NO-M" for r in runs)
    assert scenario.ukg["payDates"][10] == "2026-10-23"  # the calendar the pay periods serve
    assert "payrollRuns" not in scenario.ukg  # UKG publishes no pay-run listing


def test_every_run_balances_to_the_ore(scenario):
    for run in scenario.ukg["glRuns"]:
        debit = sum((_money(x["debitAmt"]) for x in run["lines"]), Decimal(0))
        credit = sum((_money(x["creditAmt"]) for x in run["lines"]), Decimal(0))
        assert debit == credit > 0, run["runId"]
        assert all((_money(x["debitAmt"]) == 0) != (_money(x["creditAmt"]) == 0)
                   for x in run["lines"])  # fmt: skip


def test_regular_runs_are_big_detail_exports(scenario):
    for run in scenario.ukg["glRuns"][:-1]:
        assert len(run["lines"]) > 10_000  # several 2,000-line blocks
        # the employee a line was paid to is the sandbox's own (for the pay register); the
        # published GL line has no employee field, so it is kept under a private key
        assert all(x[EMPLOYEE_KEY] for x in run["lines"])
        assert not any("employeeNumber" in x or "earningCode" in x for x in run["lines"])
        assert run["employeeCount"] > 1_000


def test_every_account_exists_active_and_postable(scenario):
    chart = {a["accountCD"]: a for a in scenario.visma["accounts"]}
    for run in scenario.ukg["glRuns"]:
        for line in run["lines"]:
            account = chart[line["baseSegment"]]
            assert account["active"] and account["controlAccountModule"] is None
            if line["accountType"] == "Expense":
                expected = f"{line['baseSegment']}-{line['orgLevel2']}-{line['orgLevel3']}"
            else:
                expected = line["baseSegment"]
            assert line["generalLedgerAccount"] == expected


def test_org_codes_and_projects_map_except_the_broken_months(scenario):
    departments, centres = _visma_values(scenario)
    visma_projects = {p["projectID"]: p for p in scenario.visma["projects"]}
    unmapped: dict[str, set[str]] = defaultdict(set)
    for run in scenario.ukg["glRuns"]:
        for line in run["lines"]:
            assert line["orgLevel2"] in departments
            if line["orgLevel3"] not in centres:
                unmapped[_month(run)].add(f"cc:{line['orgLevel3']}")
            if line["project"]:
                project = UKG_TO_VISMA_PROJECT.get(line["project"])
                if project is None or project not in visma_projects:
                    unmapped[_month(run)].add(f"project:{line['project']}")
    assert dict(unmapped) == {"2026-04": {"cc:360"}, "2026-05": {"project:PRJ1099"}}
    assert scenario.broken == {"2026-04": {"unmapped_cost_centres": ["360"]},
                               "2026-05": {"unknown_projects": ["PRJ1099"]}}  # fmt: skip
    runs = {r["runId"]: r for r in scenario.ukg["glRuns"]}
    assert any(x["project"] == "PRJ1001" for x in runs["NMF-202605-R1"]["lines"])
    share = {x[EMPLOYEE_KEY] for x in runs["NMF-202606-R1"]["lines"] if x["project"]}
    assert 0.05 < len(share) / runs["NMF-202606-R1"]["employeeCount"] < 0.12


def test_payroll_arithmetic_per_employee_month(scenario):
    run = scenario.ukg["glRuns"][5]
    per_employee: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    plant = {}
    for line in run["lines"]:
        amounts = per_employee[line[EMPLOYEE_KEY]]
        amounts[line["baseSegment"]] += _money(line["debitAmt"]) + _money(line["creditAmt"])
        plant[line[EMPLOYEE_KEY]] = line["orgLevel1"]
    for number, a in per_employee.items():
        gross = a["5000"] + a["5090"]
        rate = NI[plant[number]]
        assert a["5020"] == a["2940"] == (gross * Decimal("0.102")).quantize(CENT, ROUND_HALF_UP)
        assert a["5400"] == a["2770"] == (gross * rate).quantize(CENT, ROUND_HALF_UP)
        assert a["5405"] == a["2780"] == (a["5020"] * rate).quantize(CENT, ROUND_HALF_UP)
        assert a["5420"] == a["2990"]
        g_month = Decimal(130_160) / 12
        assert a["5420"] >= ((min(gross, 12 * g_month) - g_month) * Decimal("0.02")).quantize(
            CENT, ROUND_HALF_UP
        )
        assert a["2600"] + a["2930"] == gross
        assert Decimal("0.25") * gross - CENT <= a["2600"] <= Decimal("0.40") * gross + CENT


def test_visma_company(scenario):
    visma = scenario.visma
    assert set(visma) == {"accounts", "dimensions", "projects", "financialPeriods", "employees",
                          "departments"}  # fmt: skip
    chart = {a["accountCD"]: a for a in visma["accounts"]}
    assert chart["1500"]["controlAccountModule"] == "AR"
    assert chart["2400"]["controlAccountModule"] == "AP"
    assert chart["5010"]["active"] is False
    assert {"5000", "5020", "5090", "5400", "5405", "5420", "2600", "2770", "2780", "2930",
            "2940", "2990", "1920", "3000", "7700"} <= set(chart)  # fmt: skip
    subaccount = visma["dimensions"]["SUBACCOUNT"]
    seg1, seg2 = subaccount["segments"]
    assert (seg1["segmentId"], seg1["length"], seg2["segmentId"], seg2["length"]) == (1, 2, 2, 3)
    values = {v["value"]: v for v in seg2["segmentValues"]}
    assert values["199"]["active"] is False and "360" not in values and values["000"]["active"]
    assert {v["value"] for v in seg1["segmentValues"]} == {"00", "10", "20", "30", "40", "50"}
    projects = {p["projectID"]: [t["taskId"] for t in p["tasks"]] for p in visma["projects"]}
    assert projects == {"P1001": ["01", "02"], "P1002": ["01", "02"], "P1003": ["01"]}
    periods = visma["financialPeriods"]
    assert [p["periodId"] for p in periods][0::12] == ["202501", "202601"] and len(periods) == 24
    assert [p["periodId"] for p in periods if p["closedInGeneralLedger"]][-1] == "202603"
    assert not any(p["closedInGeneralLedger"] for p in periods if p["periodId"] >= "202604")
    assert visma["employees"] == []


def test_workforce_histories(scenario):
    employees = scenario.ukg["employees"]
    assert len(employees) == 1200
    assert len({e["employeeId"] for e in employees}) == 1200
    assert len({e["employeeNumber"] for e in employees}) == 1200
    rehired = [e for e in employees if e["terminationDate"] and e["employeeStatus"] == "A"]
    assert rehired and all(e["lastHireDate"] > e["terminationDate"] for e in rehired)
    assert all(e["originalHireDate"] < e["lastHireDate"] for e in rehired)
    terminated = [e for e in employees if e["employeeStatus"] == "T"]
    assert terminated and all(e["terminationDate"] and not e["isActive"] for e in terminated)
    hired_2026 = [e for e in employees if e["originalHireDate"] >= "2026-01-01"]
    assert 30 < len(hired_2026) < 150
    kinds = {c["eventType"] for c in scenario.ukg["employeeChanges"]}
    assert {"EmployeeHireEvent", "EmployeeTerminationEvent", "EmployeeRehireEvent",
            "EmployeeOrgLevelChangeEvent", "EmployeeJobChangeEvent"} <= kinds  # fmt: skip
    to_360 = [c for c in scenario.ukg["employeeChanges"] if c["effectiveDate"] == "2026-04-01"
              and c["eventType"] == "EmployeeOrgLevelChangeEvent"]  # fmt: skip
    assert to_360
    assert all(c["dateTimeChanged"] < "2026-11-24" for c in scenario.ukg["employeeChanges"])
    assert {e["orgLevel3Code"] for e in employees} <= {
        o["code"] for o in scenario.ukg["orgLevels"] if o["level"] == 3
    }


def test_option_empty_visma_segments():
    s = build(42, 100, visma_segments="empty", gl_runs=False)
    assert all(not seg["segmentValues"] for seg in s.visma["dimensions"]["SUBACCOUNT"]["segments"])
    assert s.ukg["glRuns"] == [] and s.broken == {}


def test_option_forty_cost_centres():
    s = build(42, 400, cost_centers=40)
    centres = {o["code"] for o in s.ukg["orgLevels"] if o["level"] == 3}
    assert len(centres) == 41 and "360" in centres
    extra = centres - {f"{p}{d}0" for p in "123" for d in "12345"} - {"360"}
    used = {x["orgLevel3"] for r in s.ukg["glRuns"] for x in r["lines"]}
    assert used & extra
    assert all(code[1] in "12345" for code in extra)
    _, visma_centres = _visma_values(s)
    assert not extra & visma_centres


def test_option_no_drift_gives_clean_months():
    s = build(42, 300, drift=False, months=6, correction=False)
    assert [r["runId"] for r in s.ukg["glRuns"]] == [f"NMF-2026{m:02d}-R1" for m in range(1, 7)]
    lines = [x for r in s.ukg["glRuns"] for x in r["lines"]]
    assert not any(x["orgLevel3"] == "360" or x["project"] == "PRJ1099" for x in lines)
    assert "360" not in {o["code"] for o in s.ukg["orgLevels"]}


@pytest.mark.parametrize(
    "options",
    [
        {"colour": "red"},
        {"visma_segments": "some"},
        {"cost_centers": 10},
        {"months": 11},
        {"scenario": "bakery"},
    ],
    ids=["unknown", "bad-segments", "too-few-centres", "too-many-months", "unknown-scenario"],
)
def test_bad_options_are_refused(options):
    with pytest.raises((TypeError, ValueError)):
        build(42, 50, **options)


def test_the_group_option_makes_mo_i_rana_a_company_of_its_own():
    """Issue #25: with ``group``, the plant Mo i Rana is UKG company NMR (pay group NOR-M): its
    employees and its lines of every run move there, each company's runs balance, and together
    they are the whole workforce's payroll, line for line."""
    from decimal import Decimal

    from sandbox.scenario import build

    one, group = build(seed=7, employees=120), build(seed=7, employees=120, group=True)
    by_company: dict[str, list] = {}
    for run in group.ukg["glRuns"]:
        by_company.setdefault(run["companyCode"], []).append(run)
        debit = sum(Decimal(x["debitAmt"]) for x in run["lines"])
        assert debit == sum(Decimal(x["creditAmt"]) for x in run["lines"]), run["runId"]
        plants = {x["orgLevel1"] for x in run["lines"]}
        assert (plants == {"MOR"}) == (run["companyCode"] == "NMR")
    assert {r["payGroup"] for r in by_company["NMR"]} == {"NOR-M"}
    assert [r["runId"] for r in by_company["NMR"]][:1] == ["NMR-202601-R1"]
    assert sum(len(r["lines"]) for r in group.ukg["glRuns"]) == sum(
        len(r["lines"]) for r in one.ukg["glRuns"]
    )
    moved = {e["employeeId"] for e in group.ukg["employees"] if e["companyId"] == "C0003"}
    assert moved == {e["employeeId"] for e in one.ukg["employees"] if e["orgLevel1Code"] == "MOR"}
    assert [c["companyCode"] for c in group.ukg["companies"]] == ["NMF", "NMR"]
