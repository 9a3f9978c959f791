"""Steps 1 and 2 of a pay period: find the pay runs (the sensor), then read every block and
page of their GL export and prove it complete.

Each function does the I/O of one step (UKG through the hook, staging files, the audit store) and
leaves the thinking to the pure modules in ``ukg_visma.gl``. What one task hands the next is a
small dict of references (URIs, keys, counts) — never a DataFrame in XCom.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ukg_visma.audit import records
from ukg_visma.gl.extract import (
    CompletenessReport,
    GLExportError,
    IncompleteExportError,
    check_complete,
    gl_frame,
    source_hashes,
)
from ukg_visma.periods import PayPeriod
from ukg_visma.settings import Settings
from ukg_visma.tasks import staging
from ukg_visma.tasks.payroll.run import FLOW, PayrollRun
from ukg_visma.tasks.reports import write_report

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.ukg import UkgHook

log = logging.getLogger(__name__)


# -- 1. find the pay runs -------------------------------------------------------------------
VOID_STATUSES = frozenset({"voided", "void", "reversed"})


def of_company(item: Mapping[str, Any], company_code: str, *, strict: bool = True) -> bool:
    """Whether a pay run or GL line belongs to the UKG company ``company_code``
    (``company.ukg_company_code``: UKG's ``companyCode``, or its ``coId``).

    ``strict=False`` (pay runs) keeps an item that names no company at all: the ``payroll-runs``
    listing is not in UKG's public reference, while every GL line documents ``coId`` and
    ``companyCode`` — the lines then decide.
    """
    named = (item.get("companyCode"), item.get("coId"))
    if not strict and not any(named):
        return True
    return company_code in named


def completed_pay_runs(
    ukg: UkgHook,
    period: PayPeriod,
    pay_groups: Iterable[str],
    run_id: str | None = None,
    *,
    company_code: str,
) -> list[dict[str, Any]]:
    """The period's completed (or voided) pay runs of the configured company and pay groups
    (or ``run_id`` of that company).

    A run counts when UKG says it is completed and its GL export has a ``glRunDateTime``: before
    that the export may be partial, which is exactly what the sensor waits out. A run UKG reports
    as voided is returned with ``voided: True``: whatever Visma holds for it is reversed. Runs of
    another UKG company (the listing has every company's) are left out: this deployment posts
    ``company.ukg_company_code`` only, and run ids are unique only within a company.
    """
    groups = set(pay_groups)
    found = []
    others: set[str] = set()
    for run in ukg.payroll_runs(pay_date_from=period.start, pay_date_to=period.end):
        if not of_company(run, company_code, strict=False):
            others.add(str(run.get("companyCode") or run.get("coId")))
            continue
        if run_id and run.get("runId") != run_id:
            continue
        if not run_id and run.get("payGroup") not in groups:
            continue
        status = str(run.get("status", "")).lower()
        if status in VOID_STATUSES:
            found.append({**run, "voided": True})
            continue
        if status != "completed" or not run.get("glRunDateTime"):
            continue
        found.append({**run, "voided": False})
    if others:
        log.info("left out pay runs of other UKG companies %s (posting %s only)",
                 sorted(others), company_code)  # fmt: skip
    return sorted(found, key=lambda r: (r.get("payDate") or "", r["runId"]))


# -- 2. extract every block and page --------------------------------------------------------
DEFAULT_GL_READERS = 4  # ``payroll.gl_read_concurrency``'s default


def read_run(ukg: UkgHook, run_id: str, readers: int = 1) -> list[dict[str, Any]]:
    """Every line of every block of one GL run, in block order.

    The block count is a field of the lines themselves, so it is not trusted alone: after the
    last block it names, the next block is asked for too and must be empty (UKG answers 404 or
    an empty page). Lines found there are kept, so that the completeness check names the blocks
    beyond ``totalNrOfBlocks`` and the run stops before anything is posted.

    Block 1 is read first (it says how many blocks there are); blocks 2 … total + 1 are then
    read by up to ``readers`` threads, each with its own hook on the same connection (one
    token, one rate-limit pacer, the same 429 backoff), and put back in block order — so the
    lines are exactly those of a sequential read. Only past the probe, when UKG keeps
    answering, does the read go on one block at a time.
    """
    lines = ukg.gl_block(run_id, 1)
    if not lines:
        return []
    total = int(lines[0].get("totalNrOfBlocks") or 1)
    blocks = _read_blocks(ukg, run_id, range(2, total + 2), readers)
    for more in blocks:
        lines.extend(more)
    if not blocks[-1]:  # the probe past the last block was empty: the usual end
        return lines
    block = total + 2
    while block <= 2 * total + 10:  # a server that never ends: the check reports it
        more = ukg.gl_block(run_id, block)
        if not more:
            break
        lines.extend(more)
        block += 1
    return lines


def _read_blocks(
    ukg: UkgHook, run_id: str, blocks: range, readers: int
) -> list[list[dict[str, Any]]]:
    """The lines of each of ``blocks``, in the order given (``readers`` threads at most).

    The first error of any block is raised once every reader has stopped: a block that cannot
    be read fails the extract as it would sequentially, and no thread outlives the task.
    """
    readers = max(1, min(readers, len(blocks)))
    if readers == 1:
        return [ukg.gl_block(run_id, b) for b in blocks]
    from concurrent.futures import ThreadPoolExecutor

    local = threading.local()
    siblings: list[UkgHook] = []
    lock = threading.Lock()

    def read(block: int) -> list[dict[str, Any]]:
        hook = getattr(local, "hook", None)
        if hook is None:
            hook = local.hook = ukg.sibling()
            with lock:
                siblings.append(hook)
        return hook.gl_block(run_id, block)

    try:
        with ThreadPoolExecutor(max_workers=readers, thread_name_prefix="ukg-gl") as pool:
            futures = [pool.submit(read, b) for b in blocks]
            errors = [f.exception() for f in futures]
            failed = next((e for e in errors if e is not None), None)
            if failed is not None:
                raise failed
            return [f.result() for f in futures]
    finally:
        for hook in siblings:  # the task's counters (429s, retries) include every reader's
            ukg.stats.add(**hook.stats.as_dict())
            hook.session.close()


def _company_lines(
    lines: list[dict[str, Any]], company_code: str
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The lines of ``company_code`` and a count of the others' per company (a run id may be
    shared by two companies, so a GL export by run id alone may carry another's lines)."""
    kept: list[dict[str, Any]] = []
    foreign: dict[str, int] = {}
    for line in lines:
        if of_company(line, company_code):
            kept.append(line)
        else:
            other = str(line.get("companyCode") or line.get("coId"))
            foreign[other] = foreign.get(other, 0) + 1
    return kept, foreign


def extract(
    ukg: UkgHook,
    engine: Engine,
    ctx: PayrollRun,
    runs: list[Mapping[str, Any]],
    settings: Settings | None = None,
) -> dict:
    """Read the period's GL export(s), prove completeness, stage the lines, audit each one.

    A voided run is not read: Visma must end up holding nothing for it (the plan reverses what
    is there). A malformed or incomplete export stops here with a report naming each line.
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
    lines: list[dict[str, Any]] = []
    readers = settings.payroll.gl_read_concurrency if settings is not None else DEFAULT_GL_READERS
    unread: list[str] = []  # listed as completed with a GL export, yet block 1 holds nothing
    for run in live:
        run_lines = read_run(ukg, run["runId"], readers)
        if not run_lines:
            unread.append(str(run["runId"]))
        lines.extend(run_lines)
    if settings is not None:
        lines, foreign = _company_lines(lines, settings.company.ukg_company_code)
        if foreign:
            log.warning("left out %d GL line(s) of other UKG companies %s (posting %s only)",
                        sum(foreign.values()), sorted(foreign),
                        settings.company.ukg_company_code)  # fmt: skip
    records.start_run(engine, ctx.audit_run_id, FLOW, ctx.period.key)
    if not lines and not unread:
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
        frame = gl_frame(lines)
        completeness = check_complete(frame)  # raises IncompleteExportError with the details
    except GLExportError as exc:
        if settings is not None:
            text = f"# GL export of pay period {ctx.period.key} refused\n\n{exc}\n"
            paths = write_report(settings, ctx, "extract", markdown=text)
            log.error("GL export refused; report: %s", paths["markdown"])
        records.finish_run(engine, ctx.audit_run_id, "failed", {"error": str(exc)[:4000]})
        raise
    frame["source_hash"] = source_hashes(frame)
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
    from ukg_visma.log_text import pay_run_lines

    log.info("%s", pay_run_lines(ctx.period.key, completeness.runs))
    return {
        "lines": uri,
        "line_count": len(frame),
        "runs": [r["runId"] for r in live],
        "live_runs": [
            {"company": r.get("companyCode") or r.get("coId") or "", "pay_run": r["runId"]}
            for r in live
        ],
        "versions": {r["runId"]: r.get("glRunDateTime") for r in live},
        "voided": voided,
    }
