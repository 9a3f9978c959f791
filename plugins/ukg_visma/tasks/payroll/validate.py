"""Steps 3 and 4 of a pay period: the Visma catalog, then map + validate, all or nothing.

The catalog (chart of accounts, SUBACCOUNT values, projects, periods) is read once and staged;
validation then runs locally against it, so nothing is posted unless the whole period validated.
The validation report names every bad UKG row, whatever the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from ukg_visma.alignment import codes_from_gl_lines, count_seen
from ukg_visma.alignment.drift import blank
from ukg_visma.audit import records
from ukg_visma.gl.approval import approval_prompt, journals_markdown
from ukg_visma.gl.catalog import VismaCatalog
from ukg_visma.gl.completeness import BLOCK_KIND, LINE_KIND, block_keys
from ukg_visma.gl.findings import JournalValidationError, ValidationReport
from ukg_visma.gl.posting_period import posting_period
from ukg_visma.gl.transform import build_journals_grouped
from ukg_visma.gl.validate import named_rows, validate
from ukg_visma.mappings import Mappings
from ukg_visma.settings import Settings
from ukg_visma.tasks import staging
from ukg_visma.tasks.payroll.run import FLOW, PayrollRun
from ukg_visma.tasks.payroll.staged import stage_journals
from ukg_visma.tasks.reports import write_report
from ukg_visma.ui.urls import airflow_base_url, report_href

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)


def fetch_catalog(visma: VismaHook, ctx: PayrollRun) -> str:
    """Chart of accounts, SUBACCOUNT values, projects and periods, as Visma holds them now."""
    data = {
        "accounts": visma.accounts(),
        "dimension": visma.subaccount_dimension(),
        "projects": visma.projects(),
        "periods": visma.financial_periods(),
    }
    return staging.write_json(ctx.run_key, "visma_catalog", data)


def _audit_validation(
    engine: Engine, ctx: PayrollRun, report: ValidationReport, lines_uri: str
) -> None:
    """Each line a finding names gets its own audit row (status ``invalid``, the reason); the
    other lines stay in their block's row (``tasks.payroll.extract``)."""
    bad: dict[str, str] = {}
    for finding in report.errors:
        for key in finding.rows.get("source_key", pd.Series(dtype=str)):
            bad.setdefault(str(key), finding.message)
    if not bad:
        return
    lines = staging.read_frame(
        lines_uri, ["source_key", "source_hash", "run_id", "ukg_account", "org_level3"]
    )
    named = lines.loc[
        lines["source_key"].isin(list(bad)),
        ["source_key", "source_hash", "run_id", "ukg_account", "org_level3"],
    ]
    records.upsert_records(
        engine,
        ctx.audit_run_id,
        FLOW,
        LINE_KIND,
        (
            {
                "source_key": key,
                "source_hash": digest,
                "status": "invalid",
                "error": bad[key],
                "detail": {"run_id": run_id, "account": account, "cost_centre": cc},
            }
            for key, digest, run_id, account, cc in named.itertuples(index=False)
        ),
    )


def transform_and_validate(
    engine: Engine,
    ctx: PayrollRun,
    extracted: Mapping[str, Any],
    catalog_uri: str,
    settings: Settings,
    mappings: Mappings,
    *,
    rows: int | None = None,
) -> dict[str, Any]:
    """Map, aggregate, split and validate; on any error fail before anything is posted.

    Works a row group of the staged lines at a time (``rows``: pieces of at most that many
    rows instead), so the step's memory does not grow with the pay run.

    Stages the full journals of every run's latest GL version (the plan step compares them with
    what Visma holds) and returns their count and totals. The validation report is written
    (CSV + Markdown) whatever the outcome.
    """
    from ukg_visma.tasks.drift import check_drift

    raw_catalog = staging.read_json(catalog_uri)
    if not extracted.get("lines"):  # only voided runs: nothing to map, the plan reverses
        stage_journals(ctx, [])
        voided = extracted.get("voided", [])
        return {
            "period": ctx.period.key,
            "journals": 0,
            "lines": 0,
            "debit_ore": 0,
            "voided": voided,
            "approval": f"**Pay period {ctx.period.key}**: nothing to post; UKG voided "
            f"{len(voided)} pay run(s) — approving reverses what Visma holds for them.",
        }
    uri = extracted["lines"]
    catalog = VismaCatalog.from_api(**raw_catalog)
    # A group of staged lines at a time (bounded memory): each group is mapped, the rows a rule
    # names kept (usually none), and added up into partial journal sums (gl.transform).
    named: list[pd.DataFrame] = []
    seen_codes: list[pd.DataFrame] = []
    # whether the export carries systemIds at all decides how drift names a line: read first
    system_ids = any(
        not blank(g["system_id"]).all() for g in staging.read_groups(uri, columns=["system_id"])
    )
    blocks: dict[str, None] = {}
    seen = [0]

    def check(mapped: pd.DataFrame) -> None:
        seen[0] += len(mapped)
        named.append(named_rows(mapped, catalog, ctx.period, settings=settings))
        blocks.update(dict.fromkeys(block_keys(mapped)))
        codes = codes_from_gl_lines(mapped, settings, system_ids=system_ids)
        seen_codes.append(count_seen(codes))

    def groups() -> Iterator[pd.DataFrame]:
        # the content hashes are the audit's, not the transform's: not held while mapping
        return staging.read_groups(uri, without=("source_hash",), rows=rows)

    grouped = build_journals_grouped(groups, mappings, settings, on_mapped=check)
    # The same drift check the employee sync runs every few hours, here on the GL export:
    # its report names each org code without a mapping or an active Visma value.
    drift = check_drift(
        gl_codes=count_seen(pd.concat(seen_codes, ignore_index=True)),
        visma_segments=raw_catalog["dimension"],
        settings=settings,
        mapping=mappings,
    )
    seen_codes.clear()
    write_report(settings, ctx, "mapping_drift", markdown=drift.markdown)
    report = validate(
        pd.concat(named, ignore_index=True),
        grouped.journals,
        catalog,
        ctx.period,
        settings=settings,
        source_lines=seen[0],
    )
    named.clear()
    paths = write_report(
        settings,
        ctx,
        "validation",
        markdown=report.to_markdown(),
        csv=report.to_csv(),
    )
    log.info("validation report: %s\n%s", paths["markdown"], report.to_markdown())
    if not report.ok:
        _audit_validation(engine, ctx, report, extracted["lines"])
        raise JournalValidationError(report)

    journals = list(grouped.journals)
    pid = ctx.period.visma_period_id
    decision = posting_period(catalog.periods, pid, settings.payroll.closed_period)
    if decision.moved:  # validation failed the run if the period may not be posted into
        journals = [
            j.model_copy(
                update={"visma_period": decision.target, "note": f"pay period {pid} closed"}
            )
            for j in journals
        ]
    link = report_href(ctx.dag_id, ctx.airflow_run_id, base_url=airflow_base_url())
    with (
        staging.FrameStage(ctx.run_key, "mapped") as mapped_stage,
        staging.FrameStage(ctx.run_key, "lineage") as lineage_stage,
    ):
        grouped.write_lineage(lineage_stage.write, on_mapped=mapped_stage.write)
    stage_journals(ctx, journals)
    # What approving posts, per account × cost centre × project: the run report's first section
    # while the run waits for a controller (the prompt links there).
    segment_names = {s.segment_id: s.name for s in sorted(settings.segments, key=_segment_id)}
    table, table_csv = journals_markdown(ctx.period.key, journals, segment_names)
    write_report(settings, ctx, "journals", markdown=table, csv=table_csv)
    records.set_status(engine, ctx.audit_run_id, BLOCK_KIND, list(blocks), "validated")
    return {
        "period": ctx.period.key,
        "journals": len(journals),
        "lines": sum(len(j.lines) for j in journals),
        "debit_ore": sum(j.debit_ore for j in journals),
        "voided": extracted.get("voided", []),
        "live_runs": extracted.get("live_runs", []),
        "validation_report": paths["markdown"],
        "report_url": link,
        # the approval prompt (HITL body): numbers only, no employee data
        "approval": approval_prompt(ctx.period.key, journals, report.warnings, report_link=link),
    }


def _segment_id(segment: Any) -> int:
    return int(segment.segment_id)
