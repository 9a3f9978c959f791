"""Reference data: ``/v1/account``, ``/v1/dimension[...]`` (GET + PUT of segment values with
If-Match), ``/v1/subaccount``, ``/v1/department``, ``/v1/project``, ``/v1/financialPeriod``.

Why segment values are one record per segment: the real API versions the whole segment (one ETag
for ``GET /v1/dimension/SUBACCOUNT/2``), and a PUT carries a batch of value operations that
succeed or fail together.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandbox.common import StateStore
from sandbox.visma.errors import VismaError
from sandbox.visma.util import (
    dto_value,
    etag,
    if_match_ok,
    json_body,
    json_response,
    modified_after,
    new_timestamp,
    now_text,
    parse_last_modified,
    precondition_failed,
)


def _not_found(what: str) -> VismaError:
    return VismaError(f"{what} was not found.", status=404, code="12404")


def _filter_modified(
    request: Request, records: list[dict[str, Any]], field: str = "lastModifiedDateTime"
) -> list[dict[str, Any]]:
    since = request.query_params.get("lastModifiedDateTime")
    if not since:
        return records
    condition = request.query_params.get("lastModifiedDateTimeCondition", ">=")
    if condition not in (">", ">=", "<", "<="):
        raise VismaError(f"Invalid lastModifiedDateTimeCondition '{condition}'.", code="12002")
    moment = parse_last_modified(since)
    return [r for r in records if modified_after(r, moment, field, condition)]


def _with_metadata(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """v1 lists carry ``metadata`` on every item (MetadataDto of the OpenAPI document)."""
    meta = {"totalCount": len(records), "maxPageSize": max(len(records), 1)}
    return [{**record, "metadata": meta} for record in records]


def segment_dto(seg: dict[str, Any], with_values: bool = True) -> dict[str, Any]:
    body = {k: v for k, v in seg.items() if k != "values"}
    if with_values:
        body["segmentValues"] = list(seg["values"].values())
    return body


def _segment_key(dimension: str, segment_id: int) -> str:
    return f"{dimension}:{segment_id}"


def _apply_value_operation(
    store: StateStore, seg: dict[str, Any], item: dict[str, Any], stamp: str, now: str
) -> str | None:
    """Apply one Insert/Update/Delete to a segment; return a problem text or None."""
    operation = str(item.get("operation") or "Insert").capitalize()
    value = str(item.get("value") or "")
    values = seg["values"]
    if not value:
        return "Segment value is required."
    if len(value) > seg["length"]:
        return f"Value '{value}' is longer than the segment length {seg['length']}."
    description = dto_value(item, "description")
    active = dto_value(item, "active")
    if operation == "Insert":
        if value in values:
            return f"Value '{value}' already exists in segment {seg['segmentId']}."
        values[value] = {
            "internalId": str(store.next_id("segmentValueId")),
            "segmentId": seg["segmentId"],
            "valueId": value,
            "description": "" if description is None else str(description),
            "publicId": None,
            "active": True if active is None else bool(active),
            "timeStamp": stamp,
            "lastModified": now,
            "mappedSegValue": None,
        }
    elif operation == "Update":
        if value not in values:
            return f"Value '{value}' does not exist in segment {seg['segmentId']}."
        record = values[value]
        if description is not None:
            record["description"] = str(description)
        if active is not None:
            record["active"] = bool(active)
        record["timeStamp"], record["lastModified"] = stamp, now
    elif operation == "Delete":
        if value not in values:
            return f"Value '{value}' does not exist in segment {seg['segmentId']}."
        if any(
            any(
                s["segmentId"] == seg["segmentId"] and s["segmentValue"] == value
                for s in line["subaccount"]
            )
            for batch in store.values("journals")
            for line in batch["lines"]
        ):
            return f"Value '{value}' is used in journal transactions and cannot be deleted."
        del values[value]
    else:
        return f"Unknown operation '{item.get('operation')}'."
    return None


def reference_router(store: StateStore) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/account")
    def accounts(request: Request) -> Response:
        records = store.values("accounts")
        active = request.query_params.get("active")
        if active is not None:
            wanted = active.lower() == "true"
            records = [r for r in records if bool(r.get("active")) == wanted]
        return json_response(_with_metadata(_filter_modified(request, records)))

    @router.get("/account/{account_cd}")
    def account(account_cd: str) -> Response:
        record = store.get("accounts", account_cd)
        if record is None:
            raise _not_found(f"Account {account_cd}")
        return json_response(record, etag_value=etag(record))

    @router.get("/dimension")
    def dimensions() -> Response:
        return json_response(store.keys("dimensions"))

    @router.get("/dimension/{dimension}")
    def dimension(dimension: str, request: Request) -> Response:
        record = store.get("dimensions", dimension)
        if record is None:
            raise _not_found(f"Dimension {dimension}")
        expand = request.query_params.get("expandSegmentsValues", "true").lower() != "false"
        segments = [
            segment_dto(store.get("segments", _segment_key(dimension, seg_id)), expand)
            for seg_id in record["segmentIds"]
        ]
        body = {k: v for k, v in record.items() if k != "segmentIds"}
        return json_response({**body, "segments": segments})

    @router.get("/dimension/{dimension}/{segment_id}")
    def segment(dimension: str, segment_id: int) -> Response:
        seg = store.get("segments", _segment_key(dimension, segment_id))
        if seg is None:
            raise _not_found(f"Segment {segment_id} of dimension {dimension}")
        return json_response(segment_dto(seg), etag_value=etag(seg))

    @router.get("/dimension/{dimension}/{segment_id}/{value_id}")
    def segment_value(dimension: str, segment_id: int, value_id: str) -> Response:
        seg = store.get("segments", _segment_key(dimension, segment_id))
        if seg is None or value_id not in seg["values"]:
            raise _not_found(f"Value {value_id} of segment {segment_id} in {dimension}")
        record = seg["values"][value_id]
        return json_response(record, etag_value=etag(record))

    @router.put("/dimension/{dimension}/{segment_id}")
    async def update_segment(dimension: str, segment_id: int, request: Request) -> Response:
        body = await json_body(request)
        items = body.get("segmentValues") or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise VismaError("segmentValues must be a list of objects.", code="12030")
        key = _segment_key(dimension, segment_id)
        with store.atomic():
            seg = store.get("segments", key)
            if seg is None:
                raise _not_found(f"Segment {segment_id} of dimension {dimension}")
            if not if_match_ok(request, seg):
                return precondition_failed()
            stamp, now = new_timestamp(store), now_text()
            problems = [
                problem
                for item in items
                if (problem := _apply_value_operation(store, seg, item, stamp, now))
            ]
            if problems:
                raise VismaError("; ".join(problems), code="12031")
            if "description" in body:
                seg["description"] = str(dto_value(body, "description") or seg["description"])
            seg["timeStamp"], seg["lastModified"] = stamp, now
            store.put("segments", key, seg)
        return Response(status_code=204, headers={"ETag": etag(seg)})

    @router.get("/subaccount")
    def subaccounts(request: Request) -> Response:
        return json_response(_with_metadata(_filter_modified(request, store.values("subaccounts"))))

    @router.get("/subaccount/{number}")
    def subaccount(number: str) -> Response:
        record = store.get("subaccounts", number)
        if record is None:
            raise _not_found(f"Subaccount {number}")
        return json_response(record, etag_value=etag(record))

    @router.get("/department")
    def departments(request: Request) -> Response:
        return json_response(_filter_modified(request, store.values("departments")))

    @router.get("/department/{department_id}")
    def department(department_id: str) -> Response:
        record = store.get("departments", department_id)
        if record is None:
            raise _not_found(f"Department {department_id}")
        return json_response(record, etag_value=etag(record))

    @router.post("/department")
    async def create_department(request: Request) -> Response:
        body = await json_body(request)
        department_id = str(dto_value(body, "departmentId") or "").strip()
        if not department_id or len(department_id) > 10:
            raise VismaError("departmentId is required (at most 10 characters).", code="12040")
        with store.atomic():
            if store.has("departments", department_id):
                raise VismaError(f"Department '{department_id}' already exists.", code="12042")
            record = {
                "departmentId": department_id,
                "publicId": None,
                "description": dto_value(body, "description", ""),
                "expenseAccount": dto_value(body, "expenseAccount"),
                "expenseSubaccount": body.get("expenseSubaccount"),
                "lastModifiedDateTime": now_text(),
                "timeStamp": new_timestamp(store),
            }
            store.put("departments", department_id, record)
        # published: 201 + ETag; no Location (the caller knows the id it sent)
        return json_response({}, status_code=201, etag_value=etag(record))

    @router.put("/department/{department_id}")
    async def update_department(department_id: str, request: Request) -> Response:
        body = await json_body(request)
        with store.atomic():
            record = store.get("departments", department_id)
            if record is None:
                raise _not_found(f"Department {department_id}")
            if not if_match_ok(request, record):
                return precondition_failed()
            for field in ("description", "expenseAccount"):
                if field in body:
                    record[field] = dto_value(body, field)
            if "expenseSubaccount" in body:
                record["expenseSubaccount"] = body["expenseSubaccount"]
            record["lastModifiedDateTime"] = now_text()
            record["timeStamp"] = new_timestamp(store)
            store.put("departments", department_id, record)
        return Response(status_code=204, headers={"ETag": etag(record)})

    @router.get("/project")
    def projects(request: Request) -> Response:
        return json_response(_with_metadata(_filter_modified(request, store.values("projects"))))

    @router.get("/project/{project_id}")
    def project(project_id: str) -> Response:
        record = store.get("projects", project_id)
        if record is None:
            raise _not_found(f"Project {project_id}")
        return json_response(record, etag_value=etag(record))

    @router.get("/financialPeriod")
    def periods() -> Response:
        return json_response(store.values("periods"))

    @router.get("/financialPeriod/{period_id}")
    def period(period_id: str) -> Response:
        record = store.get("periods", period_id)
        if record is None:
            raise _not_found(f"Financial period {period_id}")
        return json_response(record)

    return router
