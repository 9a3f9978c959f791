"""Payroll math per employee-month, in integer øre, turned into UKG GL export lines.

Why integer øre: every amount is rounded once, per line, and each debit has its credit twin of
the very same rounded amount, so a run balances to the øre by construction — the way a real
payroll engine's export does, and the way a finance user checks it.
"""

from __future__ import annotations

from datetime import date, timedelta
from random import Random
from typing import Any

from sandbox.scenario import customer as c
from sandbox.scenario.people import Assignment, Person

HOLIDAY_PERMILLE = 102  # feriepenger 10.2 %
WAGE_SETTLEMENT_PERMILLE = 1035  # +3.5 % from 1 May 2026 (lønnsoppgjøret)
OT_HOURS_PER_MONTH = 1625  # 162.5 hours, ×10


def round_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, in integers."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    q, r = divmod(abs(numerator), abs(denominator))
    return sign * (q + (2 * r >= abs(denominator)))


def money(oere: int) -> str:
    """Øre → the decimal string the export carries (``"41250.00"``)."""
    sign = "-" if oere < 0 else ""
    q, r = divmod(abs(oere), 100)
    return f"{sign}{q}.{r:02d}"


# base account, accountType, description. The published GL v2 line (GeneralLedgerRunDetailsV2)
# has no earning/deduction/tax code and no employee: it is at account × org × job × position ×
# project level, so two employees' lines may be alike in every field but ``systemId``.
ELEMENTS: dict[str, tuple[str, str, str]] = {
    "wages": ("5000", "Expense", "Wages"),
    "retro": ("5000", "Expense", "Back pay correction"),
    "overtime": ("5090", "Expense", "Overtime"),
    "holiday": ("5020", "Expense", "Holiday pay accrual"),
    "holiday_payable": ("2940", "Liability", "Holiday pay payable"),
    "ni": ("5400", "Expense", "Employer's NI"),
    "ni_payable": ("2770", "Liability", "Employer's NI payable"),
    "ni_holiday": ("5405", "Expense", "Employer's NI on holiday pay"),
    "ni_holiday_payable": ("2780", "Liability", "Accrued employer's NI on holiday pay"),
    "pension": ("5420", "Expense", "Pension OTP"),
    "pension_payable": ("2990", "Liability", "Pension premium payable"),
    "tax": ("2600", "Liability", "Tax withholding"),
    "net": ("2930", "Liability", "Net pay"),
}
# Kept on the stored line for the pay register (one check per employee), never served on the GL.
EMPLOYEE_KEY = "_employeeNumber"


def _line(
    element: str, oere: int, debit: bool, a: Assignment, number: str, project: str | None
) -> dict[str, Any]:
    base, kind, description = ELEMENTS[element]
    amount, zero = money(oere), "0.00"
    line: dict[str, Any] = {
        "generalLedgerAccount": (
            f"{base}-{a.department}-{a.cost_centre}" if kind == "Expense" else base
        ),
        "baseSegment": base,
        "accountType": kind,
        "description": description,
        "debitAmt": amount if debit else zero,
        "creditAmt": zero if debit else amount,
        "orgLevel1": a.plant.code,
        "orgLevel2": a.department,
        "orgLevel3": a.cost_centre,
        "orgLevel4": None,
        "location": a.plant.location,
        "jobCode": a.job.code,
        "jobDesc": a.job.title,
        "positionCode": f"{a.job.code}-{a.cost_centre}",
        "positionDesc": f"{a.job.title} {a.cost_centre}",
        "project": project,
        EMPLOYEE_KEY: number,
    }
    return line


def employee_lines(
    person: Person,
    a: Assignment,
    wages: int,
    overtime: int,
    project: str | None,
    element: str = "wages",
    with_pension: bool = True,
) -> list[dict[str, Any]]:
    """All GL lines of one employee-month (amounts in øre); debits equal credits exactly."""
    number = person.number
    lines = []
    on_project = round_div(wages * a.project_pct, 100) if project else 0
    if wages - on_project:
        lines.append(_line(element, wages - on_project, True, a, number, None))
    if on_project:
        lines.append(_line(element, on_project, True, a, number, project))
    if overtime:
        lines.append(_line("overtime", overtime, True, a, number, None))
    gross = wages + overtime
    holiday = round_div(gross * HOLIDAY_PERMILLE, 1000)
    ni = round_div(gross * a.plant.ni_permille, 1000)
    ni_holiday = round_div(holiday * a.plant.ni_permille, 1000)
    g = c.GRUNNBELOP_NOK * 100
    pensionable = max(0, min(gross * 12, 12 * g) - g)
    pension = round_div(pensionable * person.pension_permille, 12 * 1000) if with_pension else 0
    tax = round_div(gross * person.tax_pct, 100)
    pairs = [
        ("holiday", "holiday_payable", holiday),
        ("ni", "ni_payable", ni),
        ("ni_holiday", "ni_holiday_payable", ni_holiday),
        ("pension", "pension_payable", pension),
    ]
    for debit, credit, amount in pairs:
        if amount:
            lines.append(_line(debit, amount, True, a, number, None))
            lines.append(_line(credit, amount, False, a, number, None))
    lines.append(_line("tax", tax, False, a, number, None))
    lines.append(_line("net", gross - tax, False, a, number, None))
    return lines


def _header(month: int, kind: str, pay_day: date, run_time: str) -> dict[str, Any]:
    start, end = c.month_bounds(c.YEAR, month)
    return {
        "runId": c.run_id(month, kind),
        "glRunDateTime": run_time,
        "companyCode": c.COMPANY_CODE,
        "coId": c.CO_ID,
        "payGroup": c.PAY_GROUP,
        "periodStartDate": start.isoformat(),
        "periodEndDate": end.isoformat(),
        "payPeriodEndDate": end.isoformat(),
        "payDate": pay_day.isoformat(),
    }


def regular_run(
    rng: Random, people: list[Person], month: int, drift_project: set[str]
) -> dict[str, Any]:
    """The monthly run: every employee paid for the days employed and not on unpaid leave."""
    start, end = c.month_bounds(c.YEAR, month)
    days = (end - start).days + 1
    pay_day = c.pay_date(c.YEAR, month)
    run_day = pay_day - timedelta(days=4)
    header = _header(month, "R1", pay_day, f"{run_day.isoformat()}T15:{10 + month:02d}:00Z")
    lines: list[dict[str, Any]] = []
    employees = 0
    for person in people:
        employed = person.days_employed(start, end)
        if not employed or person.on_leave(start):
            continue
        a = person.assignment_at(min(end, _last_day(person, start, end)))
        salary = a.salary * 100
        if month >= 5:
            salary = round_div(salary * WAGE_SETTLEMENT_PERMILLE, 1000)
        wages = salary if employed == days else round_div(salary * employed, days)
        overtime = 0
        if a.job.overtime and rng.random() < 0.25:
            hours = rng.randint(3, 25)
            overtime = round_div(salary * hours * 15, OT_HOURS_PER_MONTH)
        project = a.project
        if project and person.number in drift_project:
            project = c.DRIFT_PROJECT
        lines.extend(employee_lines(person, a, wages, overtime, project))
        employees += 1
    return {**header, "runType": "Regular", "employeeCount": employees, "lines": lines}


def correction_run(rng: Random, people: list[Person]) -> dict[str, Any]:
    """October's off-cycle correction: back pay for a handful of employees, balanced."""
    start, end = c.month_bounds(c.YEAR, 10)
    header = _header(10, "C1", date(c.YEAR, 10, 30), "2026-10-29T10:15:00Z")
    paid = [p for p in people if p.days_employed(start, end) and not p.on_leave(start)]
    chosen = rng.sample(paid, min(3, len(paid)))
    lines: list[dict[str, Any]] = []
    for person in sorted(chosen, key=lambda p: p.number):
        a = person.assignment_at(end)
        back_pay = rng.randrange(1500_00, 8000_00, 25_00)
        lines.extend(
            employee_lines(person, a, back_pay, 0, None, element="retro", with_pension=False)
        )
    return {**header, "runType": "Correction", "employeeCount": len(chosen), "lines": lines}


def _last_day(person: Person, start: date, end: date) -> date:
    """The last day in [start, end] the person was employed (their org that month)."""
    last = start
    for hired, terminated in person.spans:
        lo, hi = max(start, hired), min(end, terminated or end)
        if lo <= hi:
            last = max(last, hi)
    return last


def regular_pay_dates() -> dict[int, date]:
    """Pay group NO-M's regular pay date per month of 2026 (the 25th or the banking day before)."""
    return {month: c.pay_date(c.YEAR, month) for month in range(1, 13)}
