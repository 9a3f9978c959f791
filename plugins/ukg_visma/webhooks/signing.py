"""The webhook signature: ``X-UKG-Signature: sha256=<hex>`` over ``"{timestamp}." + raw body``.

Signing the timestamp together with the body is what makes the timestamp header trustworthy: a
replayed request cannot be refreshed with a new timestamp without the secret. One module so that
the receiver, its tests and any sender in this repository compute the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-UKG-Signature"
TIMESTAMP_HEADER = "X-UKG-Timestamp"
SCHEME = "sha256="


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: str | int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    message = f"{timestamp}.".encode("ascii") + body
    return SCHEME + hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def verify(secret: str | bytes, timestamp: str, body: bytes, header_value: str) -> bool:
    """Constant-time check of a received ``X-UKG-Signature`` value (any case of hex digits)."""
    expected = sign(secret, timestamp, body).encode("ascii")
    # Starlette decodes header bytes as latin-1, so this round-trips whatever the client sent.
    provided = header_value.strip().lower().encode("latin-1", errors="replace")
    return hmac.compare_digest(expected, provided)


def signed_headers(
    secret: str | bytes, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """Headers a sender attaches to ``body`` (now, unless a timestamp is given)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(secret, ts, body),
        "Content-Type": "application/json",
    }
