"""The customer's Visma.net company as it stands before the integration runs.

Shapes follow the Visma.net OpenAPI DTOs (AccountDto, DimensionDto/SegmentDto/SegmentValueDto,
ProjectDto/TaskDto, FinancialPeriodDto, DepartmentDto); the Visma sandbox serves them as given.
"""

from __future__ import annotations

from typing import Any

from sandbox.scenario import customer as c

MODIFIED = "2025-12-01T09:00:00"  # when the chart was last touched (Visma: no zone)
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def accounts() -> list[dict[str, Any]]:
    return [
        {
            "accountID": 100 + k,
            "accountCD": a.cd,
            "description": a.description,
            "type": a.type,
            "active": a.active,
            "postOption": a.post_option,
            "accountClass": a.account_class,
            "controlAccountModule": a.control_module,
            "lastModifiedDateTime": MODIFIED,
        }
        for k, a in enumerate(c.ACCOUNTS, start=1)
    ]


def _value(value: str, description: str, active: bool = True) -> dict[str, Any]:
    return {
        "value": value,
        "description": description,
        "active": active,
        "lastModifiedDateTime": MODIFIED,
    }


def dimensions(empty: bool = False) -> dict[str, Any]:
    """SUBACCOUNT: segment 1 department (2), segment 2 cost centre (3); 360 deliberately absent."""
    departments = [_value("00", "None")] + [_value(k, v) for k, v in c.DEPARTMENTS.items()]
    centres = [_value("000", "None")]
    for code, (_, description) in c.cost_centres(15).items():
        centres.append(_value(code, description))
    centres.append(_value(*c.INACTIVE_VISMA_COST_CENTRE, active=False))
    centres.sort(key=lambda v: v["value"])
    if empty:
        departments, centres = [], []
    return {
        "SUBACCOUNT": {
            "id": "SUBACCOUNT",
            "description": "Subaccount",
            "length": 5,
            "segments": [
                {
                    "segmentId": 1,
                    "description": "Department",
                    "length": 2,
                    "validate": True,
                    "segmentValues": departments,
                },
                {
                    "segmentId": 2,
                    "description": "Cost centre",
                    "length": 3,
                    "validate": True,
                    "segmentValues": centres,
                },
            ],
        }
    }


def projects() -> list[dict[str, Any]]:
    return [
        {
            "internalId": k,
            "projectID": project_id,
            "description": description,
            "status": "Active",
            "hold": False,
            "startDate": "2026-01-01T00:00:00",
            "lastModifiedDateTime": MODIFIED,
            "tasks": [
                {"taskId": task_id, "description": task, "status": "Active"}
                for task_id, task in tasks
            ],
        }
        for k, (project_id, (description, _, tasks)) in enumerate(c.PROJECTS.items(), start=1)
    ]


def financial_periods() -> list[dict[str, Any]]:
    periods = []
    for year in (2025, 2026):
        for month in range(1, 13):
            start, end = c.month_bounds(year, month)
            period_id = f"{year}{month:02d}"
            periods.append(
                {
                    "periodId": period_id,
                    "year": year,
                    "startDate": f"{start.isoformat()}T00:00:00",
                    "endDate": f"{end.isoformat()}T00:00:00",
                    "active": True,
                    "closedInGeneralLedger": period_id <= c.CLOSED_THROUGH,
                    "description": f"{MONTHS[month - 1]} {year}",
                }
            )
    return periods


def departments(empty: bool = False) -> list[dict[str, Any]]:
    """Organisational departments ``10``…``50`` and one department per cost centre.

    The employee API has no cost-centre field; the connector keeps an employee's cost centre in
    ``department`` (a Visma department per cost centre whose expense subaccount names the
    SUBACCOUNT values), which is how headcount per cost centre is read back from Visma.
    """
    result: list[dict[str, Any]] = [
        {"departmentId": code, "description": name, "lastModifiedDateTime": MODIFIED}
        for code, name in c.DEPARTMENTS.items()
    ]
    if empty:
        return result
    for code, (dept, description) in c.cost_centres(15).items():
        result.append(
            {
                "departmentId": code,
                "description": description,
                "expenseSubaccount": [
                    {"segmentId": 1, "segmentValue": dept},
                    {"segmentId": 2, "segmentValue": code},
                ],
                "lastModifiedDateTime": MODIFIED,
            }
        )
    return result


CHARTS = ("nordic", "mo_i_rana")


def mo_i_rana_accounts() -> list[dict[str, Any]]:
    """The chart of the group's Mo i Rana company: its own Visma company, set up separately.

    It shares most account numbers with NMF's chart (same Norwegian standard chart, NS 4102),
    but names them its own way, keeps overtime and accrued pay on 5092 (there is no 5090), and
    has no 5010. So a journal of one company would *fit* the other's chart on most lines — which
    is why the isolation tests judge each Visma company by its own state.
    """
    chart = []
    for account in accounts():
        if account["accountCD"] in ("5090", "5010"):
            continue
        chart.append({**account, "description": f"{account['description']} (Mo i Rana)"})
    chart.append(
        {
            **next(a for a in accounts() if a["accountCD"] == "5090"),
            "accountID": 190,
            "accountCD": "5092",
            "description": "Påløpt lønn og overtid (Mo i Rana)",
        }
    )
    return chart


def company(empty_segments: bool = False, chart: str = "nordic") -> dict[str, Any]:
    """Everything the Visma sandbox starts with (``Scenario.visma``); ``chart`` picks the
    company's chart of accounts (:data:`CHARTS`)."""
    if chart not in CHARTS:
        raise ValueError(f"chart must be one of {CHARTS}, not {chart!r}")
    return {
        "accounts": accounts() if chart == "nordic" else mo_i_rana_accounts(),
        "dimensions": dimensions(empty=empty_segments),
        "projects": projects(),
        "financialPeriods": financial_periods(),
        "employees": [],
        "departments": departments(empty=empty_segments),
    }
