"""Step 1 of a pay period: which of UKG's pay runs the period posts (the sensor's question).

A run counts when UKG says it is completed and its GL export has a ``glRunDateTime``; a voided run
counts too (what Visma holds for it is reversed). Only ``company.ukg_company_code``'s runs count.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ukg_visma.periods import PayPeriod

if TYPE_CHECKING:
    from ukg_visma.hooks.ukg import UkgHook

log = logging.getLogger(__name__)

VOID_STATUSES = frozenset({"voided", "void", "reversed"})


def of_company(item: Mapping[str, Any], company_code: str, *, strict: bool = True) -> bool:
    """Whether a pay run or GL line belongs to the UKG company ``company_code``
    (``company.ukg_company_code``: UKG's ``companyCode``, or its ``coId``).

    ``strict=False`` (pay runs) keeps an item that names no company at all: the ``payroll-runs``
    listing is not in UKG's public reference, while every GL line documents ``coId`` and
    ``companyCode`` — the lines then decide.
    """
    named = (item.get("companyCode"), item.get("coId"))
    if not strict and not any(named):
        return True
    return company_code in named


def completed_pay_runs(
    ukg: UkgHook,
    period: PayPeriod,
    pay_groups: Iterable[str],
    run_id: str | None = None,
    *,
    company_code: str,
) -> list[dict[str, Any]]:
    """The period's completed (or voided) pay runs of the configured company and pay groups
    (or ``run_id`` of that company).

    A run counts when UKG says it is completed and its GL export has a ``glRunDateTime``: before
    that the export may be partial, which is exactly what the sensor waits out. A run UKG reports
    as voided is returned with ``voided: True``: whatever Visma holds for it is reversed. Runs of
    another UKG company (the listing has every company's) are left out: this deployment posts
    ``company.ukg_company_code`` only, and run ids are unique only within a company.
    """
    groups = set(pay_groups)
    found = []
    others: set[str] = set()
    for run in ukg.payroll_runs(pay_date_from=period.start, pay_date_to=period.end):
        if not of_company(run, company_code, strict=False):
            others.add(str(run.get("companyCode") or run.get("coId")))
            continue
        if run_id and run.get("runId") != run_id:
            continue
        if not run_id and run.get("payGroup") not in groups:
            continue
        status = str(run.get("status", "")).lower()
        if status in VOID_STATUSES:
            found.append({**run, "voided": True})
            continue
        if status != "completed" or not run.get("glRunDateTime"):
            continue
        found.append({**run, "voided": False})
    if others:
        log.info("left out pay runs of other UKG companies %s (posting %s only)",
                 sorted(others), company_code)  # fmt: skip
    return sorted(found, key=lambda r: (r.get("payDate") or "", r["runId"]))
