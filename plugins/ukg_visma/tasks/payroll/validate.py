"""Steps 3 and 4 of a pay period: the Visma catalog, then map + validate, all or nothing.

The catalog (chart of accounts, SUBACCOUNT values, projects, periods) is read once and staged;
validation then runs locally against it, so nothing is posted unless the whole period validated.
The validation report names every bad UKG row, whatever the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ukg_visma.alignment import codes_from_gl_lines, count_seen
from ukg_visma.alignment.drift import blank
from ukg_visma.audit import records
from ukg_visma.gl.approval import approval_prompt, journals_markdown
from ukg_visma.gl.catalog import VismaCatalog
from ukg_visma.gl.completeness import BLOCK_KIND, LINE_KIND, block_keys
from ukg_visma.gl.findings import JournalValidationError, ValidationReport
from ukg_visma.gl.journal import Journal
from ukg_visma.gl.posting_period import posting_period
from ukg_visma.gl.transform import GroupedJournals, build_journals_grouped
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


@dataclass
class _MappedGroups:
    """What mapping the staged lines a row group at a time leaves behind: the journal sums, the
    rows a validation rule names (usually none), the org codes seen, the blocks read."""

    grouped: GroupedJournals
    named: list[pd.DataFrame] = field(default_factory=list)
    seen_codes: list[pd.DataFrame] = field(default_factory=list)
    blocks: dict[str, None] = field(default_factory=dict)
    lines: int = 0


def _nothing_to_map(ctx: PayrollRun, extracted: Mapping[str, Any]) -> dict[str, Any]:
    """Only voided runs: nothing to map; approving reverses what Visma holds for them."""
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


def _map_in_groups(
    uri: str,
    catalog: VismaCatalog,
    ctx: PayrollRun,
    settings: Settings,
    mappings: Mappings,
    rows: int | None,
) -> _MappedGroups:
    """Map a group of staged lines at a time (bounded memory): each group is mapped, the rows a
    rule names kept, and added up into partial journal sums (``gl.transform``)."""
    # whether the export carries systemIds at all decides how drift names a line: read first
    system_ids = any(
        not blank(g["system_id"]).all() for g in staging.read_groups(uri, columns=["system_id"])
    )
    named: list[pd.DataFrame] = []
    seen_codes: list[pd.DataFrame] = []
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
    return _MappedGroups(grouped, named, seen_codes, blocks, seen[0])


def _report_drift(
    ctx: PayrollRun,
    settings: Settings,
    mappings: Mappings,
    mapped: _MappedGroups,
    visma_segments: Any,
) -> None:
    """The same drift check the employee sync runs every few hours, here on the GL export: its
    report names each org code without a mapping or an active Visma value."""
    from ukg_visma.tasks.drift import check_drift

    drift = check_drift(
        gl_codes=count_seen(pd.concat(mapped.seen_codes, ignore_index=True)),
        visma_segments=visma_segments,
        settings=settings,
        mapping=mappings,
    )
    mapped.seen_codes.clear()
    write_report(settings, ctx, "mapping_drift", markdown=drift.markdown)


def _validate_or_fail(
    engine: Engine,
    ctx: PayrollRun,
    mapped: _MappedGroups,
    catalog: VismaCatalog,
    settings: Settings,
    lines_uri: str,
) -> tuple[ValidationReport, str]:
    """Validate the period's journals and the named rows; write the report (CSV + Markdown)
    whatever the outcome; on any error audit the named lines and raise before anything posts.
    Returns the report and the path of its Markdown."""
    report = validate(
        pd.concat(mapped.named, ignore_index=True),
        mapped.grouped.journals,
        catalog,
        ctx.period,
        settings=settings,
        source_lines=mapped.lines,
    )
    mapped.named.clear()
    paths = write_report(
        settings,
        ctx,
        "validation",
        markdown=report.to_markdown(),
        csv=report.to_csv(),
    )
    log.info("validation report: %s\n%s", paths["markdown"], report.to_markdown())
    if not report.ok:
        _audit_validation(engine, ctx, report, lines_uri)
        raise JournalValidationError(report)
    return report, paths["markdown"]


def _into_posting_period(
    journals: list[Journal], catalog: VismaCatalog, ctx: PayrollRun, settings: Settings
) -> list[Journal]:
    """The journals dated into the period they post into (``gl.posting_period``): the pay
    period's own, or the next open one when it is closed and the policy moves them."""
    pid = ctx.period.visma_period_id
    decision = posting_period(catalog.periods, pid, settings.payroll.closed_period)
    if not decision.moved:  # validation failed the run if the period may not be posted into
        return journals
    return [
        j.model_copy(update={"visma_period": decision.target, "note": f"pay period {pid} closed"})
        for j in journals
    ]


def _stage_validated(
    ctx: PayrollRun, grouped: GroupedJournals, journals: list[Journal], settings: Settings
) -> None:
    """Stage what the later steps read: the mapped lines and their lineage, the journals, and
    the table of what approving posts (per account × cost centre × project) — the run report's
    first section while the run waits for a controller (the prompt links there)."""
    with (
        staging.FrameStage(ctx.run_key, "mapped") as mapped_stage,
        staging.FrameStage(ctx.run_key, "lineage") as lineage_stage,
    ):
        grouped.write_lineage(lineage_stage.write, on_mapped=mapped_stage.write)
    stage_journals(ctx, journals)
    segment_names = {s.segment_id: s.name for s in sorted(settings.segments, key=_segment_id)}
    table, table_csv = journals_markdown(ctx.period.key, journals, segment_names)
    write_report(settings, ctx, "journals", markdown=table, csv=table_csv)


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
    raw_catalog = staging.read_json(catalog_uri)
    if not extracted.get("lines"):
        return _nothing_to_map(ctx, extracted)
    catalog = VismaCatalog.from_api(**raw_catalog)
    mapped = _map_in_groups(extracted["lines"], catalog, ctx, settings, mappings, rows)
    _report_drift(ctx, settings, mappings, mapped, raw_catalog["dimension"])
    report, report_path = _validate_or_fail(
        engine, ctx, mapped, catalog, settings, extracted["lines"]
    )
    journals = _into_posting_period(list(mapped.grouped.journals), catalog, ctx, settings)
    link = report_href(ctx.dag_id, ctx.airflow_run_id, base_url=airflow_base_url())
    _stage_validated(ctx, mapped.grouped, journals, settings)
    records.set_status(engine, ctx.audit_run_id, BLOCK_KIND, list(mapped.blocks), "validated")
    return {
        "period": ctx.period.key,
        "journals": len(journals),
        "lines": sum(len(j.lines) for j in journals),
        "debit_ore": sum(j.debit_ore for j in journals),
        "voided": extracted.get("voided", []),
        "live_runs": extracted.get("live_runs", []),
        "validation_report": report_path,
        "report_url": link,
        # the approval prompt (HITL body): numbers only, no employee data
        "approval": approval_prompt(ctx.period.key, journals, report.warnings, report_link=link),
    }


def _segment_id(segment: Any) -> int:
    return int(segment.segment_id)
