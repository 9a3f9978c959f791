"""Step 5 of a pay period: read what Visma holds for the period once, decide what to create.

Why a step of its own: Visma's ledger is the truth. Whatever the local posting ledger says (it may
be empty, restored from a backup or another worker's SQLite file), the period's journal
transactions are listed from Visma — once per run, every page, every Visma period our batches of
this pay period may live in — and :func:`ukg_visma.gl.corrections.plan_postings` decides per pay
run what is still missing. The ledger is then refreshed from that listing (a cache of Visma), so
that the posting tasks' leases and the reconciliation agree with Visma.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ukg_visma.errors import NotRetryable
from ukg_visma.gl.corrections import PostingPlan, VoidedRun, plan_postings
from ukg_visma.gl.holdings import HeldBatch, awaiting_release, drop_losers, losers
from ukg_visma.gl.posting_period import place_journal
from ukg_visma.settings import Settings
from ukg_visma.tasks import staging
from ukg_visma.tasks.payroll.holdings import read_held, remember, visma_periods
from ukg_visma.tasks.payroll.run import PayrollRun
from ukg_visma.tasks.payroll.staged import stage_ref, staged_journals
from ukg_visma.tasks.reports import write_report

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)


class DuplicateJournalError(NotRetryable, RuntimeError):
    """Visma holds one journal key in more than one live batch: a person must void the extra."""


def plan_summary(plan: PostingPlan) -> dict[str, Any]:
    """What reconcile and the report need of the plan (JSON-able)."""
    return {
        "runs": [
            {
                "company": r.company,
                "pay_run": r.pay_run,
                "pay_groups": list(r.pay_groups),
                "version": r.version,
                "outcome": r.outcome,
                "message": r.message,
                "held": [b.number for b in r.held],
                "create": [j.journal_key for j in r.create],
            }
            for r in plan.runs
        ],
        "duplicates": {k: list(v) for k, v in plan.duplicates.items()},
    }


def _voided_runs(validated: Mapping[str, Any]) -> list[VoidedRun]:
    """The pay runs UKG voided, as the validate step handed them on."""
    return [
        VoidedRun(v["company"], v["pay_run"], tuple(v.get("pay_groups") or ()))
        for v in validated.get("voided") or ()
    ]


def _duplicates_error(ctx: PayrollRun, plan: PostingPlan, report: str) -> DuplicateJournalError:
    """What a person must do when Visma holds a journal key in more than one live batch."""
    return DuplicateJournalError(
        f"pay period {ctx.period.key}: Visma holds "
        + "; ".join(f"journal {k} in batches {', '.join(v)}" for k, v in plan.duplicates.items())
        + f" — void all but one batch per journal in Visma, then re-run ({report})"
    )


def _settle_refs(
    listed: Sequence[HeldBatch], held: Sequence[HeldBatch], plan: PostingPlan, *, release: bool
) -> list[dict[str, Any]]:
    """Refs that settle a key Visma holds unreleased (its run died, or is racing us), or holds
    with losers not yet emptied: the winner released (``release`` on), the losers emptied."""
    scope = {r.run for r in plan.runs}
    settle = {b.journal_key: b for b in (awaiting_release(held, scope) if release else [])}
    winners = {b.journal_key: b for b in held if b.holds_key}
    for b in losers(listed):
        if b.run in scope and b.journal_key in winners:
            settle.setdefault(b.journal_key, winners[b.journal_key])
    return [
        {
            "journal_key": b.journal_key,
            "kind": "release",
            "batch_number": b.number,
            "company": b.key.company,
            "pay_run": b.key.pay_run,
            "run_version": b.key.run_version,
            "split_index": b.key.split_index,
            "visma_period": b.period_id,
            "payload_hash": "",
        }
        for b in settle.values()
    ]


def plan_posting(
    visma: VismaHook,
    engine: Engine,
    ctx: PayrollRun,
    settings: Settings,
    validated: Mapping[str, Any],
    catalog_uri: str,
    *,
    dry_run: bool = False,
    posting_date: str | None = None,
    reverse_batches: Sequence[str] = (),
    reason: str = "",
) -> list[dict[str, Any]]:
    """List the period in Visma once, plan per pay run, stage the payloads; refs for posting.

    With ``reverse_batches`` the run only reverses those batches (a manual run's request).
    """
    from ukg_visma.gl.catalog import periods_from_api

    # only the periods: the accounts, segments and projects were validated already
    periods = periods_from_api(staging.read_json(catalog_uri)["periods"])
    if reverse_batches:
        return plan_reversals(
            visma, engine, ctx, settings, periods, reverse_batches, reason=reason, dry_run=dry_run
        )

    journals = staged_journals(ctx)
    voided = _voided_runs(validated)
    companies = {j.company for j in journals} | {v.company for v in voided}
    companies.add(settings.company.ukg_company_code)
    home = ctx.period.visma_period_id
    pids = visma_periods(engine, ctx.period.key, journals, home, periods)
    listed = read_held(visma, pids, tenant=settings.company.tenant, companies=companies)
    # what the ledger holds or will hold: a losing or emptied batch of a key is no holder
    held = drop_losers(listed)
    plan = plan_postings(
        journals,
        held,
        voided=voided,
        mode=settings.payroll.correction_mode,
        line_limit=settings.payroll.line_limit,
        runs=[(r["company"], r["pay_run"]) for r in validated.get("live_runs") or ()],
    )
    remember(engine, ctx, held)
    staging.write_json(ctx.run_key, "plan", plan_summary(plan) | {"periods": pids})
    paths = write_report(settings, ctx, "posting_plan", markdown=plan.to_markdown())
    log.info(
        "read %d batch(es) of ours from Visma period(s) %s; plan: %s",
        len(held),
        ", ".join(pids),
        "; ".join(f"{r.pay_run}: {r.outcome}" for r in plan.runs) or "no pay runs",
    )
    if plan.duplicates:
        raise _duplicates_error(ctx, plan, paths["markdown"])
    policy = settings.payroll.closed_period
    create = [place_journal(j, periods, policy) for j in plan.journals]
    refs = [stage_ref(ctx, j, settings, posting_date) for j in create]
    refs.extend(_settle_refs(listed, held, plan, release=settings.payroll.release))
    for ref in refs:
        ref["search_periods"] = sorted(set(pids) | {ref["visma_period"]})
    summary = plan_summary(plan) | {
        "periods": sorted(set(pids) | {r["visma_period"] for r in refs if r.get("visma_period")}),
        "dry_run": dry_run,
    }
    staging.write_json(ctx.run_key, "plan", summary)
    return [] if dry_run else refs


def plan_reversals(
    visma: VismaHook,
    engine: Engine,
    ctx: PayrollRun,
    settings: Settings,
    periods: Mapping[str, Any],
    numbers: Sequence[str],
    *,
    reason: str = "",
    dry_run: bool = False,
) -> list[dict[str, Any]]:
    """Refs that reverse ``numbers`` (each once, whatever Visma already holds)."""
    from ukg_visma.tasks.payroll.reversals import decide

    decisions = decide(visma, settings, numbers, reason=reason, periods=periods)
    pids = sorted({p for d in decisions for p in d.periods})
    remember(engine, ctx, [d.batch for d in decisions])
    from ukg_visma.tasks.payroll.reversals import reversal_ref

    refs = [
        reversal_ref(
            stage_ref(
                ctx,
                place_journal(d.journal, periods, settings.payroll.closed_period),
                settings,
                None,
            ),
            d,
        )
        for d in decisions
        if d.journal is not None
    ]
    for ref in refs:
        ref["search_periods"] = sorted(set(pids) | {ref["visma_period"]})
    text = "\n".join(["## Reversal on request", "", *(f"- {d.message}" for d in decisions), ""])
    if reason:
        text += f"\nReason given: {reason}\n"
    write_report(settings, ctx, "posting_plan", markdown=text)
    log.info("reversal on request: %s", "; ".join(d.message for d in decisions))
    staging.write_json(
        ctx.run_key,
        "plan",
        {
            "runs": [],
            "duplicates": {},
            "reversal_request": [d.batch.number for d in decisions],
            "messages": [d.message for d in decisions],
            "periods": sorted(set(pids) | {r["visma_period"] for r in refs}),
        },
    )
    return [] if dry_run else refs
