"""The Markdown report of one employee-sync run, for HR and the controllers (pure: no I/O).

Employee numbers and codes only: no names, no e-mail, nothing a secret could hide in.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

LISTED = 50  # rows of a long list shown before "and N more"


def _table(header: list[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c).replace("|", "/") for c in row) + " |" for row in rows]
    return out


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:LISTED])
    return shown + (f" and {len(items) - LISTED} more" if len(items) > LISTED else "") or "-"


# The kinds a controller asks about first, in this order; the rest follow alphabetically.
KIND_ORDER = ("hire", "termination", "rehire", "transfer")
KIND_TITLES = {"hire": "Hires", "termination": "Terminations", "rehire": "Rehires",
               "transfer": "Transfers"}  # fmt: skip


def changes_by_kind(change_rows: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Employee numbers per change kind of the rows that reached Visma (or are pending), in
    :data:`KIND_ORDER` first: what the report's "Who changed" lists and the run note counts."""
    out: dict[str, list[str]] = {}
    for r in change_rows:
        detail = r.get("detail") or {}
        kind = str(detail.get("kind") or "")
        # quarantined snapshots (no kind: they could not be read) have their own section
        if not kind or detail.get("quarantine") or kind in ("noop", "stale"):
            continue
        if r.get("status") in ("noop", "ignored"):
            continue
        number = str(r.get("target_key") or "").removeprefix("employee ")
        out.setdefault(kind, [])
        if number not in out[kind]:
            out[kind].append(number)
    ordered = [k for k in KIND_ORDER if k in out] + sorted(set(out) - set(KIND_ORDER))
    return {k: sorted(out[k]) for k in ordered}


def _who_changed(change_rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Hires, terminations, rehires, transfers (then the rest) with employee numbers, cost
    centre and outcome — what HR checks against its own list."""
    kinds = changes_by_kind(change_rows)
    if not kinds:
        return ["No employee changed in this run."]
    lines: list[str] = []
    for kind, numbers in kinds.items():
        lines.append(f"- **{KIND_TITLES.get(kind, kind.replace('_', ' ').capitalize())}** "
                     f"({len(numbers)}): {_listing(numbers)}")  # fmt: skip
    lines += [""]
    rows = [
        (
            str(r.get("target_key") or "").removeprefix("employee "),
            (r.get("detail") or {}).get("kind", "?"),
            (r.get("detail") or {}).get("status", ""),
            (r.get("detail") or {}).get("cost_centre") or "",
            r["status"],
        )
        for r in change_rows
        if (r.get("detail") or {}).get("kind") not in (None, "", "noop", "stale")
        and r.get("status") not in ("noop", "ignored")
    ]
    lines += _table(["employee", "change", "UKG status", "cost centre", "outcome"],
                    rows[:LISTED])  # fmt: skip
    if len(rows) > LISTED:
        lines.append(f"\n… and {len(rows) - LISTED} more (the audit store has every row).")
    return lines


def _feed_lines(feed: Mapping[str, Any]) -> list[str]:
    """UKG change-feed calls (budget: 8 a day, 3 h apart): today's count, the last call, and
    whether this run polled (and if not, why and when it may again)."""
    if not feed:
        return []
    polled = "yes" if feed.get("polled") else f"no — {feed.get('reason')}"
    lines = [
        "## UKG change-feed calls",
        "",
        f"- Feed calls today (UTC): {feed.get('calls_today', 0)}; last call: "
        f"{feed.get('last_call') or 'none'}",
        f"- This run polled the feed: {polled}",
    ]
    if feed.get("next_allowed"):
        lines.append(f"- Next poll allowed from: {feed['next_allowed']}")
    return [*lines, ""]


def report_markdown(
    run_key: str,
    *,
    extracted: Mapping[str, Any],
    applied: Mapping[str, Any],
    change_rows: Sequence[Mapping[str, Any]],
    pending: Sequence[Mapping[str, Any]],
    threshold: int,
    quarantine: Sequence[Mapping[str, Any]] = (),
    headcount: pd.DataFrame,
    aside: Mapping[str, list[str]],
) -> str:
    lines = [
        *_summary_section(run_key, extracted, applied),
        *_changes_section(change_rows),
        *_pending_section(pending, threshold),
        *_quarantine_section(quarantine),
        *_drift_section(applied.get("drift") or {}),
        *_headcount_section(headcount, aside),
        *_calls_section(applied.get("visma_calls") or {}),
    ]
    return "\n".join(lines) + "\n"


def _summary_section(
    run_key: str, extracted: Mapping[str, Any], applied: Mapping[str, Any]
) -> list[str]:
    """The title, the window read, what was read and queued, the watermark, the change feed."""
    window = (
        "full read of every employee"
        if extracted.get("mode") == "full"
        else f"{extracted.get('window_start')} → {extracted.get('window_end')}"
    )
    return [
        f"# Employee sync {run_key}",
        "",
        f"- Window: {window}",
        f"- Webhook events drained: {extracted.get('events', 0)} "
        f"({extracted.get('event_only_employees', 0)} employee(s) known only from an event)",
        f"- Snapshots read: {extracted.get('snapshots', 0)}; queued for Visma: "
        f"{extracted.get('queued', 0)}; repeats: {extracted.get('noop', 0)}; "
        f"stale (older than known, ignored): {extracted.get('stale', 0)}",
        f"- Watermark now: {applied.get('watermark')}",
        "",
        *_feed_lines(extracted.get("feed") or {}),
    ]


def _changes_section(change_rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Changes per kind × outcome, who changed, and what was ignored or refused."""
    lines = ["## Changes", ""]
    by = collections.Counter(
        ((r.get("detail") or {}).get("kind", "?"), r["status"]) for r in change_rows
    )
    lines += _table(
        ["kind", "outcome", "employees"], [(k, s, n) for (k, s), n in sorted(by.items())]
    )
    lines += ["", "### Who changed", "", *_who_changed(change_rows)]
    ignored = [r for r in change_rows if r["status"] in ("ignored", "failed", "rejected")]
    if ignored:
        lines += ["", "### Ignored or refused", ""]
        lines += _table(
            ["employee", "status", "why"],
            [(r["target_key"], r["status"], r.get("error") or "") for r in ignored[:LISTED]],
        )
    return lines


def _pending_section(pending: Sequence[Mapping[str, Any]], threshold: int) -> list[str]:
    """Changes Visma refused so far, retried every run until the alarm threshold."""
    lines = ["", "## Pending changes (retried every run)", ""]
    if not pending:
        return [*lines, "None."]
    lines += [f"Alarm after {threshold} failed run(s).", ""]
    lines += _table(
        ["employee", "failed runs", "first seen", "reason"],
        [
            (
                p["snapshot"].get("employeeNumber"),
                p["failed_runs"],
                p["first_seen"].isoformat() if p.get("first_seen") else "",
                p["reason"],
            )
            for p in pending[:LISTED]
        ],
    )
    return lines


def _quarantine_section(quarantine: Sequence[Mapping[str, Any]]) -> list[str]:
    """UKG snapshots that cannot be parsed: one row per finding, so the fix is named."""
    lines = ["", "## Quarantined: UKG snapshots that cannot be parsed (re-read every run)", ""]
    if not quarantine:
        return [*lines, "None."]
    lines += ["Fix the record in UKG; the next run applies it. Nothing else waits for it.", ""]
    lines += _table(
        ["employee", "UKG employee id", "field", "value", "rule", "runs", "first seen"],
        [
            (
                q.get("employee_number") or "(none)",
                q.get("employee_id") or "(none)",
                f["field"],
                f["value"],
                f["rule"],
                q["failed_runs"],
                q["first_seen"].isoformat() if q.get("first_seen") else "",
            )
            for q in quarantine[:LISTED]
            for f in q["findings"]
        ],
    )
    return lines


def _drift_section(drift: Mapping[str, Any]) -> list[str]:
    """Org codes without a mapping or an active Visma value (details in ``mapping_drift.md``)."""
    lines = ["", "## Mapping drift", ""]
    if not drift.get("findings"):
        return [*lines, f"None ({drift.get('checked_codes', 0)} org code(s) checked)."]
    lines += _table(
        ["org level", "code", "problem", "employees"],
        [(f["level"], f["code"], f["problem"], f["seen"]) for f in drift["findings"]],
    )
    return [*lines, "", "Details and fixes: `mapping_drift.md` next to this report."]


def _headcount_section(headcount: pd.DataFrame, aside: Mapping[str, list[str]]) -> list[str]:
    """UKG active + on leave against Visma employed per cost centre, and who was set aside."""
    lines = ["", "## Headcount per cost centre (UKG A+L vs Visma employed)", ""]
    rows: Iterable[Any] = headcount.itertuples(index=False)  # fields: the frame's columns
    lines += _table(
        ["cost centre", "UKG", "Visma", "difference", "missing in Visma", "unexpected in Visma"],
        [
            (
                r.cost_centre,
                r.ukg_active,
                r.visma_active,
                r.difference,
                _listing(list(r.missing_in_visma)),
                _listing(list(r.unexpected_in_visma)),
            )
            for r in rows
        ],
    )
    return [
        *lines,
        "",
        f"Set aside on both sides — pending: {_listing(list(aside.get('pending', [])))}; "
        f"changed in UKG after the window: {_listing(list(aside.get('later', [])))}. "
        f"Quarantined (not set aside: counted as differences above): "
        f"{_listing(list(aside.get('quarantined', [])))}.",
    ]


def _calls_section(calls: Mapping[str, Any]) -> list[str]:
    """The Visma calls the run made, per kind (the throttling wait is reported elsewhere)."""
    return [
        "",
        "## Visma calls",
        "",
        ", ".join(f"{k}: {v}" for k, v in calls.items() if k != "throttled_seconds") or "-",
    ]
