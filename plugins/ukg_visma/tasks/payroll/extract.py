"""Steps 1 and 2 of a pay period: find the pay runs (the sensor), then read every block and
page of their GL export and prove it complete.

Each function does the I/O of one step (UKG through the hook, staging files, the audit store) and
leaves the thinking to the pure modules in ``ukg_visma.gl``. What one task hands the next is a
small dict of references (URIs, keys, counts) — never a DataFrame in XCom.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any

from ukg_visma.audit import records
from ukg_visma.gl.completeness import BLOCK_KIND, CompletenessReport, CompletenessTally
from ukg_visma.gl.export_frame import gl_frame
from ukg_visma.gl.extract import GLExportError, IncompleteExportError, MalformedExportError
from ukg_visma.gl.line_hash import source_hashes
from ukg_visma.gl.pay_runs import (
    Discovery,
    GLRunNotFoundError,
    discover,
    is_voided,
    month_controls,
    of_company,
)
from ukg_visma.periods import PayPeriod
from ukg_visma.settings import Settings
from ukg_visma.tasks import staging
from ukg_visma.tasks.payroll.gl_blocks import run_blocks
from ukg_visma.tasks.payroll.run import FLOW, PayrollRun
from ukg_visma.tasks.reports import write_report

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.hooks.visma import VismaHook

log = logging.getLogger(__name__)


# -- 1. find the pay runs (published operations only: docs/decisions/pay-run-discovery.md) --
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
