"""Finding the month's pay runs, which the GL sensor asks until they are ready and the extract
step's callers (bench, tests) ask once.

Only UKG's published operations are used (docs/decisions/pay-run-discovery.md). This sits below
the steps: the sensor (``events.gl_sensor``) is itself a step of the payroll DAG and must not
import another step to reach it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ukg_visma.gl.pay_runs import (
    Discovery,
    GLRunNotFoundError,
    discover,
    is_voided,
    month_controls,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.hooks.visma import VismaHook
    from ukg_visma.periods import PayPeriod

log = logging.getLogger(__name__)


def named_run_ids(run_id: str | None) -> list[str]:
    """The ``run_id`` param: one UKG GL run id, or several separated by commas."""
    return [r.strip() for r in str(run_id or "").split(",") if r.strip()]


def candidate_run_ids(
    ukg: UkgHook,
    engine: Engine | None,
    held: Iterable[Any],
    named: Iterable[str],
) -> dict[str, list[str]]:
    """Every run id that may belong to the month, and where it came from: the ``run_id`` param,
    GL-run events in the webhook inbox (any status: the inbox is our record of every export UKG
    announced), the most recent GL export, and the run ids of our journal keys in Visma."""
    found: dict[str, list[str]] = {}

    def add(run_id: Any, source: str) -> None:
        if run_id:
            found.setdefault(str(run_id), []).append(source)

    for run_id in named:
        add(run_id, "run_id param")
    if engine is not None:
        from ukg_visma.audit.inbox import events_since
        from ukg_visma.ukg_events import GL_EXPORT_EVENT

        for event in events_since(engine, GL_EXPORT_EVENT, limit=5000):
            add(((event.get("payload") or {}).get("Payload") or {}).get("RunId"), "GL event")
    latest = ukg.most_recent_gl_header()
    if latest is not None:
        add(latest.get("runId"), "mostRecent")
    for batch in held:
        add(batch.key.pay_run, "Visma journal key")
    return {k: sorted(set(v)) for k, v in found.items()}


def discover_pay_runs(
    ukg: UkgHook,
    period: PayPeriod,
    pay_groups: Iterable[str],
    run_id: str | None = None,
    *,
    company_code: str,
    engine: Engine | None = None,
    visma: VismaHook | None = None,
    tenant: str | None = None,
    most_recent: bool = True,
) -> Discovery:
    """The month's GL runs from UKG's published operations (``gl.pay_runs.discover``): each
    candidate's GL header, matched through ``paygroup-payperiods`` to a pay date in the month;
    void from the pay register."""
    named = named_run_ids(run_id)
    held: list[Any] = []
    if visma is not None and tenant:
        from ukg_visma.gl.holdings import held_batches

        held = held_batches(visma.journals(period.visma_period_id), tenant=tenant)
    candidates = candidate_run_ids(ukg, engine, held, named)
    headers: dict[str, dict[str, Any]] = {}
    for rid in candidates:
        head = ukg.gl_header(rid, most_recent=most_recent)
        if head is not None:
            headers[rid] = head
        elif rid in named:
            log.warning("run %s (run_id param): UKG has no GL export for it", rid)
    groups = set(pay_groups) | {
        str(h.get("payGroup") or "") for r, h in headers.items() if r in named
    }
    lo, hi = month_controls(period)
    periods = [
        p
        for g in sorted(x for x in groups if x)
        for p in ukg.pay_periods(pay_group=g, start_control=lo, end_control=hi)
    ]
    voids: dict[str, tuple[bool, str | None]] = {}
    # the pay date our full journals of a run already carry (a re-export keeps its date)
    posted = {
        b.key.pay_run: b.transaction_date for b in held if b.transaction_date and b.kind == "full"
    }
    first = discover(
        period, headers, candidates, periods, {}, pay_groups=pay_groups,
        company_code=company_code, posted_pay_dates=posted, named_runs=named,
    )  # fmt: skip
    for run in (*first.ready, *first.waiting):
        if run.period_control and run.period_control not in voids:
            checks = ukg.pay_register(pay_group=run.pay_group, period_control=run.period_control)
            voids[run.period_control] = is_voided(checks)
    found = discover(
        period, headers, candidates, periods, voids, pay_groups=pay_groups,
        company_code=company_code, posted_pay_dates=posted, named_runs=named,
    )  # fmt: skip
    for note in found.findings:
        log.warning("pay-run discovery: %s", note)
    return found


def completed_pay_runs(
    ukg: UkgHook,
    period: PayPeriod,
    pay_groups: Iterable[str],
    run_id: str | None = None,
    *,
    company_code: str,
    **sources: Any,
) -> list[dict[str, Any]]:
    """The month's ready runs as the sensor hands them on (voided ones with ``voided: True``),
    or ``[]`` while any run of the month waits. Raises :class:`GLRunNotFoundError` when UKG has
    a closed pay period of a configured pay group in the month that no GL run was found for."""
    found = discover_pay_runs(ukg, period, pay_groups, run_id, company_code=company_code, **sources)
    if found.missing:
        raise GLRunNotFoundError(found.missing_text(period))
    if found.waiting:
        log.info("waiting for %s (pay period open or GL export not there yet)",
                 [r.run_id for r in found.waiting])  # fmt: skip
        return []
    return [r.as_xcom() for r in found.ready]
