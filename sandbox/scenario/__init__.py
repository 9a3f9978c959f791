"""The scenario generator: "Nordic Manufacturing AS" (docs/contracts.md §1), deterministic per seed.

``build(seed=42, employees=1200, **options) -> Scenario``; ``Scenario.ukg`` is what the UKG sandbox
serves, ``Scenario.visma`` what the Visma sandbox starts with. Options (all cheap):

- ``visma_segments``: ``"full"`` (default) or ``"empty"`` — Visma with no SUBACCOUNT values at all.
- ``cost_centers``: UKG cost centres (default 15, the contract's; e.g. 40 for alignment tests —
  the extra ones exist in UKG only, and employees are spread over them too).
- ``drift``: ``True`` (default) — the broken months (04: cost centre 360, 05: project PRJ1099);
  ``False`` gives twelve clean months of data for happy-path runs.
- ``months``: regular runs 2026-01 … 2026-``months`` (default 10).
- ``correction``: the October off-cycle run ``NMF-202610-C1`` (default True; needs months = 10).
- ``gl_runs``: ``False`` skips the payroll runs altogether (employee-only tests start faster).
- ``group``: ``True`` makes the plant Mo i Rana a company of its own (``customer.MO_I_RANA``:
  UKG company NMR, coId C0003, pay group NOR-M): its employees and its share of every GL run
  (runs ``NMR-2026MM-R1``) move there; the rest stays NMF (issue #25, a group of companies).
- ``chart``: the Visma company's chart — ``"nordic"`` (default, NMF's) or ``"mo_i_rana"``
  (``visma.company``: another company's chart that shares most account numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random
from typing import Any

from sandbox.scenario import customer, payroll, visma
from sandbox.scenario.people import Person, Workforce, stamp

SCENARIOS = ("manufacturer",)
_OPTIONS = {
    "visma_segments": "full",
    "cost_centers": 15,
    "drift": True,
    "months": customer.REGULAR_MONTHS,
    "correction": True,
    "gl_runs": True,
    "group": False,
    "chart": "nordic",
}


@dataclass
class Scenario:
    """One generated customer. ``ukg``/``visma`` are plain JSON-native dicts (amounts as strings).

    ``ukg`` keys: ``tenant``, ``company``, ``orgLevels``, ``employees`` (current snapshots),
    ``employeeChanges`` (every change HR entered: ``employeeId``, ``dateTimeChanged``,
    ``eventType``, ``operation``, ``effectiveDate``), ``payDates`` (the regular pay date per
    month, ISO), ``glRuns`` (each with its internal ``payDate`` and ``runType``: the pay calendar
    and the pay register are derived from them; the GL export serves neither).
    ``visma`` keys: ``accounts``, ``dimensions``, ``projects``, ``financialPeriods``,
    ``employees``, ``departments``. ``broken`` names the deliberately broken months.
    """

    seed: int
    employees: int
    options: dict[str, Any]
    ukg: dict[str, Any]
    visma: dict[str, Any]
    broken: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def org_levels(cost_centre_count: int, drift: bool) -> list[dict[str, Any]]:
    """UKG org levels: 1 plant, 2 department, 3 cost centre (+ 360 when drifting)."""

    def level(n: int, code: str, description: str) -> dict[str, Any]:
        return {
            "level": n,
            "code": code,
            "description": description,
            "glSegment": code,
            "isActive": True,
        }

    levels = [level(1, p.code, p.name) for p in customer.PLANTS]
    levels += [level(2, code, name) for code, name in customer.DEPARTMENTS.items()]
    centres = customer.cost_centres(cost_centre_count)
    levels += [level(3, code, description) for code, (_, description) in centres.items()]
    if drift:
        levels.append(level(3, customer.DRIFT_COST_CENTRE, customer.DRIFT_COST_CENTRE_NAME))
    return levels


def _changes(people: list[Person]) -> list[dict[str, Any]]:
    changes = [
        {
            "employeeId": p.employee_id,
            "dateTimeChanged": stamp(ch.changed_at),
            "eventType": ch.event_type,
            "operation": ch.operation,
            "effectiveDate": ch.effective.isoformat(),
        }
        for p in people
        for ch in p.changes
    ]
    changes.sort(key=lambda ch: (ch["dateTimeChanged"], ch["employeeId"]))
    return changes


def build(seed: int = 42, employees: int = 1200, **options: Any) -> Scenario:
    """Generate the manufacturer for ``seed``; the same arguments always give the same data."""
    unknown = set(options) - set(_OPTIONS) - {"scenario"}
    if unknown:
        raise TypeError(f"unknown scenario options: {sorted(unknown)}")
    scenario_name = options.pop("scenario", "manufacturer")
    if scenario_name not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario_name!r}; known: {SCENARIOS}")
    opts = {**_OPTIONS, **options}
    if opts["visma_segments"] not in ("full", "empty"):
        raise ValueError("visma_segments must be 'full' or 'empty'")
    months = int(opts["months"])
    if not 1 <= months <= customer.REGULAR_MONTHS:
        raise ValueError(f"months must be 1..{customer.REGULAR_MONTHS}")
    drift = bool(opts["drift"])

    workforce = Workforce(Random(f"{seed}:people"), employees, int(opts["cost_centers"]), drift)
    people = workforce.build()
    runs: list[dict[str, Any]] = []
    broken: dict[str, dict[str, list[str]]] = {}
    if opts["gl_runs"]:
        rng = Random(f"{seed}:payroll")
        staff = workforce.project_staff
        drift_project = (
            {p.number for p in rng.sample(staff, max(1, len(staff) // 2))}
            if drift and staff
            else set()
        )
        for month in range(1, months + 1):
            runs.append(
                payroll.regular_run(rng, people, month, drift_project if month == 5 else set())
            )
        if opts["correction"] and months == customer.REGULAR_MONTHS:
            runs.append(payroll.correction_run(rng, people))
        if drift and months >= 4 and workforce.drift_group:
            broken["2026-04"] = {"unmapped_cost_centres": [customer.DRIFT_COST_CENTRE]}
        if drift and months >= 5 and drift_project:
            broken["2026-05"] = {"unknown_projects": [customer.DRIFT_PROJECT]}

    people_snapshots = [p.snapshot() for p in people]
    if opts["group"]:
        runs = [part for run in runs for part in split_by_company(run)]
        for snap in people_snapshots:
            company = customer.GROUP_PLANT_COMPANIES.get(str(snap["orgLevel1Code"]))
            if company is not None:
                snap["companyId"], snap["payGroup"] = company.co_id, company.pay_group
    ukg = {
        "tenant": customer.TENANT,
        "company": {
            "coId": customer.CO_ID,
            "companyCode": customer.COMPANY_CODE,
            "companyName": customer.COMPANY_NAME,
        },
        "orgLevels": org_levels(int(opts["cost_centers"]), drift),
        "employees": people_snapshots,
        "companies": group_companies(bool(opts["group"])),
        "employeeChanges": _changes(people),
        "payDates": {m: d.isoformat() for m, d in payroll.regular_pay_dates().items()},
        "glRuns": runs,
    }
    return Scenario(
        seed=seed,
        employees=len(people),
        options={"scenario": scenario_name, **opts},
        ukg=ukg,
        visma=visma.company(
            empty_segments=opts["visma_segments"] == "empty", chart=str(opts["chart"])
        ),
        broken=broken,
    )


def group_companies(group: bool) -> list[dict[str, str]]:
    """The UKG companies of the scenario (``coId``, ``companyCode``, ``companyName``)."""
    companies = [
        customer.Company(
            customer.CO_ID, customer.COMPANY_CODE, customer.COMPANY_NAME, customer.PAY_GROUP
        )
    ]
    if group:
        companies += list(customer.GROUP_PLANT_COMPANIES.values())
    return [{"coId": c.co_id, "companyCode": c.code, "companyName": c.name} for c in companies]


def split_by_company(run: dict[str, Any]) -> list[dict[str, Any]]:
    """A GL run of the whole workforce as the group's payroll runs it: one run per company, each
    with the lines of its plants' employees (an employee's lines balance, so each run does)."""
    parts: dict[str, list[dict[str, Any]]] = {}
    for line in run["lines"]:
        company = customer.GROUP_PLANT_COMPANIES.get(str(line.get("orgLevel1")))
        parts.setdefault(company.code if company else "", []).append(line)
    out = []
    for code, lines in parts.items():
        company = next((c for c in customer.GROUP_PLANT_COMPANIES.values() if c.code == code), None)
        employees = len({line.get(payroll.EMPLOYEE_KEY) for line in lines})
        part = {**run, "lines": lines, "employeeCount": employees}
        if company is not None:
            part |= {
                "runId": str(run["runId"]).replace(customer.COMPANY_CODE, company.code, 1),
                "companyCode": company.code,
                "coId": company.co_id,
                "payGroup": company.pay_group,
            }
        out.append(part)
    return out


__all__ = ["SCENARIOS", "Scenario", "build", "customer", "org_levels"]
