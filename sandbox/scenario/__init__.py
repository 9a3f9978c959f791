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

    ukg = {
        "tenant": customer.TENANT,
        "company": {
            "coId": customer.CO_ID,
            "companyCode": customer.COMPANY_CODE,
            "companyName": customer.COMPANY_NAME,
        },
        "orgLevels": org_levels(int(opts["cost_centers"]), drift),
        "employees": [p.snapshot() for p in people],
        "employeeChanges": _changes(people),
        "payDates": {m: d.isoformat() for m, d in payroll.regular_pay_dates().items()},
        "glRuns": runs,
    }
    return Scenario(
        seed=seed,
        employees=len(people),
        options={"scenario": scenario_name, **opts},
        ukg=ukg,
        visma=visma.company(empty_segments=opts["visma_segments"] == "empty"),
        broken=broken,
    )


__all__ = ["SCENARIOS", "Scenario", "build", "customer", "org_levels"]
