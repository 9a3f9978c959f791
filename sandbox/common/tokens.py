"""Bearer tokens with a lifetime, kept in the state store so they survive a server restart.

Why persisted: in real life the token service is separate from the API, so an API restart does not
invalidate tokens; a crash test that restarts the sandbox must not see spurious 401s.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from sandbox.common.store import StateStore

_NS = "_tokens"


class TokenIssuer:
    """Issues opaque random tokens and validates them against their expiry time."""

    def __init__(self, store: StateStore, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    def issue(self, subject: str, lifetime_seconds: int, **claims: Any) -> str:
        """A new token valid for ``lifetime_seconds``; expired tokens are pruned on the way."""
        now = self._clock()
        token = secrets.token_urlsafe(32)
        with self._store.atomic():
            for key, record in self._store.items(_NS):
                if record["expires_at"] <= now:
                    self._store.delete(_NS, key)
            self._store.put(
                _NS, token, {"subject": subject, "expires_at": now + lifetime_seconds, **claims}
            )
        return token

    def validate(self, token: str | None) -> dict[str, Any] | None:
        """The token's record when it is known and not expired, else None."""
        if not token:
            return None
        record = self._store.get(_NS, token)
        if record is None or record["expires_at"] <= self._clock():
            return None
        return record

    def revoke_all(self) -> int:
        count = self._store.count(_NS)
        self._store.clear(_NS)
        return count

    @staticmethod
    def bearer(authorization: str | None) -> str | None:
        """The token of an ``Authorization: Bearer <token>`` header, else None."""
        if not authorization:
            return None
        scheme, _, value = authorization.partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None
