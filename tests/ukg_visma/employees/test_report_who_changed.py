"""The employee-sync report lists who changed — hires, terminations, rehires, transfers with
employee numbers — and leaves quarantined snapshots to their own section."""

from __future__ import annotations

from ukg_visma.employees.report import changes_by_kind


def _row(number: str, kind: str | None, status: str = "applied", **detail: object) -> dict:
    facts = {"kind": kind, "cost_centre": "110", **detail} if kind else dict(detail)
    return {"target_key": f"employee {number}", "status": status, "detail": facts}


def test_kinds_come_in_the_order_hr_asks_and_quarantine_is_not_a_change() -> None:
    rows = [
        _row("1003", "transfer"), _row("1001", "hire"), _row("1002", "hire"),
        _row("1004", "termination"), _row("1005", "rehire"), _row("1006", "update"),
        _row("1007", "noop", status="noop"), _row("1008", None, status="rejected", quarantine=True),
        _row("1009", "hire", status="pending"),
    ]  # fmt: skip
    assert changes_by_kind(rows) == {
        "hire": ["1001", "1002", "1009"],
        "termination": ["1004"],
        "rehire": ["1005"],
        "transfer": ["1003"],
        "update": ["1006"],
    }
