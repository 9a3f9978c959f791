"""Payroll endpoints, exactly as UKG publishes them: the GL export (v2, in blocks), pay-group pay
periods and the pay register. Nothing else: ``/payroll/v1/payroll-runs`` is not in UKG's
published contract and answers 404 like any unknown path.

GL (``GeneralLedgerRunDetailsV2_Get`` / ``_GetByRunId``): query ``runId``, ``blockId``,
``mostRecent``, ``page``, ``per_Page`` — nothing else is honoured (``companyCode`` or ``payGroup``
filters are not published and are ignored). Each line carries exactly the fields of
``GeneralLedgerRunDetailsV2`` (:data:`GL_FIELDS`): amounts as JSON numbers, ``systemId`` an
integer, ``glJson`` a string; no ``payDate``, no employee, no pay codes.

A GL run is split into blocks of ``block_size`` lines (``blockId`` 1..``totalNrOfBlocks``); a
request without ``blockId`` gets block 1, and each block is paged with ``page``/``per_Page``. A
block alone does not balance: only the whole run does, as in the real export. A run added with
``declared_blocks`` is an export that lies: every line says ``totalNrOfBlocks: N`` while the real
blocks are served, so block N+1 still answers with lines when more exist; a block past the real
last one is a 404.

``mostRecent`` (the contract does not say more than the name): ``mostRecent=true`` without a
``runId`` serves the run whose current GL export is the latest (``glRunDateTime``, then
``runId``) over the whole tenant; with a ``runId`` the current (latest) version is served either
way — the sandbox serves no earlier version. Without ``runId`` and without ``mostRecent=true`` the
answer is a 400 naming ``runId``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import Any, overload

from fastapi import APIRouter, Request
from starlette.responses import Response

from sandbox.ukg.errors import UkgError, bad_request, json_response
from sandbox.ukg.paging import next_link, paged_response, read_page
from sandbox.ukg.register import checks, number, stamp
from sandbox.ukg.state import UkgState

GL_DEFAULT_PAGE = 1000
GL_MAX_PAGE = 10_000
REGISTER_MAX_PAGE = 2000
PERIODS_MAX_PAGE = 500
DEFAULT_GL_USER = "PAYROLL01"

# Every field of GeneralLedgerRunDetailsV2, in the schema's order (/tmp/ukg-openapi.yaml;
# konfig-sdks/ukg-java-sdk api/openapi.yaml, components/schemas/GeneralLedgerRunDetailsV2).
GL_FIELDS = (
    "description",
    "runId",
    "payPeriodEndDate",
    "accountType",
    "baseSegment",
    "companyCode",
    "creditAmt",
    "debitAmt",
    "generalLedgerAccount",
    "jobCode",
    "jobDesc",
    "location",
    "orgLevel1",
    "orgLevel2",
    "orgLevel3",
    "orgLevel4",
    "payGroup",
    "periodEndDate",
    "periodStartDate",
    "positionCode",
    "positionDesc",
    "project",
    "systemId",
    "blockId",
    "coId",
    "glRunDateTime",
    "totalNrOfBlocks",
    "userWhoRanThisGl",
    "glJson",
)
_DATES = ("payPeriodEndDate", "periodEndDate", "periodStartDate")
_AMOUNTS = ("debitAmt", "creditAmt")


def _flag(value: str | None, field: str) -> bool:
    if value is None or value == "":
        return False
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0"):
        raise bad_request(field, f"'{value}' is not a boolean")
    return lowered in ("true", "1")


def published_line(
    head: dict[str, Any], line: dict[str, Any], system_id: int | None
) -> dict[str, Any]:
    """One served GL line: the published fields only, typed as the model declares them.

    ``system_id``: the line's ``systemId`` when the stored line gives none (a line stored with
    ``"systemId": null`` is served without one: an export that omits it).
    """
    merged = {**line, **head}
    out: dict[str, Any] = {}
    for field in GL_FIELDS:
        if field == "systemId":
            given = line.get("systemId", system_id) if "systemId" in line else system_id
            if given is not None:
                out[field] = given
            continue
        value = merged.get(field)
        if field in _AMOUNTS:
            # a malformed amount brought by a test is served as it was given
            with contextlib.suppress(ArithmeticError, ValueError):
                value = number(value)
        elif field in _DATES and isinstance(value, str) and len(value) == 10:
            value = stamp(value)
        elif field == "glJson" and value is None:
            value = json.dumps(
                {"account": merged.get("generalLedgerAccount"), "project": merged.get("project")},
                separators=(",", ":"),
            )
        out[field] = value
    return out


class RepeatedLines(Sequence[dict[str, Any]]):
    """A run's stored lines served ``times`` times over, made per request (never stored).

    Why: a bench needs a UKG that serves a million-line run cheaply; a run added with
    ``repeat`` keeps its few (balanced) lines once, and each block is cut from the repeated
    sequence when asked for. Every served line still gets its own ``systemId`` (its position).
    """

    def __init__(self, lines: list[dict[str, Any]], times: int) -> None:
        self._lines, self._times = lines, times

    def __len__(self) -> int:
        return len(self._lines) * self._times

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._lines[i % len(self._lines)] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._lines[index % len(self._lines)]


def served_lines(run: dict[str, Any]) -> Sequence[dict[str, Any]]:
    """The lines UKG serves for ``run``: its stored lines, ``repeat`` times when set."""
    times = int(run.get("repeat") or 1)
    return RepeatedLines(run["lines"], times) if times > 1 else run["lines"]


def serve_block(state: UkgState, request: Request, run: dict[str, Any]) -> Response:
    """One page of one block of ``run``, every line carrying the run header and block numbers."""
    query = request.query_params
    size = state.block_size(run)
    lines = served_lines(run)
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
    first = (block - 1) * size
    block_lines = lines[first : block * size]
    head = {
        "runId": run["runId"],
        "glRunDateTime": run["glRunDateTime"],
        "userWhoRanThisGl": run.get("userWhoRanThisGl") or DEFAULT_GL_USER,
        "blockId": block,
        "totalNrOfBlocks": run.get("declaredBlocks") or total,
        "coId": run.get("coId"),
        "companyCode": run.get("companyCode"),
        "payGroup": run.get("payGroup"),
        "periodStartDate": run.get("periodStartDate"),
        "periodEndDate": run.get("periodEndDate"),
        "payPeriodEndDate": run.get("payPeriodEndDate"),
    }
    start = (page.number - 1) * page.size
    out = [
        published_line(head, line, first + start + n + 1)
        for n, line in enumerate(page.slice(block_lines))
    ]
    headers = {}
    if page.has_next(len(block_lines)):
        headers["Link"] = f'<{next_link(request, page)}>; rel="next"'
    return json_response(out, headers=headers)


def _same_day(given: str | None, value: str) -> bool:
    """A date-time query value against a served date-time: a bare value means equal (by day)."""
    return given is None or given == "" or given.strip()[:10] == value[:10]


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
        runs = state.runs()  # oldest first by glRunDateTime, runId
        if not runs:
            raise UkgError(404, "No general-ledger run found.")
        return serve_block(state, request, runs[-1])

    @router.get("/payroll/v2/general-ledger/{run_id}")
    def general_ledger_run(run_id: str, request: Request) -> Response:
        return serve_block(state, request, find(run_id))

    @router.get("/payroll/v1/paygroup-payperiods")
    def pay_periods(request: Request) -> Response:
        query = request.query_params
        page = read_page(
            request, default_size=PERIODS_MAX_PAGE, max_size=PERIODS_MAX_PAGE, size_param="per_Page"
        )
        seq = query.get("payDateSeq")
        lo, hi = query.get("startPerControl"), query.get("endPerControl")
        found = [
            p
            for p in state.pay_periods()
            if query.get("payGroup") in (None, "", p["payGroup"])
            and _same_day(query.get("payDate"), p["payDate"])
            and _same_day(query.get("periodStartDate"), p["periodStartDate"])
            and _same_day(query.get("periodEndDate"), p["periodEndDate"])
            and (not seq or str(p["payDateSeq"]) == seq)
            and (not lo or p["periodControl"] >= lo)
            and (not hi or p["periodControl"] <= hi)
        ]
        return paged_response(request, page, found)

    @router.get("/payroll/v1/pay-register")
    def pay_register(request: Request) -> Response:
        query = request.query_params
        page = read_page(
            request,
            default_size=REGISTER_MAX_PAGE,
            max_size=REGISTER_MAX_PAGE,
            size_param="per_Page",
        )
        periods = {(p["payGroup"], p["payDate"][:10]): p for p in state.pay_periods()}
        employees: dict[str, str] | None = None
        found: list[dict[str, Any]] = []
        for run in state.runs():
            period = periods.get((run["payGroup"], run["payDate"][:10]))
            if period is None:
                continue
            if query.get("payGroup") not in (None, "", run["payGroup"]):
                continue
            if not _same_day(query.get("payDate"), period["payDate"]):
                continue
            if query.get("periodControl") not in (None, "", period["periodControl"]):
                continue
            if query.get("companyId") not in (None, "", run.get("coId")):
                continue
            if employees is None:
                employees = {
                    str(e.get("employeeNumber")): e["employeeId"] for e in state.employees()
                }
            found.extend(checks(run, period, state.voided(run["runId"]), employees))
        for field in ("employeeId", "employeeNumber", "checkId", "documentNumber"):
            if query.get(field):
                found = [c for c in found if str(c.get(field)) == query[field]]
        return paged_response(request, page, found)

    return router
