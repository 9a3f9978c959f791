"""Small helpers shared by the Visma routes: DTO value wrappers, times, ETags, JSON bodies.

Why hand-rolled JSON parsing: amounts must reach the validation as exact ``Decimal``s, so the
request body is parsed with ``parse_float=Decimal`` rather than by pydantic/FastAPI into floats.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from sandbox.common import StateStore
from sandbox.visma.errors import VismaError

CENT = Decimal("0.01")
_LAST_MODIFIED_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
)


def now_text() -> str:
    """Visma's timestamp style: ISO 8601 with milliseconds and no zone (UTC here)."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def parse_last_modified(text: str) -> datetime:
    """The formats the real ``lastModifiedDateTime`` query parameter accepts."""
    for fmt in _LAST_MODIFIED_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise VismaError(f"Invalid lastModifiedDateTime '{text}'.", code="12002")


def modified_after(record: dict[str, Any], since: datetime, field: str, condition: str) -> bool:
    stamp = datetime.fromisoformat(record[field])
    return {
        ">": stamp > since,
        ">=": stamp >= since,
        "<": stamp < since,
        "<=": stamp <= since,
    }[condition]


def new_timestamp(store: StateStore) -> str:
    """A fresh row version, encoded like SQL Server's rowversion that Visma exposes as timeStamp."""
    return base64.b64encode(store.next_id("rowversion").to_bytes(8, "big")).decode("ascii")


def etag(record: dict[str, Any]) -> str:
    return f'"{record["timeStamp"]}"'


def if_match_ok(request: Request, record: dict[str, Any]) -> bool:
    """True when there is no If-Match (last writer wins) or it names the current version."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return True
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
    return record["timeStamp"] in tags


def precondition_failed() -> Response:
    """412 with an empty body, as the real service answers a stale If-Match."""
    return Response(status_code=412)


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}", parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise VismaError("The request body is not valid JSON.", code="12001") from None
    if not isinstance(body, dict):
        raise VismaError("The request body must be a JSON object.", code="12001")
    return body


def dto_value(body: dict[str, Any], field: str, default: Any = None) -> Any:
    """Unwrap a ``{"value": x}`` field; a bare scalar is accepted too (the API tolerates it)."""
    if field not in body or body[field] is None:
        return default
    item = body[field]
    if isinstance(item, dict):
        return item.get("value", default)
    return item


def amount(value: Any, field: str) -> Decimal:
    """An amount rounded to the øre (NOK has two decimals)."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, bool):
        raise VismaError(f"{field} must be a number.", code="12003")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise VismaError(f"{field} '{value}' is not a number.", code="12003") from None
    if not number.is_finite():
        raise VismaError(f"{field} must be a finite number.", code="12003")
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: str | Decimal) -> float | int:
    """An amount for JSON output: exact for any payroll-sized value (≤ 15 significant digits)."""
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def parse_date(value: Any, field: str) -> date:
    if not isinstance(value, str) or not value:
        raise VismaError(f"{field} is required.", code="12004")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        raise VismaError(f"{field} '{value}' is not a valid date.", code="12004") from None


def page_params(request: Request, max_page_size: int) -> tuple[int, int]:
    """``pageNumber`` (1-based) and ``pageSize`` (capped at the max page size, as documented)."""
    try:
        number = int(request.query_params.get("pageNumber", "1"))
        size = int(request.query_params.get("pageSize", str(max_page_size)))
    except ValueError:
        raise VismaError("pageNumber and pageSize must be integers.", code="12005") from None
    if number < 1 or size < 1:
        raise VismaError("pageNumber and pageSize must be positive.", code="12005")
    return number, min(size, max_page_size)


def json_response(content: Any, status_code: int = 200, etag_value: str | None = None) -> Response:
    headers = {"ETag": etag_value} if etag_value else None
    return JSONResponse(content, status_code=status_code, headers=headers)
