"""Step 2 of a pay period: read every block and page of the GL export of the pay runs the
sensor found (``tasks.payroll.pay_runs``), and prove it complete.

Each function does the I/O of one step (UKG through the hook, staging files, the audit store) and
leaves the thinking to the pure modules in ``ukg_visma.gl``. What one task hands the next is a
small dict of references (URIs, keys, counts) — never a DataFrame in XCom.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any

from ukg_visma.audit import records
from ukg_visma.gl.completeness import BLOCK_KIND, CompletenessReport, CompletenessTally
from ukg_visma.gl.export_frame import gl_frame
from ukg_visma.gl.extract import GLExportError, IncompleteExportError, MalformedExportError
from ukg_visma.gl.line_hash import source_hashes
from ukg_visma.gl.pay_runs import of_company
from ukg_visma.settings import Settings
from ukg_visma.tasks import staging
from ukg_visma.tasks.payroll.gl_blocks import run_blocks
from ukg_visma.tasks.payroll.run import FLOW, PayrollRun
from ukg_visma.tasks.reports import write_report

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.ukg import UkgHook

log = logging.getLogger(__name__)


# -- 2. extract every block and page --------------------------------------------------------
DEFAULT_GL_READERS = 4  # ``payroll.gl_read_concurrency``'s default
LINE_KIND = "gl_line"  # a single line's record: only a line with a finding (invalid) has one
FRAME_LINES = 10_000  # whole blocks framed together once this many lines are pending


def _company_lines(
    lines: list[dict[str, Any]], company_code: str
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The lines of ``company_code`` and a count of the others' per company (a run id may be
    shared by two companies, so a GL export by run id alone may carry another's lines)."""
    kept = [
        ln
        for ln in lines
        if ln.get("companyCode") == company_code or ln.get("coId") == company_code
    ]
    foreign: dict[str, int] = {}
    if len(kept) < len(lines):  # usually every line is the company's: no second pass
        for line in lines:
            if not of_company(line, company_code):
                other = str(line.get("companyCode") or line.get("coId"))
                foreign[other] = foreign.get(other, 0) + 1
    return kept, foreign


def block_record(frame: Any, uri: str) -> dict[str, Any]:
    """The audit row of one block's staged lines: counts, sums, a hash over its lines' hashes
    (a re-read holding other lines shows), and where its lines are (``uri``: the staged
    Parquet, one row per line with key, hash, account and cost centre — what ``audit trace``
    reads back)."""
    digest = hashlib.sha256("".join(frame["source_hash"].tolist()).encode()).hexdigest()
    run_id, block = str(frame["run_id"].iloc[0]), int(frame["block_id"].iloc[0])
    return {
        "source_key": f"{run_id}/{block}",
        "source_hash": digest,
        "status": "extracted",
        "detail": {
            "run_id": run_id,
            "block": block,
            "lines": len(frame),
            "debit_ore": int(frame["debit_ore"].sum()),
            "credit_ore": int(frame["credit_ore"].sum()),
            "lines_uri": uri,
        },
    }


def _malformed(problems: list[MalformedExportError]) -> MalformedExportError:
    """One error for every malformed block (a single one is raised as it was)."""
    if len(problems) == 1:
        return problems[0]
    listed = [p for exc in problems for p in exc.problems]
    return MalformedExportError(
        "the UKG GL export is malformed:\n" + "\n".join(f"  - {p}" for p in listed),
        tuple(listed),
    )


def extract(
    ukg: UkgHook,
    engine: Engine,
    ctx: PayrollRun,
    runs: Sequence[Mapping[str, Any]],
    settings: Settings | None = None,
) -> dict:
    """Read the period's GL export(s) block by block, prove completeness, stage the lines, audit
    each block.

    Each block is turned into its canonical frame, tallied for the completeness proof and
    appended to the staged Parquet as soon as it is read, then let go: the task holds a few
    blocks, never the export (issue #24). The audit gets one row per block; each line's key,
    hash, account and cost centre are in the staged Parquet the block's row names.

    A voided run is not read: Visma must end up holding nothing for it (the plan reverses what
    is there). A malformed or incomplete export stops here with a report naming each line (every
    block is still read, so that every malformed block is named).
    """
    if settings is not None:  # the runs come from XCom: hold them to the company once more
        code = settings.company.ukg_company_code
        runs = [r for r in runs if of_company(r, code, strict=False)]
    live = [r for r in runs if not r.get("voided")]
    voided = [
        {"company": r.get("companyCode") or r.get("coId") or "", "pay_run": r["runId"],
         "pay_groups": [r["payGroup"]] if r.get("payGroup") else []}
        for r in runs if r.get("voided")
    ]  # fmt: skip
    from ukg_visma.audit.airflow import shared_store_warning

    warning = shared_store_warning()
    if warning:
        log.warning("AUDIT STORE NOT SHARED: %s", warning)
    readers = settings.payroll.gl_read_concurrency if settings is not None else DEFAULT_GL_READERS
    most_recent = settings.payroll.gl_most_recent if settings is not None else True
    company = settings.company.ukg_company_code if settings is not None else None
    pay_dates = {str(r["runId"]): str(r["payDate"]) for r in live if r.get("payDate")}
    unread: list[str] = []  # listed as completed with a GL export, yet block 1 holds nothing
    foreign: dict[str, int] = {}
    malformed: list[MalformedExportError] = []
    tally = CompletenessTally()
    blocks: list[dict[str, Any]] = []
    kept = 0  # lines of the company read so far (positions in error messages count from here)
    pending: list[dict[str, Any]] = []  # whole blocks' lines not framed yet

    def frame_pending(stage: staging.FrameStage) -> None:
        """Frame, tally, hash and stage the pending blocks at once (one pandas pass per
        ~10,000 lines instead of per 2,000-line block: the per-call cost was a third of the
        extract's CPU), then let them go."""
        nonlocal kept
        lines = pending.copy()
        pending.clear()
        if not lines:
            return
        try:
            frame = gl_frame(lines, pay_dates, first_line=kept)
        except MalformedExportError as exc:
            malformed.append(exc)
            return
        finally:
            kept += len(lines)
        del lines
        if malformed:  # nothing more is staged; the rest is read to name it all
            return
        frame["source_hash"] = source_hashes(frame)
        tally.add(frame)
        for _, part in frame.groupby(["run_id", "block_id"], sort=False):
            blocks.append(block_record(part, stage.uri))
        stage.write(frame.astype({"source_hash": "str"}))

    with staging.FrameStage(ctx.run_key, "gl_lines") as stage:
        for run in live:
            read_any = False
            blocks_of_run = run_blocks(ukg, run["runId"], readers, most_recent=most_recent)
            with closing(blocks_of_run) as reading:
                for _, lines in reading:
                    read_any = True
                    if company is not None:
                        lines, others = _company_lines(lines, company)
                        for other, n in others.items():
                            foreign[other] = foreign.get(other, 0) + n
                    pending.extend(lines)
                    del lines
                    if len(pending) >= FRAME_LINES:
                        frame_pending(stage)
            frame_pending(stage)
            if not read_any:
                unread.append(str(run["runId"]))
    if foreign and company is not None:
        log.warning("left out %d GL line(s) of other UKG companies %s (posting %s only)",
                    sum(foreign.values()), sorted(foreign), company)  # fmt: skip
    records.start_run(engine, ctx.audit_run_id, FLOW, ctx.period.key, company=company)
    if not kept and not unread:
        log.info("no live pay run to read; voided: %s", [v["pay_run"] for v in voided])
        return {"lines": None, "line_count": 0, "runs": [], "versions": {}, "voided": voided}
    try:
        if unread:
            # UKG's run list and its GL export disagree: posting the other runs (or nothing)
            # would leave a completed pay run out of the ledger and call the period done.
            raise IncompleteExportError(
                CompletenessReport(
                    (),
                    problems=tuple(
                        f"run {r}: UKG lists it as completed with a GL export, but block 1 of "
                        "its export has no lines (404 or an empty page): nothing of the period "
                        "is posted until UKG serves it — run the period again then"
                        for r in unread
                    ),
                )
            )
        if malformed:
            raise _malformed(malformed)
        block_size = settings.payroll.gl_block_size if settings is not None else None
        # raises IncompleteExportError with the details
        completeness = tally.report(block_size=block_size)
    except GLExportError as exc:
        if settings is not None:
            text = f"# GL export of pay period {ctx.period.key} refused\n\n{exc}\n"
            paths = write_report(settings, ctx, "extract", markdown=text)
            log.error("GL export refused; report: %s", paths["markdown"])
        records.finish_run(engine, ctx.audit_run_id, "failed", {"error": str(exc)[:4000]})
        raise
    records.upsert_records(engine, ctx.audit_run_id, FLOW, BLOCK_KIND, blocks)
    from ukg_visma.log_text import pay_run_lines

    log.info("%s", pay_run_lines(ctx.period.key, completeness.runs))
    return {
        "lines": stage.uri,
        "line_count": stage.rows,
        "runs": [r["runId"] for r in live],
        "live_runs": [
            {"company": r.get("companyCode") or r.get("coId") or "", "pay_run": r["runId"]}
            for r in live
        ],
        "versions": {r["runId"]: r.get("glRunDateTime") for r in live},
        "voided": voided,
    }
