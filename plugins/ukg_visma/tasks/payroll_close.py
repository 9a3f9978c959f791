"""The end of a pay-period run: reconcile with what Visma holds, trace the audit, report.

A run is only successful when Visma, read back, holds exactly what UKG exported — per account ×
subaccount × project — and every source line's audit row names the batch and line that holds it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine

from ukg_visma.audit import records
from ukg_visma.errors import NotRetryable
from ukg_visma.gl.reconcile import reconcile
from ukg_visma.gl.report import run_summary
from ukg_visma.gl.transform import lineage_targets
from ukg_visma.settings import Settings
from ukg_visma.tasks import staging
from ukg_visma.tasks.context import RunContext
from ukg_visma.tasks.posting import read_back
from ukg_visma.tasks.reports import write_report

log = logging.getLogger(__name__)


class ReconciliationError(NotRetryable, RuntimeError):
    """Visma does not hold what UKG exported for the period; the table says where."""


def _trace_lines(engine: Engine, ctx: RunContext, batch_numbers: Mapping[str, str]) -> None:
    """Point every source line's audit row at the Visma batch + line that holds it."""
    lineage = staging.read_frame(str(staging.path_for(ctx.run_key, "lineage.parquet")))
    targets = lineage_targets(lineage, batch_numbers)
    for target, group in targets.groupby("target", sort=False):
        records.set_status(
            engine,
            ctx.audit_run_id,
            "gl_line",
            group["source_key"].tolist(),
            "posted",
            target_kind="journal_line",
            target_key=str(target)[:250],
        )


def reconcile_and_report(
    visma: Any,
    engine: Engine,
    ctx: RunContext,
    settings: Settings,
    journals: Sequence[Any],
    posted: Sequence[Mapping[str, Any]],
    *,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """Read the period's batches back, compare, write the report; raise on any difference."""
    batch_numbers = {p["journal_key"]: p["batch_number"] for p in posted}
    statuses = {p["journal_key"]: p["status"] for p in posted}
    mapped = staging.read_frame(str(staging.path_for(ctx.run_key, "mapped.parquet")))
    result = reconcile(mapped, read_back(visma, batch_numbers.values()), batch_numbers.keys())
    _trace_lines(engine, ctx, batch_numbers)
    summary = run_summary(
        ctx.period,
        journals,
        batch_numbers=batch_numbers,
        statuses=statuses,
        reconciliation=result,
        warnings=warnings,
    )
    paths = write_report(
        settings, ctx, "summary", markdown=summary, csv=result.table.to_csv(index=False)
    )
    log.info("run report: %s\n%s", paths["markdown"], summary)
    outcome = {
        "period": ctx.period.key,
        "journals": len(batch_numbers),
        "batches": sorted(batch_numbers.values()),
        "released": sum(1 for s in statuses.values() if s == "released"),
        "report": paths["markdown"],
        "ok": bool(result.ok),
    }
    records.finish_run(
        engine, ctx.audit_run_id, "success" if result.ok else "failed", outcome | {"paths": paths}
    )
    if not result.ok:
        raise ReconciliationError(
            f"pay period {ctx.period.key}: Visma does not match UKG — see {paths['markdown']}\n"
            + result.to_markdown()
        )
    return outcome
