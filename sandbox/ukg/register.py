"""The pay calendar (``paygroup-payperiods``) and the pay register, derived from the GL runs.

Why derived: in a real tenant the pay period, the checks and the GL export are three views of one
payroll. The sandbox keeps one source (the GL runs with their internal ``payDate`` and, on
scenario lines, the employee each line was paid to) and builds the other two from it, so they
can never disagree unless a test makes them (``POST /_sandbox/pay-periods``).

Shapes follow UKG's published models ``PayGroupPayPeriods`` and ``PayRegister`` (the
``PayGroupPayPeriod_GetPayGroupPayPeriod`` and ``PayRegister_Get`` operations); dates are served
as ISO date-times (``2026-10-23T00:00:00``) as the models' ``format: date-time`` says, amounts as
JSON numbers.

Choices where the contract is silent (docs/contracts.md, "Published UKG payroll operations"):
- ``periodControl`` is the pay date as ``YYYYMMDD`` followed by ``payDateSeq`` (``202610231``);
  ``payPeriodId`` is the same digits as an integer.
- ``periodType``: ``R`` for the regular pay date of a month, ``S`` (special) for an off-cycle one.
- A regular pay period is closed once its month's regular run exists; an off-cycle period (it
  exists only because its run does) is closed. ``POST /_sandbox/pay-periods`` overrides both.
- A voided run shows in the pay register: each of its checks ``isVoided: true`` with
  ``voidDate``, plus one voiding record per check (``isVoidingRecord: true``, amounts negated).
  The GL export of the run stays readable, as it does in UKG.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sandbox.scenario import customer
from sandbox.scenario.payroll import EMPLOYEE_KEY

_EARNINGS = ("5000", "5090")
_TAX, _NET = "2600", "2930"


def number(value: Any) -> int | float | None:
    """An exact decimal (``"41250.10"``) as the JSON number UKG's models declare.

    A float is only used when its shortest repr is the very same decimal (always true for
    amounts of ≤ 15 significant digits), so the client reading ``41250.1`` gets it exactly.
    """
    if value is None or value == "":
        return None
    exact = Decimal(str(value))
    if exact == exact.to_integral_value():
        return int(exact)
    as_float = float(exact)
    if Decimal(repr(as_float)) != exact:
        raise ValueError(f"{value} cannot be served exactly as a JSON number")
    return as_float


def stamp(day: str | date) -> str:
    """``2026-10-23`` → ``2026-10-23T00:00:00`` (the models' date-time format)."""
    text = day.isoformat() if isinstance(day, date) else str(day)
    return text if "T" in text else f"{text[:10]}T00:00:00"


def _control(pay_date: str, seq: int) -> str:
    return f"{pay_date[:10].replace('-', '')}{seq}"


def pay_periods(
    runs: Iterable[dict[str, Any]],
    regular_dates: dict[Any, str],
    overrides: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """Every pay period of every pay group, ordered by pay group, pay date, sequence.

    ``regular_dates``: the scenario's regular pay date per month (pay group NO-M);
    ``overrides``: ``"{payGroup}:{payDate}"`` → fields set by the admin route (closure state,
    or a whole period for a pay date no run has yet).
    """
    rows: dict[str, dict[str, Any]] = {}
    runs = list(runs)
    paid = {(r["payGroup"], r["payDate"][:10]): r for r in runs}
    for month, pay_day in sorted(regular_dates.items(), key=lambda kv: int(kv[0])):
        start, end = customer.month_bounds(customer.YEAR, int(month))
        run = paid.get((customer.PAY_GROUP, pay_day))
        rows[f"{customer.PAY_GROUP}:{pay_day}"] = {
            "payGroup": customer.PAY_GROUP,
            "payDate": pay_day,
            "periodStartDate": start.isoformat(),
            "periodEndDate": end.isoformat(),
            "periodType": "R",
            "isPeriodClosed": run is not None,
            "closedAt": run["glRunDateTime"] if run else None,
        }
    for run in sorted(runs, key=lambda r: (r["payDate"], r["runId"])):
        key = f"{run['payGroup']}:{run['payDate'][:10]}"
        if key in rows:
            continue
        regular = run.get("runType", "Regular") == "Regular"
        rows[key] = {
            "payGroup": run["payGroup"],
            "payDate": run["payDate"][:10],
            "periodStartDate": run["periodStartDate"][:10],
            "periodEndDate": run["periodEndDate"][:10],
            "periodType": "R" if regular else "S",
            "isPeriodClosed": True,
            "closedAt": run["glRunDateTime"],
        }
    for key, fields in overrides.items():
        rows[key] = {**rows.get(key, {}), **fields}
    ordered = sorted(rows.values(), key=lambda r: (r["payGroup"], r["payDate"]))
    out = []
    seq_of: dict[tuple[str, str], int] = {}
    per_month: dict[tuple[str, str], int] = {}
    for row in ordered:
        period = (row["payGroup"], row["periodStartDate"][:10])
        seq = seq_of[period] = seq_of.get(period, 0) + 1
        month = (row["payGroup"], row["payDate"][:7])
        per_month[month] = per_month.get(month, 0) + 1
        control = _control(row["payDate"], seq)
        closed = bool(row.get("isPeriodClosed"))
        closed_at = row.get("closedAt") or f"{row['payDate'][:10]}T12:00:00Z"
        out.append(
            {
                "payGroup": row["payGroup"],
                "payDate": stamp(row["payDate"]),
                "payDateSeq": seq,
                "periodStartDate": stamp(row["periodStartDate"]),
                "periodEndDate": stamp(row["periodEndDate"]),
                "periodControl": control,
                "payPeriodId": int(control),
                "periodType": row.get("periodType", "R"),
                "monthlyPayPeriodNumber": per_month[month],
                "isActive": True,
                "isPeriodClosed": closed,
                "dateTimePeriodClosed": closed_at if closed else None,
                "dateTimePeriodOpened": stamp(row["periodStartDate"]),
                "dateTimeCreated": stamp(row["periodStartDate"]),
                "dateTimeChanged": closed_at if closed else stamp(row["periodStartDate"]),
            }
        )
    return out


def _sum(lines: list[dict[str, Any]], field: str, accounts: tuple[str, ...]) -> Decimal:
    return sum(
        (Decimal(str(x.get(field) or 0)) for x in lines if str(x.get("baseSegment")) in accounts),
        Decimal(0),
    )


def checks(
    run: dict[str, Any],
    period: dict[str, Any],
    voided_at: str | None,
    employee_ids: dict[str, str],
) -> list[dict[str, Any]]:
    """The pay register's checks of one run (one per employee; one for a run with no employees
    on its lines), and the voiding records when the run was voided."""
    by_employee: dict[str, list[dict[str, Any]]] = {}
    for line in run["lines"]:
        who = str(line.get(EMPLOYEE_KEY) or line.get("employeeNumber") or "")
        by_employee.setdefault(who, []).append(line)
    out = []
    for n, (who, lines) in enumerate(sorted(by_employee.items()), start=1):
        earnings = _sum(lines, "debitAmt", _EARNINGS)
        tax = _sum(lines, "creditAmt", (_TAX,))
        net = _sum(lines, "creditAmt", (_NET,))
        check = {
            "checkId": f"{run['runId']}-{n:05d}",
            "documentNumber": f"{period['periodControl']}{n:05d}",
            "companyId": run["coId"],
            "employeeId": employee_ids.get(who),
            "employeeNumber": who or None,
            "payGroup": run["payGroup"],
            "payDate": period["payDate"],
            "periodControl": period["periodControl"],
            "periodStartDate": period["periodStartDate"],
            "periodEndDate": period["periodEndDate"],
            "payPeriodFrequency": "M",
            "currencyCode": "NOK",
            "sequenceNumber": 1,
            "totalEarningsAmount": earnings,
            "totalTaxAmount": tax,
            "totalDeductionAmount": earnings - tax - net,
            "netAmount": net,
            "checkAmount": net,
            "isVoided": voided_at is not None,
            "isVoidingRecord": False,
            "voidDate": voided_at,
        }
        out.append(check)
        if voided_at is not None:
            money = ("totalEarningsAmount", "totalTaxAmount", "totalDeductionAmount", "netAmount")
            voiding = {**check, "checkId": f"{check['checkId']}-V", "isVoidingRecord": True}
            voiding.update({k: -check[k] for k in (*money, "checkAmount")})
            out.append(voiding)
    for check in out:
        for key, value in check.items():
            if isinstance(value, Decimal):
                check[key] = number(value)
    return out
