"""Fault rules: make the next N matching calls fail, slow down, or lose their response.

Why: every retry, backoff and idempotency path in the connector must be exercised against a real
HTTP server, including the nastiest case — the server committed the work but the client never
heard back (``drop_response_after_commit``).
"""

from __future__ import annotations

import itertools
import re
import threading
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FaultStatus = Literal[200, 400, 401, 403, 404, 409, 412, 429, 500, 502, 503, 504]
BodyFault = Literal["html", "empty", "truncated", "cut", "extra_fields", "wrong_shape"]
# Modes that rewrite the endpoint's own answer, so the endpoint always runs (and commits) first.
REWRITES = frozenset({"truncated", "cut", "extra_fields", "wrong_shape"})


class FaultRule(BaseModel):
    """One rule. ``method``/``path`` select calls (path is a regex searched in the URL path);
    ``times`` = how many matching calls it affects (None = until cleared).

    At least one effect: ``status`` (answer it instead of running the endpoint), ``latency_ms``
    (delay, then run normally) or ``drop_response_after_commit`` (run the endpoint, commit, then
    close the connection without a response). ``retry_after`` (seconds) adds a Retry-After header
    to a status answer; ``no_body`` answers the status with an empty body.

    ``body`` — a malformed answer, as gateways and proxies really produce them:

    - ``html``: an HTML page (``text/html``) with ``status`` (default 200: a login/maintenance page
      a proxy serves with 200; 502/503: a proxy's error page);
    - ``empty``: ``status`` (default 200) with an empty body and no content type;
    - ``truncated``: the endpoint's status and headers, its JSON cut in the middle, delivered as a
      complete HTTP answer (a gateway that buffered a cut upstream answer); a body-less answer
      (201 Created, 204) has nothing to cut and goes out unchanged;
    - ``cut``: the endpoint's status and headers announcing its full ``Content-Length`` (at least
      64 bytes), half of it, then the connection closes (the client sees an incomplete read);
    - ``extra_fields``: the endpoint's JSON with unknown fields added to every object (Visma adds
      fields without notice);
    - ``wrong_shape``: the endpoint's JSON in the wrong shape (a list wrapped in an object, an
      object wrapped in a list).

    ``html``/``empty`` answer *instead of* the endpoint unless ``commit`` is true: then the endpoint
    runs and commits first and its answer is replaced (the dangerous case after a POST). The
    rewriting modes always run the endpoint first.
    """

    model_config = ConfigDict(extra="forbid")

    method: str | None = None
    path: str = ".*"
    status: FaultStatus | None = None
    times: int | None = Field(default=1, ge=1)
    retry_after: int | None = Field(default=None, ge=0)
    latency_ms: int = Field(default=0, ge=0)
    drop_response_after_commit: bool = False
    no_body: bool = False
    body: BodyFault | None = None
    commit: bool = False

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return None if value in (None, "", "*") else value.upper()

    @field_validator("path")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"path is not a valid regex: {exc}") from None
        return value

    @model_validator(mode="after")
    def _has_effect(self) -> FaultRule:
        if (
            self.status is None
            and self.body is None
            and not self.latency_ms
            and not self.drop_response_after_commit
        ):
            raise ValueError("a fault needs status, body, latency_ms or drop_response_after_commit")
        if self.status is not None and self.drop_response_after_commit:
            raise ValueError("status and drop_response_after_commit exclude each other")
        if self.body is not None and self.drop_response_after_commit:
            raise ValueError("body and drop_response_after_commit exclude each other")
        if self.body in REWRITES:
            if self.status is not None:
                raise ValueError(f"body={self.body} keeps the endpoint's status; give no status")
            self.commit = True
        elif self.body is not None and self.status is None:
            self.status = 200
        if self.status == 200 and self.body not in ("html", "empty"):
            raise ValueError("status 200 is only for body=html or body=empty")
        if self.commit and self.body is None:
            raise ValueError("commit applies to a body fault")
        return self

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return re.search(self.path, path) is not None


class ActiveFault(BaseModel):
    """A rule as installed: with its id and how many hits remain (None = unlimited)."""

    id: int
    rule: FaultRule
    remaining: int | None
    hits: int = 0


class FaultBook:
    """The installed rules; the first matching rule with hits left wins and is consumed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[ActiveFault] = []
        self._ids = itertools.count(1)

    def add(self, rules: list[FaultRule]) -> list[ActiveFault]:
        with self._lock:
            added = [
                ActiveFault(id=next(self._ids), rule=rule, remaining=rule.times) for rule in rules
            ]
            self._rules.extend(added)
            return [item.model_copy() for item in added]

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def list(self) -> list[ActiveFault]:
        with self._lock:
            return [item.model_copy() for item in self._rules]

    def take(self, method: str, path: str) -> FaultRule | None:
        """Consume one hit of the first matching rule; exhausted rules are removed."""
        with self._lock:
            for item in self._rules:
                if item.rule.matches(method, path):
                    item.hits += 1
                    if item.remaining is not None:
                        item.remaining -= 1
                        if item.remaining <= 0:
                            self._rules.remove(item)
                    return item.rule
            return None
