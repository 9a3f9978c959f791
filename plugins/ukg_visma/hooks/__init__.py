"""The connector's only doors to the outside world: ``UkgHook`` and ``VismaHook``.

Auth (``auth``), retries (``retry``), paging (``paging``) and errors (``exceptions``) are separate
small modules; ``base`` wires them into one request path shared by both hooks.

Names are imported lazily so that ``provider_info`` (which Airflow imports while discovering
providers) can read ``hooks.forms`` without pulling in ``requests`` and the Task SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "UkgHook": "ukg_visma.hooks.ukg",
    "VismaHook": "ukg_visma.hooks.visma",
    "RetryPolicy": "ukg_visma.hooks.retry",
    **{
        name: "ukg_visma.hooks.exceptions"
        for name in (
            "ApiError",
            "AuthenticationError",
            "ConcurrentUpdateError",
            "ConnectionConfigError",
            "ConnectionFailedError",
            "HookError",
            "MalformedResponseError",
            "NotFoundError",
            "PaginationError",
            "PermissionDeniedError",
            "RateLimitError",
            "ResponseLostError",
            "TransientError",
            "ValidationError",
        )
    },
}

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConcurrentUpdateError",
    "ConnectionConfigError",
    "ConnectionFailedError",
    "HookError",
    "MalformedResponseError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseLostError",
    "RetryPolicy",
    "TransientError",
    "UkgHook",
    "ValidationError",
    "VismaHook",
]

if TYPE_CHECKING:
    from ukg_visma.hooks.exceptions import (
        ApiError,
        AuthenticationError,
        ConcurrentUpdateError,
        ConnectionConfigError,
        ConnectionFailedError,
        HookError,
        MalformedResponseError,
        NotFoundError,
        PaginationError,
        PermissionDeniedError,
        RateLimitError,
        ResponseLostError,
        TransientError,
        ValidationError,
    )
    from ukg_visma.hooks.retry import RetryPolicy
    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.hooks.visma import VismaHook


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ukg_visma.hooks' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
