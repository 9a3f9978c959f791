"""Payroll endpoints: the GL export (v2, in blocks), payroll runs and pay-group pay periods.

A GL run is split into blocks of ``block_size`` lines (``blockId`` 1..``totalNrOfBlocks``); a
request without ``blockId`` gets block 1, and each block is paged with ``page``/``per_Page``. A
block alone does not balance: only the whole run does, as in the real export.

A run added with ``declared_blocks`` (``/_sandbox/gl-runs``, ``.../regenerate``) is an export
that lies: every line says ``totalNrOfBlocks: N`` while the blocks served are the real ones, so
block N+1 still answers with lines when more exist; a block past the real last one is a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from sandbox.scenario.payroll import payroll_run_summary
from sandbox.ukg.errors import UkgError, bad_request, json_response
from sandbox.ukg.paging import next_link, paged_response, read_page
from sandbox.ukg.state import RUN_HEADER, UkgState, parse_date

GL_DEFAULT_PAGE = 1000
GL_MAX_PAGE = 10_000


def _flag(value: str | None, field: str) -> bool:
    if value is None or value == "":
        return False
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0"):
        raise bad_request(field, f"'{value}' is not a boolean")
    return lowered in ("true", "1")


def serve_block(state: UkgState, request: Request, run: dict[str, Any]) -> Response:
    """One page of one block of ``run``, every line carrying the run header and block numbers."""
    query = request.query_params
    size = state.block_size(run)
    lines = run["lines"]
    total = max(1, -(-len(lines) // size))
    raw_block = query.get("blockId") or "1"
    try:
        block = int(raw_block)
    except ValueError:
        raise bad_request("blockId", f"'{raw_block}' is not an integer") from None
    if not 1 <= block <= total:
        raise UkgError(404, f"Block {block} does not exist; run {run['runId']} has {total}.")
    page = read_page(
        request, default_size=GL_DEFAULT_PAGE, max_size=GL_MAX_PAGE, size_param="per_Page"
    )
    block_lines = lines[(block - 1) * size : block * size]
    head = {key: run.get(key) for key in RUN_HEADER[:2]}
    head.update(blockId=block, totalNrOfBlocks=run.get("declaredBlocks") or total)
    head.update({key: run.get(key) for key in RUN_HEADER[2:]})
    out = [{**head, **line} for line in page.slice(block_lines)]
    headers = {}
    if page.has_next(len(block_lines)):
        headers["Link"] = f'<{next_link(request, page)}>; rel="next"'
    return json_response(out, headers=headers)


def _summary(state: UkgState, run: dict[str, Any]) -> dict[str, Any]:
    summary = payroll_run_summary(run)
    if summary["employeeCount"] is None:
        summary["employeeCount"] = len({line.get("employeeNumber") for line in run["lines"]})
    voided = state.voided(run["runId"])
    if voided is not None:
        summary["status"] = "Voided"
        summary["voidedDateTime"] = voided
    return summary


def payroll_router(state: UkgState) -> APIRouter:
    router = APIRouter()

    def find(run_id: str) -> dict[str, Any]:
        run = state.run(run_id)
        if run is None:
            raise UkgError(404, body=None)  # the real export answers an unknown run bodiless
        return run

    @router.get("/payroll/v2/general-ledger")
    def general_ledger(request: Request) -> Response:
        query = request.query_params
        run_id = query.get("runId")
        if run_id:
            return serve_block(state, request, find(run_id))
        if not _flag(query.get("mostRecent"), "mostRecent"):
            raise bad_request("runId", "runId is required unless mostRecent=true")
        runs = [
            r
            for r in state.runs()
            if query.get("companyCode") in (None, r["companyCode"])
            and query.get("payGroup") in (None, r["payGroup"])
        ]
        if not runs:
            raise UkgError(404, "No general-ledger run found.")
        return serve_block(state, request, runs[-1])

    @router.get("/payroll/v2/general-ledger/{run_id}")
    def general_ledger_run(run_id: str, request: Request) -> Response:
        return serve_block(state, request, find(run_id))

    @router.get("/payroll/v1/payroll-runs")
    def payroll_runs(request: Request) -> Response:
        query = request.query_params
        page = read_page(request)
        lo = parse_date(query["payDateFrom"], "payDateFrom") if query.get("payDateFrom") else None
        hi = parse_date(query["payDateTo"], "payDateTo") if query.get("payDateTo") else None
        if lo and hi and lo > hi:
            raise bad_request("payDateFrom", "must not be after payDateTo")
        found = []
        for run in state.runs():
            paid = parse_date(run["payDate"], "payDate")
            if (lo and paid < lo) or (hi and paid > hi):
                continue
            if query.get("companyCode") not in (None, run["companyCode"]):
                continue
            if query.get("payGroup") not in (None, run["payGroup"]):
                continue
            found.append(_summary(state, run))
        found.sort(key=lambda r: (r["payDate"], r["runId"]))
        return paged_response(request, page, found)

    @router.get("/payroll/v1/paygroup-payperiods")
    def pay_periods(request: Request) -> Response:
        query = request.query_params
        page = read_page(request)
        found = [
            p
            for p in state.pay_periods()
            if query.get("payGroup") in (None, p["payGroup"])
            and query.get("companyCode") in (None, p["companyCode"])
        ]
        return paged_response(request, page, found)

    return router
