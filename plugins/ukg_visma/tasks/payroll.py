"""Task bodies of ``ukg_visma_payroll_gl`` up to the posting: find, extract, validate.

Each function does the I/O of one step (UKG/Visma through the hooks, staging files, the audit
store) and leaves the thinking to the pure modules in ``ukg_visma.gl``. What one task hands the
next is a small dict of references (URIs, keys, counts) — never a DataFrame in XCom.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ukg_visma.audit import records
from ukg_visma.gl.catalog import VismaCatalog
from ukg_visma.gl.extract import check_complete, gl_frame, source_hashes
from ukg_visma.gl.findings import JournalValidationError
from ukg_visma.gl.journal import to_visma_payload
from ukg_visma.gl.transform import transform
from ukg_visma.gl.validate import validate
from ukg_visma.hooks.jsonbody import dumps
from ukg_visma.mappings import Mappings
from ukg_visma.periods import PayPeriod
from ukg_visma.settings import Settings
from ukg_visma.tasks import staging
from ukg_visma.tasks.context import FLOW_PAYROLL as FLOW
from ukg_visma.tasks.context import RunContext
from ukg_visma.tasks.reports import write_report

log = logging.getLogger(__name__)

GL_PATH = "/payroll/v2/general-ledger"
GL_PAGE = 10_000  # the GL export allows 10,000 lines a page


class NoPayRunError(RuntimeError):
    """UKG has no completed pay run for the period (yet): the sensor keeps waiting."""


# -- 1. find the pay runs -------------------------------------------------------------------
def completed_pay_runs(
    ukg: Any, period: PayPeriod, pay_groups: Iterable[str], run_id: str | None = None
) -> list[dict[str, Any]]:
    """The period's completed pay runs of the configured pay groups (or the one ``run_id``).

    A run counts when UKG says it is completed and its GL export has a ``glRunDateTime``: before
    that the export may be partial, which is exactly what the sensor waits out.
    """
    groups = set(pay_groups)
    params = {"payDateFrom": period.start.isoformat(), "payDateTo": period.end.isoformat()}
    found = []
    for run in ukg.paginate("/payroll/v1/payroll-runs", params):
        if run_id and run.get("runId") != run_id:
            continue
        if not run_id and run.get("payGroup") not in groups:
            continue
        if str(run.get("status", "")).lower() != "completed" or not run.get("glRunDateTime"):
            continue
        found.append(run)
    return sorted(found, key=lambda r: (r.get("payDate") or "", r["runId"]))


# -- 2. extract every block and page --------------------------------------------------------
def _read_run(ukg: Any, run_id: str) -> list[dict[str, Any]]:
    """Every line of every block of one GL run; block count from the first page."""
    first = list(
        ukg.paginate(GL_PATH, {"runId": run_id, "blockId": 1}, GL_PAGE, page_param="per_Page")
    )
    if not first:
        return []
    total = int(first[0].get("totalNrOfBlocks") or 1)
    lines = first
    for block in range(2, total + 1):
        lines.extend(
            ukg.paginate(
                GL_PATH, {"runId": run_id, "blockId": block}, GL_PAGE, page_param="per_Page"
            )
        )
    return lines


def extract(ukg: Any, engine: Engine, ctx: RunContext, runs: list[Mapping[str, Any]]) -> dict:
    """Read the period's GL export(s), prove completeness, stage the lines, audit each one."""
    lines: list[dict[str, Any]] = []
    for run in runs:
        lines.extend(_read_run(ukg, run["runId"]))
    frame = gl_frame(lines)
    completeness = check_complete(frame)  # raises IncompleteExportError with the details
    frame["source_hash"] = source_hashes(frame)
    records.start_run(engine, ctx.audit_run_id, FLOW, ctx.period.key)
    records.upsert_records(
        engine,
        ctx.audit_run_id,
        FLOW,
        "gl_line",
        (
            {
                "source_key": key,
                "source_hash": digest,
                "status": "extracted",
                "detail": {"run_id": run_id, "account": account, "cost_centre": cc},
            }
            for key, digest, run_id, account, cc in frame[
                ["source_key", "source_hash", "run_id", "ukg_account", "org_level3"]
            ].itertuples(index=False)
        ),
    )
    uri = staging.write_frame(ctx.run_key, "gl_lines", frame.astype({"source_hash": "str"}))
    log.info("extracted %s", completeness)
    return {
        "lines": uri,
        "line_count": len(frame),
        "runs": [r["runId"] for r in runs],
    }


# -- 3. the Visma catalog -------------------------------------------------------------------
def fetch_catalog(visma: Any, ctx: RunContext) -> str:
    """Chart of accounts, SUBACCOUNT values, projects and periods, as Visma holds them now."""
    data = {
        "accounts": visma.get_json("/v1/account"),
        "dimension": visma.get_json("/v1/dimension/SUBACCOUNT"),
        "projects": list(visma.paginate("/v1/project")),
        "periods": visma.get_json("/v1/financialPeriod"),
    }
    return staging.write_json(ctx.run_key, "visma_catalog", data)


# -- 4. transform + validate, all or nothing ------------------------------------------------
def _audit_validation(engine: Engine, ctx: RunContext, report: Any) -> None:
    bad: dict[str, str] = {}
    for finding in report.errors:
        for key in finding.rows.get("source_key", pd.Series(dtype=str)):
            bad.setdefault(str(key), finding.message)
    for message in sorted(set(bad.values())):
        keys = [k for k, m in bad.items() if m == message]
        records.set_status(engine, ctx.audit_run_id, "gl_line", keys, "invalid", error=message)


def transform_and_validate(
    engine: Engine,
    ctx: RunContext,
    extracted: Mapping[str, Any],
    catalog_uri: str,
    settings: Settings,
    mappings: Mappings,
    *,
    posting_date: str | None = None,
) -> list[dict[str, Any]]:
    """Map, aggregate, split and validate; on any error fail before anything is posted.

    Returns one small reference per journal (key, staged payload URI, hash) for the mapped
    posting tasks. The validation report is written (CSV + Markdown) whatever the outcome.
    """
    import datetime as dt

    from ukg_visma.gl.journal import payload_hash
    from ukg_visma.tasks.drift import check_drift

    lines = staging.read_frame(extracted["lines"])
    result = transform(lines, mappings, settings)
    raw_catalog = staging.read_json(catalog_uri)
    catalog = VismaCatalog.from_api(**raw_catalog)
    report = validate(result.mapped, result.journals, catalog, ctx.period, settings=settings)
    # The same drift check the employee sync runs every few hours, here on the GL export:
    # its report names each org code without a mapping or an active Visma value.
    drift = check_drift(
        gl_lines=lines, visma_segments=raw_catalog["dimension"], settings=settings, mapping=mappings
    )
    write_report(settings, ctx, "mapping_drift", markdown=drift.markdown)
    paths = write_report(
        settings,
        ctx,
        "validation",
        markdown=report.to_markdown(),
        csv=report.to_csv(),
    )
    log.info("validation report: %s\n%s", paths["markdown"], report.to_markdown())
    if not report.ok:
        _audit_validation(engine, ctx, report)
        raise JournalValidationError(report)

    staging.write_frame(ctx.run_key, "mapped", result.mapped)
    staging.write_frame(ctx.run_key, "lineage", result.lineage)
    staging.write_json(
        ctx.run_key, "journals", [j.model_dump(mode="json") for j in result.journals]
    )
    when = dt.date.fromisoformat(posting_date) if posting_date else None
    refs = []
    for journal in result.journals:
        payload = to_visma_payload(journal, settings, ctx.period, hold=True, transaction_date=when)
        uri = staging.path_for(
            ctx.run_key, f"journal-{journal.key.split_index}-{hash_name(journal)}"
        )
        with uri.open("w") as fh:
            fh.write(dumps(payload))
        refs.append(
            {
                "journal_key": journal.journal_key,
                "payload": str(uri),
                "payload_hash": payload_hash(payload),
                "company": journal.company,
                "pay_run": journal.pay_run,
                "run_version": journal.key.run_version,
                "split_index": journal.key.split_index,
                "lines": len(journal.lines),
                "debit_ore": journal.debit_ore,
            }
        )
    records.set_status(
        engine,
        ctx.audit_run_id,
        "gl_line",
        result.lineage["source_key"].unique().tolist(),
        "validated",
    )
    return refs


def staged_journals(ctx: RunContext) -> list[Any]:
    """The run's journals as the transform built them (for the report after posting)."""
    from ukg_visma.gl.journal import Journal

    uri = str(staging.path_for(ctx.run_key, "journals.json"))
    return [Journal.model_validate(j) for j in staging.read_json(uri)]


def hash_name(journal: Any) -> str:
    """A file name for a journal's staged payload (journal keys contain slashes)."""
    import hashlib

    return hashlib.sha256(journal.journal_key.encode()).hexdigest()[:16]
