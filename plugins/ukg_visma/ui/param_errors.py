"""Root middleware: a trigger refused for a bad param says so in one sentence.

Airflow 3.3 validates a trigger's conf against the DAG's param schemas and answers 400 with
``str(jsonschema.ValidationError)``: the offending value, the regular expression, then
"Failed validating 'pattern' in schema:" and the whole schema dumped — which the trigger dialog
shows as is. For this package's DAGs (``ukg_visma_*``) the answer's ``detail`` becomes one sentence
naming the param, the value and what is expected, e.g. "period '2026-13' is not valid: give a pay
month as YYYY-MM, e.g. 2026-10." Nothing else is touched: other routes, other DAGs, other
statuses and bodies pass through byte for byte (the request body is never read).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# POST /api/v2/dags/{dag_id}/dagRuns (trigger) and POST /api/v2/backfills (the backfill dialog)
_ROUTES = re.compile(r"/api/v2/(dags/ukg_visma_[A-Za-z0-9_]+/dagRuns|backfills(/dry_run)?)$")
_DETAIL = re.compile(r"^Invalid input for param (?P<name>[A-Za-z0-9_]+): (?P<first>[^\n]*)")
_VALUE = re.compile(r"^(?P<value>'[^']*'|None|-?\d[\d.]*|\[.*?\]|true|false)\s")

# What each of our DAGs' params expects, as a person reads it.
EXPECTED = {
    "period": "give a pay month as YYYY-MM, e.g. 2026-10",
    "posting_date": "give a date as YYYY-MM-DD, e.g. 2026-10-25",
    "window_start": "give a date or a UTC date-time, e.g. 2026-11-01 or 2026-11-01T06:00:00Z",
    "reverse_batches": "give Visma batch numbers (letters, digits, _ . -), e.g. 000123",
    "reason": "give at most 120 characters",
    "run_id": "give UKG GL run ids, comma-separated, e.g. NMF-202610-C1",
    "pay_group": "give one UKG pay group code, e.g. NO-M",
}


def one_sentence(detail: str) -> str | None:
    """The refusal in one sentence, or None when ``detail`` is not a param refusal (pure)."""
    match = _DETAIL.match(detail or "")
    if not match:
        return None
    name, first = match["name"], match["first"].strip()
    value = _VALUE.match(first + " ")
    shown = f" {value['value']}" if value else ""
    expected = EXPECTED.get(name)
    if expected is None:
        return f"The trigger was refused: param {name}{shown} is not valid ({first})."
    return f"The trigger was refused: {name}{shown} is not valid — {expected}."


class ParamErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope.get("type") != "http"
            or scope.get("method") != "POST"
            or not _ROUTES.search(str(scope.get("path", "")))
        ):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message.get("status") != 400:
                    await send(message)
                    return
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            await send(_rewritten(start, body))
            await send({"type": "http.response.body", "body": _body(body), "more_body": False})

        await self.app(scope, receive, capture)


def _body(body: bytes) -> bytes:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    if not isinstance(parsed, dict) or not isinstance(parsed.get("detail"), str):
        return body
    sentence = one_sentence(parsed["detail"])
    if sentence is None:
        return body
    return json.dumps({**parsed, "detail": sentence}).encode()


def _rewritten(start: Message, body: bytes) -> Message:
    length = str(len(_body(body))).encode()
    headers = [(k, length if k.lower() == b"content-length" else v)
               for k, v in start.get("headers", [])]  # fmt: skip
    return {**start, "headers": headers}


PARAM_ERROR_MIDDLEWARE: dict[str, Any] = {
    "middleware": ParamErrorMiddleware,
    "args": [],
    "kwargs": {},
    "name": "ukg_visma: a refused trigger param in one sentence",
}
