"""The UKG webhook receiver: authenticate, deduplicate into the inbox, answer 202 — nothing more.

Airflow serves plugin FastAPI apps without any authentication, so this app trusts nothing that
reaches it. Every request is checked in this order, cheapest and least trusting first:

1. size: ``Content-Length`` over the limit → 413 before reading; the bytes actually read are
   capped too (chunked bodies have no length);
2. headers: ``X-UKG-Timestamp`` (Unix seconds) and ``X-UKG-Signature: sha256=<hex>`` present;
3. signature: HMAC-SHA256 of ``"{timestamp}." + body`` with the shared secret, compared in
   constant time → 401;
4. freshness: the signed timestamp within ``tolerance_s`` of now → 401 (replays of old requests);
5. schema: the strict ``WebhookEvent`` model → 400 (malformed JSON or wrong shape).

Only then is the event written to the inbox (``INSERT … ON CONFLICT DO NOTHING`` on ``EventId``)
and answered 202 — also for a duplicate, because UKG delivers at least once and would otherwise
retry forever. Rejections are recorded (status, reason, body hash and size; never the body or the
secret) and nothing is enqueued. The JSON is parsed only after the signature matched, so an
unauthenticated sender cannot make the receiver do more than hash its bytes.

The secret and the audit engine come from callables evaluated at request time, so that importing
the plugin (which every Airflow component does) reads no secret and opens no database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ukg_visma.audit.inbox import put_event, record_rejection
from ukg_visma.employees.models import WebhookEvent
from ukg_visma.errors import NotRetryable
from ukg_visma.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

log = logging.getLogger(__name__)

PATH = "/webhooks/ukg"
SecretProvider = Callable[[], str | bytes | None]
EngineProvider = Callable[[], Engine]
_MAX_TIMESTAMP_DIGITS = 12


class _Rejected(NotRetryable, Exception):
    """A request refused with a status and a short, body-free reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def _read_capped(request: Request, max_body: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise _Rejected(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _declared_length(request: Request, max_body: int) -> None:
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.isdigit() or len(declared) > 12:
        raise _Rejected(400, "bad Content-Length")
    if int(declared) > max_body:
        raise _Rejected(413, "body too large")


def _timestamp(request: Request) -> str:
    value = request.headers.get(TIMESTAMP_HEADER)
    if value is None:
        raise _Rejected(401, "missing timestamp")
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > _MAX_TIMESTAMP_DIGITS:
        raise _Rejected(401, "bad timestamp")
    return value


def _schema_reason(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    if any(e["type"] in ("json_invalid", "json_type") for e in errors):
        return "malformed JSON"
    first = errors[0] if errors else {"loc": (), "msg": "invalid"}
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"schema: {where}: {first['msg']}"[:200]


def create_app(
    secret_provider: SecretProvider,
    engine_provider: EngineProvider,
    *,
    tolerance_s: int = 300,
    max_body: int = 64 * 1024,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The receiver app; mount it anywhere (Airflow mounts it under ``/ukg-visma``)."""
    app = FastAPI(
        title="UKG webhook receiver",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    def _record(status: int, reason: str, body: bytes | None, size: int | None, remote: str | None):
        try:
            record_rejection(
                engine_provider(), status, reason, body=body, body_size=size, remote=remote
            )
        except Exception:  # the answer to the sender must not depend on the audit write
            log.exception("could not record a webhook rejection (%s %s)", status, reason)

    async def _reject(
        err: _Rejected, body: bytes | None, size: int | None, remote: str | None
    ) -> JSONResponse:
        log.warning("webhook rejected: %s %s (remote %s)", err.status, err.reason, remote)
        await run_in_threadpool(_record, err.status, err.reason, body, size, remote)
        return JSONResponse({"detail": err.reason}, status_code=err.status)

    def _secret() -> bytes | str:
        try:
            secret = secret_provider()
        except Exception as exc:
            log.error("webhook secret lookup failed: %s", type(exc).__name__)
            raise _Rejected(503, "secret unavailable") from None
        if not secret:
            raise _Rejected(503, "secret not configured")
        return secret

    def _enqueue(event: WebhookEvent) -> bool:
        try:
            return put_event(engine_provider(), event)
        except Exception as exc:
            log.error("webhook inbox write failed: %s", type(exc).__name__)
            raise _Rejected(503, "inbox unavailable") from None

    @app.post(PATH, status_code=202)
    async def receive_ukg_event(request: Request) -> JSONResponse:
        remote = request.client.host if request.client else None
        body: bytes | None = None
        declared = request.headers.get("content-length")
        size = int(declared) if declared and declared.isdigit() and len(declared) <= 12 else None
        try:
            _declared_length(request, max_body)
            body = await _read_capped(request, max_body)
            size = len(body)
            signature = request.headers.get(SIGNATURE_HEADER)
            if not signature:
                raise _Rejected(401, "missing signature")
            timestamp = _timestamp(request)
            secret = await run_in_threadpool(_secret)
            if not verify(secret, timestamp, body, signature):
                raise _Rejected(401, "bad signature")
            if abs(clock() - int(timestamp)) > tolerance_s:
                raise _Rejected(401, "stale timestamp")
            try:
                event = WebhookEvent.model_validate_json(body)
            except ValidationError as exc:
                raise _Rejected(400, _schema_reason(exc)) from None
            created = await run_in_threadpool(_enqueue, event)
        except _Rejected as err:
            if err.status == 503 and err.reason == "inbox unavailable":
                # The store is down: recording would fail the same way; the sender retries.
                return JSONResponse({"detail": err.reason}, status_code=503)
            return await _reject(err, body, size, remote)
        return JSONResponse(
            {"status": "accepted" if created else "duplicate", "eventId": event.EventId},
            status_code=202,
        )

    return app
