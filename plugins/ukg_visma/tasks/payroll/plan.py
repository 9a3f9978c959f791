"""Step 5 of a pay period: read what Visma holds for the period once, decide what to create.

Why a step of its own: Visma's ledger is the truth. Whatever the local posting ledger says (it may
be empty, restored from a backup or another worker's SQLite file), the period's journal
transactions are listed from Visma — once per run, every page, every Visma period our batches of
this pay period may live in — and :func:`ukg_visma.gl.corrections.plan_postings` decides per pay
run what is still missing. The ledger is then refreshed from that listing (a cache of Visma), so
that the posting tasks' leases and the reconciliation agree with Visma.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ukg_visma.audit import ledger
from ukg_visma.errors import NotRetryable
from ukg_visma.gl.catalog import next_open_period
from ukg_visma.gl.corrections import PostingPlan, VoidedRun, plan_postings
from ukg_visma.gl.holdings import (
    HeldBatch,
    awaiting_release,
    drop_losers,
    held_batches,
    losers,
    search_periods,
)
from ukg_visma.gl.journal import Journal, payload_hash, to_visma_payload
from ukg_visma.hooks.jsonbody import dumps
from ukg_visma.settings import Settings
from ukg_visma.tasks import staging
from ukg_visma.tasks.payroll.run import PayrollRun
from ukg_visma.tasks.reports import write_report

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)


class DuplicateJournalError(NotRetryable, RuntimeError):
    """Visma holds one journal key in more than one live batch: a person must void the extra."""


class ClosedPeriodError(NotRetryable, RuntimeError):
    """A journal must go into a Visma period that is closed (``closed_period: fail``)."""


def visma_periods(
    engine: Engine,
    pay_period: str,
    journals: Iterable[Journal],
    home: str,
    periods: Mapping[str, Any] | None = None,
) -> list[str]:
    """Every Visma period where our batches of this pay period may live.

    The pay period's own, the periods this run's journals go into, those the store has seen
    our batches of this pay period in before, and — so that a fresh store finds batches moved by
    ``post_to_next_open_period`` though the periods closed or reopened since — a bounded scan of
    the later periods (:func:`~ukg_visma.gl.holdings.search_periods`).
    """
    seen = {b["visma_period"] for b in ledger.period_batches(engine, pay_period)}
    wanted = {home, *(j.visma_period for j in journals), *seen}
    if periods:
        wanted |= set(search_periods(home, {p: v.open for p, v in periods.items()}))
    return sorted(p for p in wanted if p)


def read_held(
    visma: VismaHook, period_ids: Sequence[str], *, tenant: str, companies: set[str] | None
) -> list[HeldBatch]:
    """Our batches in the given Visma periods, read from Visma's own listing (all pages).

    ``companies`` None keeps every company of the tenant.
    """
    rows: list[dict[str, Any]] = []
    for pid in period_ids:
        rows.extend(visma.journals(pid))
    held = held_batches(rows, tenant=tenant)
    return held if companies is None else [b for b in held if b.key.company in companies]


def batch_rows(held: Iterable[HeldBatch]) -> list[dict[str, Any]]:
    """``journal_batches`` rows (the chain original → adjustment / reversal) for the store."""
    return [
        {
            "batch_number": b.number,
            "journal_key": b.journal_key,
            "visma_period": b.period_id or None,
            "company": b.key.company,
            "pay_run": b.key.pay_run,
            "kind": b.kind,
            "run_version": b.key.run_version,
            "reverses": b.reverses,
            "status": b.status,
            "debit_ore": b.debit_ore,
            "note": b.description[:500],
        }
        for b in held
    ]


def remember(engine: Engine, ctx: PayrollRun, held: Iterable[HeldBatch]) -> None:
    """Refresh the ledger and the batch chain from what Visma holds (the store is a cache)."""
    held = list(held)
    for b in held:
        if b.live:
            ledger.adopt(
                engine,
                journal_key=b.journal_key,
                period=ctx.period.key,
                company=b.key.company,
                pay_run=b.key.pay_run,
                run_version=b.key.run_version,
                split_index=b.key.split_index,
                batch_number=b.number,
                posted=b.released,
            )
    ledger.record_batches(engine, ctx.period.key, ctx.audit_run_id, batch_rows(held))


def place_journal(journal: Journal, periods: Mapping[str, Any], policy: str) -> Journal:
    """A journal headed for a closed Visma period: moved on, or stopped (by setting)."""
    pid = journal.visma_period
    found = periods.get(pid) if pid else None
    if pid is None or found is None or found.open:
        return journal
    target = next_open_period(periods, pid) if policy == "post_to_next_open_period" else None
    if target is None:
        raise ClosedPeriodError(
            f"journal {journal.journal_key} ({journal.kind}) must go into financial period {pid}, "
            f"which is closed in Visma: reopen {pid}"
            + (
                ""
                if policy != "fail"
                else " or set payroll.closed_period: post_to_next_open_period"
            )
        )
    note = "; ".join(n for n in (journal.note, f"period {pid} closed") if n)
    return journal.model_copy(update={"visma_period": target, "note": note})


def hash_name(journal: Journal) -> str:
    """A file name for a journal's staged payload (journal keys contain slashes)."""
    import hashlib

    return hashlib.sha256(journal.journal_key.encode()).hexdigest()[:16]


def stage_ref(
    ctx: PayrollRun, journal: Journal, settings: Settings, posting_date: str | None
) -> dict:
    when = (
        dt.date.fromisoformat(posting_date) if posting_date and journal.kind != "reversal" else None
    )
    payload = to_visma_payload(journal, settings, ctx.period, hold=True, transaction_date=when)
    uri = staging.path_for(ctx.run_key, f"journal-{journal.kind}-{hash_name(journal)}")
    with uri.open("w") as fh:
        fh.write(dumps(payload))
    return {
        "journal_key": journal.journal_key,
        "kind": journal.kind,
        "payload": str(uri),
        "payload_hash": payload_hash(payload),
        "company": journal.company,
        "pay_run": journal.pay_run,
        "run_version": journal.key.run_version,
        "split_index": journal.key.split_index,
        "visma_period": payload["financialPeriod"]["value"],
        "lines": len(journal.lines),
        "debit_ore": journal.debit_ore,
    }


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
    from ukg_visma.tasks.payroll.validate import staged_journals

    # only the periods: the accounts, segments and projects were validated already
    periods = periods_from_api(staging.read_json(catalog_uri)["periods"])
    if reverse_batches:
        return plan_reversals(
            visma, engine, ctx, settings, periods, reverse_batches, reason=reason, dry_run=dry_run
        )

    journals = staged_journals(ctx)
    voided = [
        VoidedRun(v["company"], v["pay_run"], tuple(v.get("pay_groups") or ()))
        for v in validated.get("voided") or ()
    ]
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
        raise DuplicateJournalError(
            f"pay period {ctx.period.key}: Visma holds "
            + "; ".join(
                f"journal {k} in batches {', '.join(v)}" for k, v in plan.duplicates.items()
            )
            + f" — void all but one batch per journal in Visma, then re-run ({paths['markdown']})"
        )
    policy = settings.payroll.closed_period
    create = [place_journal(j, periods, policy) for j in plan.journals]
    refs = [stage_ref(ctx, j, settings, posting_date) for j in create]
    # a key Visma holds unreleased (its run died, or is racing us), or holds with losers not yet
    # emptied: a ref that settles it — the winner released (release on), the losers emptied
    scope = {r.run for r in plan.runs}
    settle = {
        b.journal_key: b
        for b in (awaiting_release(held, scope) if settings.payroll.release else [])
    }
    winners = {b.journal_key: b for b in held if b.holds_key}
    for b in losers(listed):
        if b.run in scope and b.journal_key in winners:
            settle.setdefault(b.journal_key, winners[b.journal_key])
    if settle:
        for b in settle.values():
            refs.append(
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
            )
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
