"""Typed errors raised by the UKG and Visma hooks, and the one function mapping responses to them.

Callers (and Airflow's per-task retry rules) decide by *type*: a ``ValidationError`` will not fix
itself, a ``RateLimitError`` or ``TransientError`` may, and a ``ResponseLostError`` means "find out
whether it happened before you do it again". Every error carries what a support case needs — the
service, HTTP status, the service's own message, its request id / VismaId, method and path — and
never a token, secret, API key or query string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import requests

from ukg_visma.errors import NotRetryable, Retryable
from ukg_visma.hooks.headers import parse_retry_after, request_id

_VISMA_ID = re.compile(r"VismaId:\s*([0-9A-Za-z-]{8,})", re.IGNORECASE)
_MAX_MESSAGE = 500


class HookError(Exception):
    """Base of everything the hooks raise on purpose."""


class ConnectionConfigError(NotRetryable, HookError, ValueError):
    """The Airflow connection is incomplete or malformed (names the connection and the field)."""


class ApiError(HookError):
    """An API call failed; ``str()`` is safe to log, put in the audit store or show in the UI."""

    retriable: bool = False
    # Set when the failure happened while fetching a token: the API request itself was not sent,
    # so retrying is safe whatever its method.
    during_auth: bool = False

    def __init__(
        self,
        message: str,
        *,
        service: str,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        service_message: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.service = service
        self.method = method
        self.path = path
        self.status = status
        self.service_message = service_message
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(self._render())

    def _render(self) -> str:
        where = f" {self.method} {self.path}" if self.method and self.path else ""
        status = f" → {self.status}" if self.status is not None else ""
        return f"{self.service}{where}{status}: {self.detail()}"

    def detail(self) -> str:
        """The message, the service's own words and the request id (no service/path prefix)."""
        text = self.message
        if self.service_message and self.service_message not in self.message:
            text += f" — {self.service}: {self.service_message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text


class AuthenticationError(NotRetryable, ApiError):
    """Credentials or token rejected even after one renewal: retrying cannot help."""


class PermissionDeniedError(NotRetryable, ApiError):
    """403: authenticated, but the client lacks a scope or access to the company/tenant."""


class NotFoundError(NotRetryable, ApiError):
    """404: the resource does not exist (or is not visible to this client)."""


class ValidationError(NotRetryable, ApiError):
    """400/409/422: the service refused the content (unknown account, closed period, unbalanced)."""


class ConcurrentUpdateError(Retryable, ApiError):
    """412: the resource changed since its ETag was read (after bounded re-reads, in
    ``VismaHook._update``)."""


class RateLimitError(Retryable, ApiError):
    """429 still answered after the retry budget; ``retry_after``: the wait the service asked."""

    retriable = True


class TransientError(Retryable, ApiError):
    """502/503/504 or a connection failure that a later attempt may not meet."""

    retriable = True


class ConnectionFailedError(TransientError):
    """No HTTP answer at all. ``kind`` is one of dns, tls, refused, timeout, reset, other."""

    def __init__(self, message: str, *, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(message, **kwargs)


class ResponseLostError(Retryable, ApiError):
    """A non-idempotent request was sent but its answer never arrived: it may or may not have
    taken effect. The caller must read back (e.g. list journals by key) before sending it again."""


class PaginationError(NotRetryable, ApiError):
    """The service's paging went in a circle or past a safety limit; reading on would never end."""


class ServerError(Retryable, ApiError):
    """500 or another 5xx the hooks do not retry themselves (the service failed inside; a request
    that is not idempotent may have half-happened, so only a task retry — which reads back first —
    tries again)."""


class RequestRefusedError(NotRetryable, ApiError):
    """Another 4xx (405, 410, 413, 415, …): the request itself is wrong for this service."""


class MalformedResponseError(Retryable, ApiError):
    """A 2xx answer that is not the document the endpoint promises: an HTML page (a proxy's login
    or maintenance page), an empty body, JSON cut short or invalid, JSON of the wrong shape, or
    records without a field the connector needs (named). ``content_type`` and a short ``excerpt``
    (secrets and bearer tokens removed) say what came instead.

    Transient, but only a few times: gateways answer such pages for a while (a deploy, a
    maintenance window), while a real contract change never heals. The hooks re-read a GET
    ``RetryPolicy.malformed_attempts`` times; the task retry policy allows ``max_task_retries``
    more tries instead of the full transient budget — so it never loops for long."""

    max_task_retries = 3

    def __init__(
        self, message: str, *, content_type: str = "", excerpt: str = "", **kwargs: Any
    ) -> None:
        self.content_type = content_type
        self.excerpt = excerpt
        super().__init__(message, **kwargs)

    def detail(self) -> str:
        shown = self.content_type or "no content type"
        return (
            super().detail() + f" [{shown}" + (f": {self.excerpt!r}" if self.excerpt else "") + "]"
        )


class UnexpectedResponseError(NotRetryable, ApiError):
    """A 2xx answer the hooks cannot use (not JSON, no ETag) or a request refused on our side
    (a paging link to another host): a contract problem, not a passing condition."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ValidationError,
    412: ConcurrentUpdateError,
    422: ValidationError,
    429: RateLimitError,
    502: TransientError,
    503: TransientError,
    504: TransientError,
}

_DEFAULT_TEXT = {
    401: "unauthorized",
    403: "forbidden: the client lacks a scope or access to this company",
    404: "not found",
    412: "precondition failed: the resource changed since its ETag was read",
    429: "rate limited",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


_EXCERPT = 160
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_SECRETS = [
    (re.compile(r"(bearer|basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE), r"\1 ***"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "***"),
    (
        re.compile(
            r"((?:access_token|refresh_token|id_token|client_secret|password|api[_-]?key|secret)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+",
            re.IGNORECASE,
        ),
        r"\1***",
    ),
]


def is_html(content_type: str, content: bytes) -> bool:
    """Whether an answer is a web page (proxies answer those; the two APIs never do)."""
    head = content[:256].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


def safe_excerpt(
    content: bytes, content_type: str = "", scrub: Callable[[str], str] = lambda s: s
) -> str:
    """A short, log-safe excerpt of a body: an HTML page's title (and first heading) or its text
    without tags; whitespace collapsed; bearer/basic credentials, JWTs and ``secret=…`` values
    masked, known secrets scrubbed; at most 160 characters."""
    text = content[:20_000].decode("utf-8", errors="replace")
    if is_html(content_type, content):
        title = _TITLE.search(text)
        heading = _HEADING.search(text)
        parts = [_TAGS.sub(" ", m.group(1)) for m in (title, heading) if m]
        text = " — ".join(p.strip() for p in parts if p.strip()) or _TAGS.sub(" ", text)
        text = text.replace("&rsquo;", "'").replace("&amp;", "&").replace("&nbsp;", " ")
    text = " ".join(text.split())
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    text = scrub(text)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _problem_errors(errors: Any) -> str:
    """Flatten ProblemDetails ``errors`` ({field: [messages]}) into one short line."""
    if isinstance(errors, dict):
        parts = []
        for field, messages in errors.items():
            if isinstance(messages, list):
                messages = "; ".join(str(m) for m in messages)
            parts.append(f"{field}: {messages}")
        return ", ".join(parts)
    if isinstance(errors, list):
        return "; ".join(str(e) for e in errors)
    return str(errors)


def parse_error_body(body: Any) -> tuple[str | None, str | None]:
    """Return (message, request id) from any of the error shapes the two services answer with.

    Visma: ``{"ExceptionType", "ExceptionMessage", "ExceptionMessageID", ...}`` or a gateway's
    ``{"message": "VismaId: <guid>. Error ..."}``. UKG: ProblemDetails ``{"title", "detail",
    "errors", "traceId"?}`` or ``{"code", "message"}``. OAuth: ``{"error", "error_description"}``.
    """
    if not isinstance(body, dict):
        return None, None
    message: str | None = None
    rid: str | None = None
    if "ExceptionMessage" in body:
        message = str(body["ExceptionMessage"])
        rid = body.get("VismaId") or body.get("vismaId") or body.get("ExceptionMessageID")
    elif "error" in body and isinstance(body["error"], str):
        message = body["error"]
        if body.get("error_description"):
            message += f": {body['error_description']}"
    elif "title" in body or "detail" in body:
        message = str(body.get("detail") or body.get("title"))
        if body.get("errors"):
            message += f" ({_problem_errors(body['errors'])})"
        rid = body.get("traceId") or body.get("instance")
    elif "message" in body or "Message" in body:
        message = str(body.get("message") or body.get("Message"))
        if body.get("code") not in (None, ""):
            message = f"{body['code']}: {message}"
    if message:
        found = _VISMA_ID.search(message)
        if found and not rid:
            rid = found.group(1)
    return message, (str(rid) if rid else None)


def _body(response: requests.Response) -> tuple[Any, str]:
    text = response.text if response.content else ""
    try:
        return (json.loads(text) if text else None), text
    except ValueError:
        return None, text


def map_response(
    response: requests.Response,
    *,
    service: str,
    method: str,
    path: str,
    scrub: Callable[[str], str] = lambda s: s,
) -> ApiError:
    """Turn an error response into the matching typed ``ApiError`` (it is returned, not raised).

    ``scrub`` removes known secrets from the service's text: error bodies sometimes echo a
    request back, and these messages end up in logs and the audit store.
    """
    status = response.status_code
    parsed, text = _body(response)
    message, rid = parse_error_body(parsed)
    if message is None and text and parsed is None and status not in (412,):
        # plain-text / HTML gateway page: its title or the start of its text, secrets masked
        message = safe_excerpt(response.content, response.headers.get("Content-Type", ""))
    rid = rid or request_id(response.headers)
    service_message = scrub(_shorten(message)) if message else None
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else RequestRefusedError)
    summary = _DEFAULT_TEXT.get(status, service_message or response.reason or "error")
    retry_after = parse_retry_after(response.headers.get("Retry-After")) if status == 429 else None
    return cls(
        summary,
        service=service,
        method=method,
        path=path,
        status=status,
        service_message=service_message,
        request_id=scrub(rid) if rid else None,
        retry_after=retry_after,
    )


def classify_transport_error(exc: BaseException) -> tuple[str, str]:
    """Name what went wrong below HTTP: (kind, human text without URLs or credentials)."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__ or getattr(seen, "reason", None)
        if not isinstance(seen, BaseException):
            seen = None
    names = " ".join(type(e).__name__ for e in chain)
    texts = " ".join(str(e) for e in chain).lower()
    if isinstance(exc, requests.exceptions.SSLError) or "SSLError" in names:
        return "tls", "TLS handshake failed (certificate or protocol problem)"
    if (
        "NameResolutionError" in names
        or "name or service not known" in texts
        or ("getaddrinfo" in texts or "name resolution" in texts)
    ):
        return "dns", "DNS lookup of the host failed"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "timeout", "connect timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "timeout", "no answer within the read timeout"
    if "ConnectionRefusedError" in names or "connection refused" in texts:
        return "refused", "connection refused (nothing listening on that host/port?)"
    if (
        "RemoteDisconnected" in names
        or "ConnectionResetError" in names
        or "ProtocolError" in names
        or "ChunkedEncodingError" in names
        or "IncompleteRead" in names
    ):
        return "reset", "connection closed by the server before a complete answer"
    return "other", type(exc).__name__


def sent_before_failure(exc: BaseException) -> bool:
    """Whether the request may have reached the server before the transport failed.

    Connect-phase failures (DNS, refused, connect timeout, TLS) mean nothing was sent, so even a
    POST may be repeated; anything later (read timeout, reset mid-answer) leaves it unknown.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
        return False
    kind, _ = classify_transport_error(exc)
    return kind not in ("dns", "refused", "tls")
