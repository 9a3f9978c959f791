"""Helpers shared by the hook tests (imported by name; pytest puts this folder on sys.path)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ukg_visma.hooks.retry import RetryPolicy

# Quick backoff so that storms and retries are exercised in seconds, still bounded twice.
FAST = RetryPolicy(max_attempts=5, max_total_seconds=15.0, backoff_initial=0.05, backoff_max=0.3)


def api_calls(box: Any, server: str, path_prefix: str) -> list[dict[str, Any]]:
    """The sandbox's call log for one API path prefix (token calls have other paths)."""
    return [c for c in box.calls(server) if c["path"].startswith(path_prefix)]


def token_calls(box: Any, server: str) -> list[dict[str, Any]]:
    marker = "/access_token" if server == "ukg" else "/connect/token"
    return [c for c in box.calls(server) if c["path"].endswith(marker)]


# 5 s into a minute: a test that stops the sandbox's quota clock here starts well inside a window.
QUOTA_CLOCK = 1_800_000_000.0 - 1_800_000_000.0 % 60 + 5


def journal(
    period: str = "202606", amount: str = "1000.10", key: str = "T-1", *, hold: bool = False
) -> dict[str, Any]:
    """A balanced two-line journal with Decimal amounts (sent as exact JSON numbers)."""

    def line(account: str, side: str, dept: str, centre: str) -> dict[str, Any]:
        return {
            "operation": "Insert",
            "accountNumber": {"value": account},
            "subaccount": [
                {"segmentId": 1, "segmentValue": dept},
                {"segmentId": 2, "segmentValue": centre},
            ],
            f"{side}AmountInCurrency": {"value": Decimal(amount)},
        }

    return {
        "transactionDate": {"value": f"{period[:4]}-{period[4:]}-25T00:00:00"},
        "financialPeriod": {"value": period},
        "description": {"value": key},
        "hold": {"value": hold},
        "journalTransactionLines": [
            line("5000", "debit", "10", "110"),
            line("2930", "credit", "00", "000"),
        ],
    }
