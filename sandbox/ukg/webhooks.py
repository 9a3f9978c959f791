"""The webhook emitter: thin, signed events, delivered at least once — or lost, on purpose.

Signing (documented in sandbox/README.md): ``X-UKG-Timestamp: <unix seconds>`` and
``X-UKG-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.".encode() + raw_body)>``.
The timestamp is inside what is signed, so a receiver can refuse replays of old deliveries.

Losses, duplicates and reordering are drawn from ``Random(f"{seed}:webhooks:{batch}")``: the same
scenario seed and the same sequence of admin calls give the same fate to every event, so a test
that drops events is reproducible. Reordering shuffles the events of one batch (one admin call).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sandbox.common import StateStore
from sandbox.ukg.state import utc_stamp

SIGNATURE_HEADER = "X-UKG-Signature"
TIMESTAMP_HEADER = "X-UKG-Timestamp"
_NS = "webhook"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-UKG-Signature`` value for one delivery."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class WebhookConfig(BaseModel):
    """Body of ``POST /_sandbox/webhooks``."""

    model_config = ConfigDict(extra="forbid")

    url: str
    secret: str = Field(min_length=1)
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    shuffle: bool = False
    max_attempts: int = Field(default=5, ge=1, le=20)
    retry_delay_ms: int = Field(default=200, ge=0, le=60_000)
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("url must be http(s)")
        return value


@dataclass
class _Batch:
    generation: int
    plan: list[tuple[dict[str, Any], bool]]
    config: WebhookConfig | None
    done: threading.Event = field(default_factory=threading.Event)


class WebhookEmitter:
    """Queues batches of events and delivers them from one worker thread, in plan order."""

    def __init__(self, store: StateStore, seed: Callable[[], int], tenant: str) -> None:
        self._store = store
        self._seed = seed
        self._tenant = tenant
        self._queue: queue.Queue[_Batch] = queue.Queue()
        self._lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._generation = 0
        self._worker: threading.Thread | None = None

    # ---- configuration -------------------------------------------------------------------
    def configure(self, config: WebhookConfig) -> dict[str, Any]:
        self._store.put(_NS, "config", config.model_dump())
        return self.describe()

    def config(self) -> WebhookConfig | None:
        raw = self._store.get(_NS, "config")
        return None if raw is None else WebhookConfig.model_validate(raw)

    def describe(self) -> dict[str, Any]:
        """The subscription without its secret."""
        config = self.config()
        if config is None:
            return {"configured": False}
        return {"configured": True, **config.model_dump(exclude={"secret"})}

    def remove(self) -> None:
        self._store.delete(_NS, "config")

    def reset(self) -> None:
        """Forget the subscription and the delivery log; batches in flight are abandoned."""
        with self._lock:
            self._generation += 1
            self._log = []
        self.remove()

    # ---- emitting ------------------------------------------------------------------------
    def event(
        self, event_type: str, operation: str, payload: dict[str, Any], when: str | None = None
    ) -> dict[str, Any]:
        """A thin event without its id (ids are drawn per batch, see :meth:`emit`)."""
        return {
            "EventId": None,
            "EventTime": when or utc_stamp(),
            "EventType": event_type,
            "Operation": operation,
            "Payload": payload,
            "Tenant": self._tenant,
        }

    def emit(
        self, events: list[dict[str, Any]], *, wait: bool = True, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """Give ids to ``events``, decide their fate, deliver (waiting when ``wait``)."""
        if not events:
            return []
        batch_no = self._store.next_id("webhook_batch")
        rng = Random(f"{self._seed()}:webhooks:{batch_no}")
        config = self.config()
        plan: list[tuple[dict[str, Any], bool]] = []
        for event in events:
            event["EventId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            dropped, duplicated = rng.random(), rng.random()
            if config is None:
                self._record(event, "not_configured", None, 0, False)
            elif dropped < config.drop_rate:
                self._record(event, "dropped", None, 0, False)
            else:
                plan.append((event, False))
                if duplicated < config.duplicate_rate:
                    plan.append((event, True))
        if config is not None and config.shuffle:
            rng.shuffle(plan)
        if plan:
            batch = _Batch(self._generation, plan, config)
            self._start()
            self._queue.put(batch)
            if wait:
                batch.done.wait(timeout)
        return events

    def _start(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="ukg-webhooks", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        with httpx.Client() as client:
            while True:
                batch = self._queue.get()
                try:
                    for event, duplicate in batch.plan:
                        if batch.generation != self._generation:
                            break
                        self._deliver(client, batch.config, event, duplicate)
                finally:
                    batch.done.set()

    def _deliver(
        self,
        client: httpx.Client,
        config: WebhookConfig | None,
        event: dict[str, Any],
        duplicate: bool,
    ) -> None:
        assert config is not None
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        status: int | None = None
        for attempt in range(1, config.max_attempts + 1):
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "UKG-Pro-Webhooks-Sandbox/1.0",
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: sign(config.secret, stamp, body),
            }
            try:
                answer = client.post(
                    config.url, content=body, headers=headers, timeout=config.timeout_seconds
                )
                status = answer.status_code
            except httpx.HTTPError:
                status = None
            if status is not None and 200 <= status < 300:
                self._record(event, "delivered", status, attempt, duplicate)
                return
            if attempt < config.max_attempts:
                time.sleep(config.retry_delay_ms / 1000 * 2 ** (attempt - 1))
        self._record(event, "failed", status, config.max_attempts, duplicate)

    def _record(
        self,
        event: dict[str, Any],
        outcome: str,
        status: int | None,
        attempts: int,
        duplicate: bool,
    ) -> None:
        with self._lock:
            self._log.append(
                {
                    "seq": len(self._log) + 1,
                    "eventId": event["EventId"],
                    "eventType": event["EventType"],
                    "employeeId": event["Payload"].get("EeId"),
                    "runId": event["Payload"].get("RunId"),
                    "outcome": outcome,
                    "httpStatus": status,
                    "attempts": attempts,
                    "duplicate": duplicate,
                    "time": utc_stamp(),
                    "event": event,
                }
            )

    def deliveries(self, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._log if entry["seq"] > since]
