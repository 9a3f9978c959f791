"""Org-level configuration: read always; write (POST/PUT) only behind the sandbox switch.

``GET /configuration/v1/org-levels`` is served as published
(``ViewOrCreateOrganizationLevels_getAllOrgLevels``): **no paging** — one bare array of every
org level — and only the published filters ``levelDescription``, ``code``, ``budgetGroup``,
``reportingCategory``, ``isActive``. Anything else (``page``, ``per_page``, a ``level`` filter)
is an unknown parameter and ignored, as the real service ignores it.

UKG is read-only for this project except the cost-centre alignment, which may create org levels
when explicitly enabled. The switch ``org_level_writes`` stands for the API user's permission:
off → 403. Every write attempt, allowed or not, is in the call log and in
``GET /_sandbox/state``'s ``orgLevelWrites``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from sandbox.ukg.errors import UkgError, bad_request, json_response
from sandbox.ukg.state import UkgState, utc_stamp

# The published org-level body (``org-levels`` / ``org_levels_body_inner``); the budget figures
# are accepted and not kept (nothing of ours reads them).
_FIELDS = {
    "level",
    "code",
    "description",
    "glSegment",
    "isActive",
    "levelDescription",
    "budgetGroup",
    "reportingCategory",
    "currentYearBudgetFTE",
    "currentYearBudgetSalary",
    "lastYearBudgetFTE",
    "lastYearBudgetSalary",
}
_KEPT = ("budgetGroup", "reportingCategory")
# What each level is (``levelDescription``, "cannot be updated"): the scenario's structure
# (docs/contracts.md §1).
LEVEL_DESCRIPTIONS = {1: "Plant", 2: "Department", 3: "Cost Centre", 4: "Org Level 4"}
_TEXT_FILTERS = ("levelDescription", "code", "budgetGroup", "reportingCategory")


def published_org_level(record: dict[str, Any]) -> dict[str, Any]:
    """One stored org level in the published ``org-levels`` shape."""
    return {**record, "levelDescription": LEVEL_DESCRIPTIONS.get(record["level"], "")}


def _is_active(raw: str | None) -> bool | None:
    if raw is None or raw == "":
        return None
    text = raw.strip().lower()
    if text not in ("true", "false"):
        raise bad_request("isActive", f"'{raw}' is not a boolean")
    return text == "true"


def _validated(item: Any, *, partial: bool = False) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise bad_request("body", "an org level is a JSON object")
    unknown = set(item) - _FIELDS
    if unknown:
        raise bad_request("body", f"unknown fields {sorted(unknown)}")
    if not partial:  # the published org-levels schema requires all three
        for field in ("level", "code", "description"):
            if item.get(field) in (None, ""):
                raise bad_request(field, f"{field} is required")
    if "description" in item and (
        not isinstance(item["description"], str) or len(item["description"]) > 25
    ):
        raise bad_request("description", "description must be a string of at most 25 characters")
    if "level" in item and (not isinstance(item["level"], int) or not 1 <= item["level"] <= 4):
        raise bad_request("level", "level must be 1, 2, 3 or 4")
    if "code" in item and (not isinstance(item["code"], str) or len(item["code"]) > 10):
        raise bad_request("code", "code must be a string of at most 10 characters")
    return item


def _refused(n: int, status: str, field: str, message: str) -> dict[str, Any]:
    """One refused item of a 207 answer: its ``modelstate`` names the field and why."""
    return {
        "sequenceId": n,
        "status": status,
        "modelstate": {field: [{"message": message, "type": "Validation"}]},
    }


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except json.JSONDecodeError:
        raise bad_request("body", "the body is not valid JSON") from None


def configuration_router(state: UkgState) -> APIRouter:
    router = APIRouter()

    def guard(request: Request, level: Any, code: Any) -> None:
        allowed = bool(state.switches().get("org_level_writes"))
        state.log_org_write(
            {
                "method": request.method,
                "level": level,
                "code": code,
                "allowed": allowed,
                "time": utc_stamp(),
            }
        )
        if not allowed:
            raise UkgError(
                403,
                "The API user has no permission to change org-level configuration "
                "(sandbox switch org_level_writes is off).",
            )

    @router.get("/configuration/v1/org-levels")
    def org_levels(request: Request) -> Response:
        """Every org level matching the published filters, in one array (no paging, no
        ``Link``)."""
        query = request.query_params
        active = _is_active(query.get("isActive"))
        levels = [published_org_level(o) for o in state.org_levels()]
        for name in _TEXT_FILTERS:
            if query.get(name):
                levels = [o for o in levels if str(o.get(name) or "") == query[name]]
        if active is not None:
            levels = [o for o in levels if o["isActive"] is active]
        return json_response(levels)

    @router.post("/configuration/v1/org-levels")
    async def create_org_levels(request: Request) -> Response:
        """Published: the body is an *array* of org levels; the answer is 207 Multi-Status with
        one result per item (``sequenceId`` 1-based), so one bad item does not stop the rest."""
        body = await _json(request)
        if not isinstance(body, list) or not body:
            raise bad_request("body", "the body must be a non-empty array of org levels")
        first = body[0] if isinstance(body[0], dict) else {}
        guard(request, first.get("level", "*"), first.get("code", "*") if len(body) == 1 else "*")
        results = []
        for n, item in enumerate(body, start=1):
            try:
                item = _validated(item)
            except UkgError as exc:
                field, message = str(exc).split(": ", 1) if ": " in str(exc) else ("body", str(exc))
                results.append(_refused(n, "400", field, message))
                continue
            if state.org_level(item["level"], item["code"]) is not None:
                text = f"Org level {item['level']} code {item['code']} exists."
                results.append(_refused(n, "409", "code", text))
                continue
            record = {
                "level": item["level"],
                "code": item["code"],
                "description": item["description"],
                "glSegment": item.get("glSegment", item["code"]),
                "isActive": bool(item.get("isActive", True)),
                **{k: item[k] for k in _KEPT if item.get(k) is not None},
            }
            state.put_org_level(record)
            body = published_org_level(record)
            results.append({"sequenceId": n, "status": "201", "modelstate": {}, "body": body})
        errors = sum(1 for r in results if r["status"] != "201")
        answer = {
            "title": "Multi-Status",
            "type": "about:blank",
            "detail": f"{len(results) - errors} created, {errors} refused",
            "success_count": len(results) - errors,
            "error_count": errors,
            "errorCount": errors,
            "multistatus": results,
            "errors": [],
        }
        return json_response(answer, 207)

    @router.put("/configuration/v1/org-levels/{level}/{code}")
    async def update_org_level(level: int, code: str, request: Request) -> Response:
        """Published: the body is a whole org level — ``description``, ``code`` and ``level``
        required (400 without them); level and code must be the path's (they cannot change)."""
        guard(request, level, code)
        body = _validated(await _json(request))
        current = state.org_level(level, code)
        if current is None:
            raise UkgError(404, f"Org level {level} code {code} does not exist.")
        if body["level"] != level or body["code"] != code:
            raise bad_request("code", "level and code cannot be changed")
        kept = ("description", "glSegment", *_KEPT)
        current.update({k: v for k, v in body.items() if k in kept})
        if "isActive" in body:
            current["isActive"] = bool(body["isActive"])
        state.put_org_level(current)
        return json_response(published_org_level(current))

    return router
