"""Small hand-made UKG GL exports for the GL tests (shapes as the UKG GL v2 endpoint returns:
the published ``GeneralLedgerRunDetailsV2`` fields, ``systemId`` numbered per run; the pay date
is not on the lines — ``payDate`` in ``HEADER`` is the pay date the tests hand over as a hint,
as discovery hands ``paygroup-payperiods``' over)."""

from __future__ import annotations

from typing import Any

from ukg_visma.mappings import load_mappings
from ukg_visma.settings import DEFAULT_MAPPINGS_DIR, load_settings

# the repository's files (include/mappings), whatever UKG_VISMA_MAPPINGS_DIR says
SETTINGS = load_settings(DEFAULT_MAPPINGS_DIR)
MAPPINGS = load_mappings(DEFAULT_MAPPINGS_DIR, SETTINGS)

HEADER: dict[str, Any] = {
    "runId": "NMF-202610-R1",
    "glRunDateTime": "2026-10-19T15:20:00Z",
    "coId": "C0001",
    "companyCode": "NMF",
    "payGroup": "NO-M",
    "periodStartDate": "2026-10-01",
    "periodEndDate": "2026-10-31",
    "payPeriodEndDate": "2026-10-31",
    "payDate": "2026-10-23",
}
EXPENSE = {"5000", "5020", "5090", "5400", "5405", "5420"}


def gl_line(
    account: str,
    *,
    debit: object = "0.00",
    credit: object = "0.00",
    dept: str | None = "10",
    cc: str | None = "110",
    project: str | None = None,
    employee: str = "1001",
    **extra: Any,
) -> dict[str, Any]:
    """One GL line body (without run header/block fields); ``employee`` names the position
    (``positionCode``): the published line has no employee field."""
    expense = account in EXPENSE
    return {
        "generalLedgerAccount": f"{account}-{dept}-{cc}" if expense else account,
        "baseSegment": account,
        "accountType": "Expense" if expense else "Liability",
        "description": f"account {account}",
        "debitAmt": debit,
        "creditAmt": credit,
        "orgLevel1": "MOS",
        "orgLevel2": dept,
        "orgLevel3": cc,
        "orgLevel4": None,
        "project": project,
        "jobCode": "OPR",
        "positionCode": f"P{employee}",
        **extra,
    }


def export(
    body: list[dict[str, Any]], *, block_size: int = 1000, **header: Any
) -> list[dict[str, Any]]:
    """Lines with the run header and ``blockId``/``totalNrOfBlocks``, as UKG returns them."""
    head = {**HEADER, **header}
    total = max(1, -(-len(body) // block_size))
    return [
        {
            **head,
            "blockId": i // block_size + 1,
            "totalNrOfBlocks": total,
            "systemId": i + 1,
            **line,
        }
        for i, line in enumerate(body)
    ]


def two_employees() -> list[dict[str, Any]]:
    """Two employees' October: one plain, one partly on project PRJ1001; balanced."""
    return [
        gl_line("5000", debit="41250.00", employee="1001"),
        gl_line("2600", credit="12375.00", employee="1001"),
        gl_line("2930", credit="28875.00", employee="1001"),
        gl_line("5000", debit="30000.00", dept="20", cc="220", project="PRJ1001", employee="1002"),
        gl_line("5000", debit="20000.00", dept="20", cc="220", employee="1002"),
        gl_line("5400", debit="7050.00", dept="20", cc="220", employee="1002"),
        gl_line("2770", credit="7050.00", dept="20", cc="220", employee="1002"),
        gl_line("2600", credit="15000.00", dept="20", cc="220", employee="1002"),
        gl_line("2930", credit="35000.00", dept="20", cc="220", employee="1002"),
    ]
