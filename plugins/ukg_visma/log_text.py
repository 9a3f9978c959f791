"""What the tasks print into their Airflow log: short tables a person reads, not Python reprs.

The reconciliation already logs its run report; these give ``extract`` (one line per UKG pay run,
amounts in NOK) and the employee-sync steps (their change table and headcount result) the same
kind of output. Pure: the task modules call these and log the text. Counts and codes only —
employee numbers at most, never a name or an amount of one person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ukg_visma.money import format_ore


def nok(ore: int) -> str:
    """Øre → ``NOK 1,234,567.50`` (logs and alerts only)."""
    return f"NOK {format_ore(ore)}"


def pay_run_lines(period: str, runs: Iterable[Any]) -> str:
    """``extract``: a heading, then one line per pay run (``RunCompleteness``-like objects)."""
    runs = list(runs)
    total = sum(int(r.lines) for r in runs)
    out = [f"pay period {period}: {len(runs)} UKG pay run(s), {total} GL line(s), complete"]
    for r in runs:
        blocks = "/".join(str(t) for t in r.total_blocks) or "?"
        pay_dates = ", ".join(r.pay_dates) or "-"
        groups = ", ".join(r.pay_groups) or "-"
        out.append(
            f"  pay run {r.run_id} (pay group {groups}, pay date {pay_dates}): "
            f"{r.lines} lines in {len(r.blocks_seen)} of {blocks} block(s); "
            f"debit {nok(r.debit_ore)}, credit {nok(r.credit_ore)}, "
            f"{'balanced' if r.debit_ore == r.credit_ore else 'NOT balanced'}"
        )
    return "\n".join(out)


def _table(header: list[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def sync_extract_text(summary: Mapping[str, Any]) -> str:
    """``extract_changes``: where the changes came from and what was queued, as a table."""
    if summary.get("mode") == "full":
        window = "full read of every employee"
    elif summary.get("mode") == "events":
        reason = (summary.get("feed") or {}).get("reason") or "no feed poll"
        window = f"change feed not polled: {reason}"
    else:
        window = f"change feed {summary.get('window_start')} → {summary.get('window_end')}"
    lines = [
        f"employee changes read ({window}): {summary.get('snapshots', 0)} snapshot(s), "
        f"{summary.get('events', 0)} webhook event(s) drained",
        "",
    ]
    kinds = dict(summary.get("kinds") or {})
    lines += _table(["change", "employees"], sorted(kinds.items()) or [("(none)", 0)])
    lines += [
        "",
        f"queued for Visma: {summary.get('queued', 0)}; repeats: {summary.get('noop', 0)}; "
        f"stale (older than known): {summary.get('stale', 0)}; "
        f"quarantined: {len(summary.get('quarantined') or [])}",
    ]
    return "\n".join(lines)


def sync_apply_text(summary: Mapping[str, Any]) -> str:
    """``apply_to_visma``: what each queued change did in Visma, as a table."""
    applied = dict(summary.get("applied") or {})
    rows = [(k, v) for k, v in sorted(applied.items())]
    rows += [(k, summary.get(k, 0)) for k in ("held", "failed", "noop") if summary.get(k)]
    lines = ["employee changes applied to Visma:", ""]
    lines += _table(["outcome", "employees"], rows or [("(nothing to apply)", 0)])
    calls = summary.get("visma_calls") or {}
    shown = ", ".join(f"{k} {v}" for k, v in calls.items() if k != "throttled_seconds")
    lines += ["", f"watermark now {summary.get('watermark')}; Visma calls: {shown or '-'}"]
    return "\n".join(lines)


def headcount_text(frame: Any, *, mismatches: int, quarantine_only: int = 0) -> str:
    """``check_headcount``: active employees per cost centre on both sides, and the verdict
    (``quarantine_only``: cost centres that differ by quarantined employees alone)."""
    ukg, visma = int(frame["ukg_active"].sum()), int(frame["visma_active"].sum())
    if mismatches:
        verdict = f"headcount MISMATCH in {mismatches} cost centre(s)"
    elif quarantine_only:
        verdict = (
            f"headcount differs in {quarantine_only} cost centre(s) by quarantined employees "
            "only (judged by the quarantine limits)"
        )
    else:
        verdict = "headcount OK: UKG and Visma agree in every cost centre"
    lines = [f"{verdict} (UKG {ukg} active, Visma {visma} employed)", ""]
    rows = frame.itertuples(index=False)
    lines += _table(
        ["cost centre", "UKG", "Visma", "difference"],
        [(r.cost_centre, r.ukg_active, r.visma_active, r.difference) for r in rows],
    )
    return "\n".join(lines)
