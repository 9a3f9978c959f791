"""``/v2/journaltransaction``: create (201 + ETag), read, list (a bare array of
``JournalTransactionDto``, paged by lines), update with If-Match, and ``/action/release``.

Why every write runs inside ``store.atomic()``: numbering, validation and the commit must be one
step, so a crash or a dropped response leaves either the whole batch or nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sandbox.common import StateStore
from sandbox.visma.config import VismaConfig
from sandbox.visma.errors import VismaError
from sandbox.visma.journal_model import (
    apply_header,
    apply_lines,
    new_batch,
    render,
    settle_status,
    totals,
)
from sandbox.visma.ledger import Ledger
from sandbox.visma.util import (
    dto_value,
    etag,
    if_match_ok,
    json_body,
    json_response,
    new_timestamp,
    now_text,
    page_params,
    parse_last_modified,
    precondition_failed,
)

NS = "journals"
SUBACCOUNTS = "subaccounts"
PREFERENCES = "preferences"
# Released batches (the published enum of JournalTransactionDto.status): what a release leaves
# depends on the tenant — Posted, or Unposted while "Automatically post on release" is off, or
# Released / Completed / PartiallyReleased on others. None can be released or changed again.
RELEASED = ("Posted", "Unposted", "Released", "Completed", "PartiallyReleased")


def release_status(store: StateStore) -> str:
    """The status a release leaves on this tenant (``POST /_sandbox/gl-preferences``):
    ``release_status`` when set, else ``Posted``/``Unposted`` by ``post_on_release`` (Visma's
    default: on, so ``Posted``)."""
    prefs = store.get(PREFERENCES, "gl") or {}
    if prefs.get("release_status"):
        return str(prefs["release_status"])
    return "Posted" if prefs.get("post_on_release", True) else "Unposted"


# Answers where tenants differ from the published contract (``POST /_sandbox/api-variants``):
# the default is the published answer; a reset returns to it.
VARIANTS = {
    # the listing wrapped as {"metadata", "value": [...]} (published: a bare array)
    "journal_list_wrapped": False,
    # a Location header on the create's 201 (published: ETag only)
    "create_location": False,
}


def variant(store: StateStore, name: str) -> bool:
    return bool((store.get(PREFERENCES, "api") or {}).get(name, VARIANTS[name]))


def _status_matches(status: str, wanted: str) -> bool:
    """The published ``status`` filter: Hold, Balanced, Unposted, Posted, Voided, Scheduled —
    or ``Unreleased`` (on hold or balanced: not yet released)."""
    if wanted == "Unreleased":
        return status in ("Hold", "Balanced")
    return status == wanted


def _get(store: StateStore, number: str) -> dict[str, Any]:
    batch = store.get(NS, number)
    if batch is None:
        raise VismaError(f"Journal transaction {number} was not found.", status=404, code="12404")
    return batch


def _stamp(store: StateStore, batch: dict[str, Any]) -> None:
    batch["timeStamp"] = new_timestamp(store)
    batch["lastModifiedDateTime"] = now_text()


def register_subaccounts(store: StateStore, batch: dict[str, Any], ledger: Ledger) -> None:
    """Create the SUBACCOUNT combinations a batch uses, as the ERP does on first use."""
    for line in batch["lines"]:
        number = ledger.subaccount_number(line["subaccount"])
        if store.has(SUBACCOUNTS, number):
            continue
        segments = ledger.segment_dtos(line["subaccount"])
        store.put(
            SUBACCOUNTS,
            number,
            {
                "subaccountNumber": number,
                "subaccountId": store.next_id("subaccountId"),
                "description": " / ".join(s["segmentValueDescription"] for s in segments),
                "lastModifiedDateTime": now_text(),
                "active": True,
                "segments": segments,
                "timeStamp": new_timestamp(store),
            },
        )


def _page(
    batches: list[dict[str, Any]], page_number: int, page_size: int
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Cut the flattened lines into pages; a batch may span two pages (as documented)."""
    start, stop = (page_number - 1) * page_size, page_number * page_size
    result: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    seen = 0
    for batch in batches:
        count = len(batch["lines"])
        lo, hi = max(start - seen, 0), min(stop - seen, count)
        if lo < hi:
            result.append((batch, batch["lines"][lo:hi]))
        seen += count
        if seen >= stop:
            break
    return result


def journal_router(store: StateStore, config: VismaConfig) -> APIRouter:
    router = APIRouter(prefix="/v2/journaltransaction")

    @router.post("")
    async def create(request: Request) -> Response:
        body = await json_body(request)
        with store.atomic():
            ledger = Ledger.load(store)
            wanted = dto_value(body, "batchNumber")
            if dto_value(body, "overrideNumberSeries") and wanted:
                number = str(wanted)
                if store.has(NS, number):
                    raise VismaError(f"Batch number {number} already exists.", code="12024")
            else:
                number = f"{store.next_id('batchNumber'):06d}"
            batch = new_batch(number)
            apply_header(batch, body, ledger)
            apply_lines(batch, body.get("journalTransactionLines"), ledger, creating=True)
            settle_status(batch, config.max_journal_lines)
            _stamp(store, batch)
            register_subaccounts(store, batch, ledger)
            store.put(NS, number, batch)
        headers = {"ETag": etag(batch)}  # published: 201 + ETag, no Location, no body
        if variant(store, "create_location"):
            headers["Location"] = (
                f"{str(request.base_url).rstrip('/')}/v2/journaltransaction/{number}"
            )
        return Response(status_code=201, headers=headers)

    @router.get("")
    def list_batches(request: Request) -> Response:
        query = request.query_params
        period, since = query.get("periodId"), query.get("lastModifiedDateTime")
        if not period and not since:
            raise VismaError(
                "Either PeriodId or LastModifiedDateTime must be provided.", code="12006"
            )
        since_dt = parse_last_modified(since) if since else None
        page_number, page_size = page_params(request, config.max_page_size)
        selected = []
        for _, batch in store.items(NS):
            if period and batch["financialPeriod"] != period:
                continue
            if since_dt and datetime.fromisoformat(batch["lastModifiedDateTime"]) < since_dt:
                continue
            if query.get("status") and not _status_matches(batch["status"], query["status"]):
                continue
            if query.get("branch") and batch["branch"] != query["branch"]:
                continue
            if query.get("module") and query["module"] != batch["module"]:
                continue
            selected.append(batch)
        ledger = Ledger.load(store)
        page = _page(selected, page_number, page_size)
        # totalCount and pageSize count lines, not batches (published on this endpoint)
        metadata = {
            "totalCount": sum(len(batch["lines"]) for batch in selected),
            "maxPageSize": config.max_page_size,
        }
        rows = [render(batch, ledger, lines) for batch, lines in page]
        if variant(store, "journal_list_wrapped"):
            return JSONResponse({"metadata": metadata, "value": rows})
        # published: an array of JournalTransactionDto, each carrying the page's metadata
        return JSONResponse([{**row, "metadata": metadata} for row in rows])

    @router.get("/{number}")
    def get_one(number: str) -> Response:
        batch = _get(store, number)
        return json_response(render(batch, Ledger.load(store)), etag_value=etag(batch))

    @router.put("/{number}")
    async def update(number: str, request: Request) -> Response:
        body = await json_body(request)
        with store.atomic():
            batch = _get(store, number)
            if not if_match_ok(request, batch):
                return precondition_failed()
            if batch["status"] in RELEASED:
                raise VismaError(
                    f"Batch {number} has been released and cannot be changed.", code="12025"
                )
            given = dto_value(body, "batchNumber")
            if given is not None and str(given) != number:
                raise VismaError(f"batchNumber {given} does not match {number}.", code="12026")
            ledger = Ledger.load(store)
            apply_header(batch, body, ledger)
            apply_lines(batch, body.get("journalTransactionLines"), ledger, creating=False)
            settle_status(batch, config.max_journal_lines)
            _stamp(store, batch)
            register_subaccounts(store, batch, ledger)
            store.put(NS, number, batch)
        return Response(status_code=204, headers={"ETag": etag(batch)})

    @router.post("/{number}/action/release")
    def release(number: str, request: Request) -> Response:
        with store.atomic():
            batch = _get(store, number)
            if not if_match_ok(request, batch):
                return precondition_failed()
            if batch["status"] == "Hold":
                raise VismaError(f"Batch {number} is on hold and cannot be released.", code="12027")
            if batch["status"] in RELEASED:
                raise VismaError(f"Batch {number} has already been released.", code="12028")
            Ledger.load(store).open_period(batch["financialPeriod"])
            debit, credit = totals(batch)
            if debit != credit:
                raise VismaError(f"Batch {number} is out of balance.", code="12023")
            batch["status"] = release_status(store)
            _stamp(store, batch)
            store.put(NS, number, batch)
        body = {"actionId": str(uuid.uuid4()), "actionResult": "Done", "errorInfo": None}
        return JSONResponse(body, headers={"ETag": etag(batch)})

    return router
