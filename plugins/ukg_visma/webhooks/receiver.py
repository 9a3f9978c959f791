"""The UKG webhook receiver: authenticate, deduplicate into the inbox, answer 202 — nothing more.

Airflow serves plugin FastAPI apps without any authentication, so this app trusts nothing that
reaches it. Every request is checked in this order, cheapest and least trusting first:

1. size: ``Content-Length`` over the limit → 413 before reading; the bytes actually read are
   capped too (chunked bodies have no length);
2. headers: ``X-UKG-Timestamp`` (Unix seconds) and ``X-UKG-Signature: sha256=<hex>`` present;
3. signature: HMAC-SHA256 of ``"{timestamp}." + body`` with the shared secret, compared in
   constant time → 401;
4. freshness: the signed timestamp within ``tolerance_s`` of now → 401 (replays of old requests);
5. media type: ``Content-Type: application/json`` → 415 otherwise (judged after authentication,
   so an unauthenticated sender learns nothing about what would be accepted);
6. schema: the strict ``WebhookEvent`` model → 400 (malformed JSON or wrong shape).

Rejections are **counted, not stored one by one**: one ``webhook_rejections`` row per source
address per minute with a count (``audit.inbox.record_rejection``). A source refused
``rejections_per_minute`` times in the current minute is answered 429 with ``Retry-After`` before
anything else is done (no body read, no HMAC, no database write) until the minute ends; the
refusals it sends meanwhile are tallied in memory and added to its row with the next write.
Sources that are not refused are never limited, so UKG's own bursts (mass updates) pass.

Only then is the event written to the inbox (``INSERT … ON CONFLICT DO NOTHING`` on ``EventId``)
and answered 202 — also for a duplicate, because UKG delivers at least once and would otherwise
retry forever. Rejections are recorded (status, reason, body hash and size; never the body or the
secret), aggregated as above, and nothing is enqueued. The JSON is parsed only after the
signature matched, so an unauthenticated sender cannot make the receiver do more than hash its
bytes.

The secret and the audit engine come from callables evaluated at request time, so that importing
the plugin (which every Airflow component does) reads no secret and opens no database.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
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


def _media_type(request: Request) -> None:
    value = request.headers.get("content-type", "")
    if value.split(";", 1)[0].strip().lower() != "application/json":
        raise _Rejected(415, "Content-Type must be application/json")


class _RejectionLimiter:
    """Refusals per source in the current minute, in memory (one receiver process).

    ``blocked`` says how long a source that reached the limit must wait; ``unwritten`` holds
    the refusals answered 429 without a database write, per source and minute, added to that
    minute's row with the next write (of any source).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}
        self.unwritten: dict[tuple[str, int], int] = {}

    def _minute(self) -> int:
        return int(self.clock() // 60)

    def blocked(self, source: str) -> float | None:
        now = self.clock()
        minute = int(now // 60)
        with self._lock:
            if self._counts.get((source, minute), 0) < self.per_minute:
                return None
            self._counts[(source, minute)] += 1
            self.unwritten[(source, minute)] = self.unwritten.get((source, minute), 0) + 1
            return 60 - (now % 60)

    def count(self, source: str) -> int:
        minute = self._minute()
        with self._lock:
            for key in [k for k in self._counts if k[1] < minute]:
                del self._counts[key]
            self._counts[(source, minute)] = self._counts.get((source, minute), 0) + 1
            return self._counts[(source, minute)]

    def take_unwritten(self) -> dict[tuple[str, int], int]:
        with self._lock:
            taken, self.unwritten = self.unwritten, {}
            return taken


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
    rejections_per_minute: int = 20,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The receiver app; mount it anywhere (Airflow mounts it under ``/ukg-visma``)."""
    app = FastAPI(
        title="UKG webhook receiver",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    limiter = _RejectionLimiter(rejections_per_minute, clock)

    def _record(
        status: int, reason: str, body: bytes | None, size: int | None, remote: str | None
    ) -> None:
        extra = limiter.take_unwritten()
        try:
            engine = engine_provider()
            at = dt.datetime.fromtimestamp(clock(), dt.UTC)
            for (source, minute), times in extra.items():  # answered 429 without a write
                when = dt.datetime.fromtimestamp(minute * 60, dt.UTC)
                record_rejection(engine, 429, "rate limited", remote=source, at=when, times=times)
            record_rejection(
                engine, status, reason, body=body, body_size=size, remote=remote, at=at
            )
        except Exception:  # the answer to the sender must not depend on the audit write
            log.exception("could not record a webhook rejection (%s %s)", status, reason)

    async def _reject(
        err: _Rejected, body: bytes | None, size: int | None, remote: str | None
    ) -> JSONResponse:
        seen = limiter.count(remote or "")
        if seen == 1:  # one log line per source per minute, like the audit row
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
        wait = limiter.blocked(remote or "")
        if wait is not None:
            return JSONResponse(
                {"detail": "too many rejected requests; slow down"},
                status_code=429,
                headers={"Retry-After": str(max(1, int(wait + 0.999)))},
            )
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
            _media_type(request)
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
