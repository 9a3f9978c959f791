"""The end of a pay-period run: reconcile with what Visma holds, trace the audit, report.

A run is only successful when Visma, read back, holds exactly what UKG exported — per account ×
subaccount × project — and every source line's audit row names the batch and line that holds it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ukg_visma.audit import records
from ukg_visma.errors import NotRetryable
from ukg_visma.gl.completeness import BLOCK_KIND
from ukg_visma.gl.holdings import HeldBatch, awaiting_release, drop_losers
from ukg_visma.gl.journal import Journal
from ukg_visma.gl.reconcile import ReconciliationReport, reconcile_held
from ukg_visma.gl.report import run_summary
from ukg_visma.gl.transform import lineage_targets_grouped
from ukg_visma.settings import Settings
from ukg_visma.tasks import staging
from ukg_visma.tasks.payroll.run import PayrollRun
from ukg_visma.tasks.reports import write_report

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)

TRACE = "gl_trace"  # staged beside gl_lines.parquet: source_key → "batch 000123 line 4"


class ReconciliationError(NotRetryable, RuntimeError):
    """Visma does not hold what UKG exported for the period; the table says where."""


def key_figures(journals: Sequence[Journal], batches: Sequence[str], *, ok: bool) -> dict[str, Any]:
    """What the UI shows of a run at a glance (XCom, DAG-run note): totals, batches, result."""
    from ukg_visma.money import format_ore

    debit = sum(j.debit_ore for j in journals)
    credit = sum(j.credit_ore for j in journals)
    return {
        "debit_ore": debit,
        "credit_ore": credit,
        "debit": format_ore(debit),
        "credit": format_ore(credit),
        "batch_count": len(batches),
        "result": "reconciled" if ok else "mismatch",
    }


def _trace_lines(engine: Engine, ctx: PayrollRun, batch_numbers: Mapping[str, str]) -> None:
    """Point every source line at the Visma batch + line that holds it.

    In bulk: the targets of all lines go to ``gl_trace.parquet`` beside the staged export (what
    ``audit trace`` reads, line by line), and the audit marks each block's row posted — one
    update per 500 blocks, not one row per line (issue #24). A row group of the lineage at a
    time (``lineage_targets_grouped``), so a million lines are never held at once.
    """
    from ukg_visma.gl.completeness import block_keys

    lineage = staging.read_groups(
        str(staging.path_for(ctx.run_key, "lineage.parquet")),
        columns=["source_key", "journal_key", "line_number"],
    )
    with staging.FrameStage(ctx.run_key, TRACE) as stage:
        for targets in lineage_targets_grouped(lineage, batch_numbers):
            stage.write(targets)
    blocks: dict[str, None] = {}
    for lines in staging.read_groups(
        str(staging.path_for(ctx.run_key, "gl_lines.parquet")), columns=["run_id", "block_id"]
    ):
        blocks.update(dict.fromkeys(block_keys(lines)))
    records.set_status(
        engine,
        ctx.audit_run_id,
        BLOCK_KIND,
        list(blocks),
        "posted",
        target_kind="journal_line",
    )


def _mapped_groups(uri: str) -> Iterator[pd.DataFrame]:
    """The staged mapped lines a row group at a time, only the columns reconcile sums."""
    from ukg_visma.gl.transform import segment_columns_in

    wanted = ["visma_account", "visma_project", "amount_ore", "side"]
    segs = segment_columns_in(staging.columns(uri))
    return staging.read_groups(uri, columns=[*wanted, *segs])


def reconcile_and_report(
    visma: VismaHook,
    engine: Engine,
    ctx: PayrollRun,
    settings: Settings,
    journals: Sequence[Journal],
    posted: Sequence[Mapping[str, Any]],
    *,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """Read the period back from Visma, compare with UKG, write the report; raise on a mismatch.

    Judged from Visma's side: the period is listed again and every batch of ours for the run's
    pay runs counts — also ones this run did not post (an earlier run, another worker, a person
    copying a batch). The posting ledger only tells which of them it knows.
    """
    from ukg_visma.tasks.payroll.holdings import read_held, remember

    plan = _read_plan(ctx)
    if plan.get("reversal_request"):
        return _reconcile_reversals(visma, engine, ctx, settings, plan, posted)
    if plan.get("dry_run"):
        return _dry_run_report(engine, ctx, settings, journals, plan)
    scope = [(r["company"], r["pay_run"]) for r in plan["runs"]]
    companies = {c for c, _ in scope} | {settings.company.ukg_company_code}
    known = _known_batches(engine, ctx, plan, posted)
    # a losing or emptied batch of the settle protocol holds nothing (docs/ledger-truth.md)
    held = drop_losers(
        read_held(visma, plan["periods"], tenant=settings.company.tenant, companies=companies)
    )
    mapped_uri = staging.path_for(ctx.run_key, "mapped.parquet")
    staged = mapped_uri.exists()
    mapped = _mapped_groups(str(mapped_uri)) if staged else None
    expected = [k for r in plan["runs"] for k in r["create"]]
    result = reconcile_held(mapped, held, runs=scope, expected_keys=expected, known_batches=known)
    remember(engine, ctx, held)
    batch_numbers = _batch_numbers(journals, result, held, scope)
    if staged:
        _trace_lines(engine, ctx, {k: "+".join(v) for k, v in batch_numbers.items() if v})
    statuses = {p["journal_key"]: p["status"] for p in posted}
    lost = {p["journal_key"]: (p["lost"], p["batch_number"]) for p in posted if p.get("lost")}
    summary = _summary_markdown(
        ctx, journals, plan, batch_numbers, statuses, result, lost, warnings=warnings
    )
    paths = write_report(
        settings, ctx, "summary", markdown=summary, csv=result.table.to_csv(index=False)
    )
    log.info("run report: %s\n%s", paths["markdown"], summary)
    outcome = _outcome(ctx, journals, plan, posted, statuses, result, lost, paths)
    # With release on, a batch of this period that Visma still holds unreleased (Balanced / On
    # hold) is not in the ledger's balances: the amounts match, yet the period is not posted.
    unreleased = (
        sorted(b.number for b in awaiting_release(held, scope)) if settings.payroll.release else []
    )
    if unreleased:
        outcome["unreleased"] = unreleased
    ok = bool(result.ok) and not unreleased
    records.finish_run(
        engine, ctx.audit_run_id, "success" if ok else "failed", outcome | {"paths": paths}
    )
    _raise_unless_posted(ctx, result, unreleased, paths["markdown"])
    return outcome


def _read_plan(ctx: PayrollRun) -> dict[str, Any]:
    """The plan step's summary; none means the plan was skipped (approval rejected)."""
    plan_uri = staging.path_for(ctx.run_key, "plan.json")
    if not plan_uri.exists():  # nothing to compare
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException(f"pay period {ctx.period.key}: nothing was planned or posted")
    plan: dict[str, Any] = staging.read_json(str(plan_uri))
    return plan


def _known_batches(
    engine: Engine, ctx: PayrollRun, plan: Mapping[str, Any], posted: Sequence[Mapping[str, Any]]
) -> set[str]:
    """The batch numbers this store knows of: the ledger's, this run's, and the plan's."""
    from ukg_visma.audit import ledger

    known = {e.batch_number for e in ledger.list_period(engine, ctx.period.key) if e.batch_number}
    known |= {p["batch_number"] for p in posted if p.get("batch_number")}
    # what the plan read from Visma is known too: the ledger may not have adopted it (a row
    # still leased by a task of this store that died mid-post, while another run released it)
    known |= {n for r in plan["runs"] for n in r.get("held") or ()}
    return known


def _batch_numbers(
    journals: Sequence[Journal],
    result: ReconciliationReport,
    held: Sequence[HeldBatch],
    scope: Sequence[tuple[str, str]],
) -> dict[str, tuple[str, ...]]:
    """The Visma batches each journal is in: its own key's, else its pay run's live batches."""
    live_by_run: dict[tuple[str, str], list[str]] = {}
    in_scope = set(scope)
    for b in held:
        if b.live and b.run in in_scope:
            live_by_run.setdefault(b.run, []).append(b.number)
    return {
        j.journal_key: (
            result.batch_numbers.get(j.journal_key)
            or tuple(live_by_run.get((j.company, j.pay_run), ()))
        )
        for j in journals
    }


def _summary_markdown(
    ctx: PayrollRun,
    journals: Sequence[Journal],
    plan: Mapping[str, Any],
    batch_numbers: Mapping[str, tuple[str, ...]],
    statuses: Mapping[str, str],
    result: ReconciliationReport,
    lost: Mapping[str, tuple[str, str]],
    *,
    warnings: Sequence[str],
) -> str:
    """The run report: the summary, what each pay run held and got, and keys lost to a race."""
    from ukg_visma.audit.airflow import shared_store_warning

    store_warning = shared_store_warning()
    warnings = [*warnings, *([store_warning] if store_warning else [])]
    outcomes = "\n".join(f"- UKG run {r['pay_run']}: {r['message']}" for r in plan["runs"])
    summary = run_summary(
        ctx.period,
        journals,
        batch_numbers=batch_numbers,
        statuses=statuses,
        reconciliation=result,
        warnings=warnings,
    )
    summary += "\n## Pay runs: what Visma held and what this run did\n\n" + (outcomes or "-") + "\n"
    if lost:
        # another run of this pay period (its own audit store) created the key's batch first
        summary += "\n## Lost to another run\n\n" + "".join(
            f"- journal {k}: our batch {mine} LOST to batch {winner} (emptied, not released by "
            "this run; the ledger holds the winner once)\n"
            for k, (mine, winner) in sorted(lost.items())
        )
    return summary


def _outcome(
    ctx: PayrollRun,
    journals: Sequence[Journal],
    plan: Mapping[str, Any],
    posted: Sequence[Mapping[str, Any]],
    statuses: Mapping[str, str],
    result: ReconciliationReport,
    lost: Mapping[str, tuple[str, str]],
    paths: Mapping[str, str],
) -> dict[str, Any]:
    """The task's return value (and the audit run's outcome): numbers and batch ids only."""
    live = sorted({b for v in result.batch_numbers.values() for b in v})
    return {
        "period": ctx.period.key,
        "journals": len(result.batch_numbers),
        "batches": live,
        "created": sorted(p["batch_number"] for p in posted if p.get("kind") != "release"),
        "released": sum(1 for s in statuses.values() if s == "released"),
        "runs": {r["pay_run"]: r["outcome"] for r in plan["runs"]},
        "report": paths["markdown"],
        "lost": {k: {"batch": m, "winner": w} for k, (m, w) in sorted(lost.items())},
        "ok": bool(result.ok),
        **key_figures(journals, live, ok=bool(result.ok)),
    }


def _raise_unless_posted(
    ctx: PayrollRun, result: ReconciliationReport, unreleased: Sequence[str], report: str
) -> None:
    """A mismatch with UKG, or batches left unreleased with release on, fail the task."""
    if not result.ok:
        raise ReconciliationError(
            f"pay period {ctx.period.key}: Visma does not match UKG — see {report}\n"
            + result.to_markdown()
        )
    if unreleased:
        raise ReconciliationError(
            f"pay period {ctx.period.key}: Visma holds batch(es) {', '.join(unreleased)} of this "
            "period unreleased although payroll.release is on — they are not in the ledger's "
            "balances. Run the period again (its plan releases them) or release them in Visma; "
            f"see {report}"
        )


def _reconcile_reversals(
    visma: VismaHook,
    engine: Engine,
    ctx: PayrollRun,
    settings: Settings,
    plan: Mapping[str, Any],
    posted: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """A reversal-only run: every requested batch netted to zero by exactly one live reversal.

    UKG is not compared here on purpose: until the period runs again, Visma holds the period
    without the reversed batches — the report says so.
    """
    from ukg_visma.tasks.payroll.holdings import read_held, remember
    from ukg_visma.tasks.payroll.reversals import check_reversed

    held = read_held(visma, plan["periods"], tenant=settings.company.tenant, companies=None)
    problems, duplicates = check_reversed(held, plan["reversal_request"])
    problems += [f"journal {k} is held by batches {', '.join(v)}" for k, v in duplicates.items()]
    remember(engine, ctx, held)
    lines = [
        f"# Reversal on request — pay period {ctx.period.key}",
        "",
        *(f"- {m}" for m in plan["messages"]),
        "",
        "Result: " + ("OK" if not problems else "PROBLEMS"),
        *(f"- {p}" for p in problems),
        "",
        f"Visma no longer holds the reversed batches' amounts for pay period {ctx.period.key}; "
        "run the period again (without reverse_batches) to post what UKG holds for it.",
    ]
    paths = write_report(settings, ctx, "summary", markdown="\n".join(lines) + "\n")
    outcome = {
        "period": ctx.period.key,
        "reversed": list(plan["reversal_request"]),
        "created": sorted(p["batch_number"] for p in posted if p.get("batch_number")),
        "report": paths["markdown"],
        "ok": not problems,
    }
    records.finish_run(engine, ctx.audit_run_id, "success" if not problems else "failed", outcome)
    if problems:
        raise ReconciliationError("reversal on request: " + "; ".join(problems))
    return outcome


def _dry_run_report(
    engine: Engine,
    ctx: PayrollRun,
    settings: Settings,
    journals: Sequence[Journal],
    plan: Mapping[str, Any],
) -> dict[str, Any]:
    """A dry run posts nothing, so there is nothing to reconcile: say what a real run would do."""
    outcomes = "\n".join(f"- UKG run {r['pay_run']}: {r['message']}" for r in plan["runs"])
    summary = run_summary(ctx.period, journals, dry_run=True)
    summary += "\n## What a real run would do\n\n" + (outcomes or "-") + "\n"
    paths = write_report(settings, ctx, "summary", markdown=summary)
    log.info("dry-run report: %s\n%s", paths["markdown"], summary)
    outcome = {
        "period": ctx.period.key,
        "dry_run": True,
        "runs": {r["pay_run"]: r["outcome"] for r in plan["runs"]},
        "report": paths["markdown"],
        "ok": True,
    }
    records.finish_run(engine, ctx.audit_run_id, "success", outcome)
    return outcome
