"""The approval prompt: what a controller needs to decide before money moves (pure text).

Names the pay period, every pay run with its GL version, journal and line counts, debit and
credit totals, the largest accounts, the validation warnings and a link to the full report.
Amounts and account numbers only: no employee data, no secret.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ukg_visma.gl.findings import Finding
from ukg_visma.gl.journal import Journal
from ukg_visma.money import format_ore

__all__ = ["approval_prompt", "journals_markdown"]

# Rows of the account × cost centre × project table shown before "and N more (CSV)".
LISTED_ROWS = 2000


def approval_prompt(
    period: str,
    journals: Sequence[Journal],
    warnings: Sequence[Finding],
    *,
    report_link: str,
    top: int = 5,
) -> str:
    """Markdown for the HITL body (Airflow renders the body as Markdown)."""
    debit = sum(j.debit_ore for j in journals)
    credit = sum(j.credit_ore for j in journals)
    lines = sum(len(j.lines) for j in journals)
    versions: dict[str, set[str]] = defaultdict(set)
    for j in journals:
        versions[j.pay_run].add(j.gl_run_datetime)
    per_account: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    names: dict[str, str] = {}
    for j in journals:
        for line in j.lines:
            per_account[line.account][0] += line.debit_ore
            per_account[line.account][1] += line.credit_ore
            names.setdefault(line.account, line.description)
    largest = sorted(per_account.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:top]
    out = [
        f"**Pay period {period}** — {len(journals)} journal(s), {lines} line(s), "
        f"debit **{format_ore(debit)}**, credit **{format_ore(credit)}** (NOK).",
        "",
        "Pay runs (UKG run id — GL version):",
        "",
        *(f"- {run} — {', '.join(sorted(v))}" for run, v in sorted(versions.items())),
        "",
        f"Top {len(largest)} account(s):",
        "",
        "| account | description | debit | credit |",
        "|---|---|---:|---:|",
        *(f"| {a} | {names[a]} | {format_ore(d)} | {format_ore(c)} |" for a, (d, c) in largest),
        "",
    ]
    if warnings:
        out += [f"Validation warnings ({len(warnings)}):", ""]
        out += [f"- {w.subject}: {w.message} ({w.count} rows)" for w in warnings]
    else:
        out += ["Validation: no warnings."]
    out += [
        "",
        f"[Open the full run report]({report_link}) — every journal to be posted, per account "
        "× cost centre × project, with the validation report.",
        "",
        "Reject posts nothing; give the reason in the form (it is kept in the audit store).",
    ]
    return "\n".join(out) + "\n"


def _dimensions(line: Any, segment_names: Mapping[int, str]) -> tuple[str, ...]:
    values = dict(line.segments)
    return tuple(values.get(sid, "") for sid in segment_names)


def journals_markdown(
    period: str,
    journals: Sequence[Journal],
    segment_names: Mapping[int, str],
    *,
    limit: int = LISTED_ROWS,
) -> tuple[str, str]:
    """What approving posts, before anything is posted: one row per journal (the batch-to-be),
    then debit and credit per account × SUBACCOUNT segment (department, cost centre …) ×
    project × task over all journals. Markdown for the run report page and the same table as CSV
    (every row). Pure; amounts and codes only.
    """
    dims = [segment_names[sid] for sid in segment_names]
    per: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    names: dict[str, str] = {}
    for j in journals:
        for line in j.lines:
            key = (line.account, *_dimensions(line, segment_names), line.project, line.task)
            per[key][0] += line.debit_ore
            per[key][1] += line.credit_ore
            names.setdefault(line.account, line.description)
    debit = sum(j.debit_ore for j in journals)
    credit = sum(j.credit_ore for j in journals)
    out = [
        f"Pay period **{period}**: {len(journals)} journal(s) to post, debit "
        f"**{format_ore(debit)}**, credit **{format_ore(credit)}** (NOK)"
        + (" — balanced." if debit == credit else " — NOT balanced."),
        "",
        "| # | UKG pay run | GL version | pay date | kind | lines | debit | credit | journal key |",
        "|---:|---|---|---|---|---:|---:|---:|---|",
    ]
    for n, j in enumerate(journals, start=1):
        part = f" (part {j.part}/{j.parts})" if j.parts > 1 else ""
        out.append(
            f"| {n} | {j.pay_run}{part} | {j.gl_run_datetime} | {j.pay_date.isoformat()} | "
            f"{j.kind} | {len(j.lines)} | {format_ore(j.debit_ore)} | {format_ore(j.credit_ore)} "
            f"| `{j.journal_key}` |"
        )
    header = ["account", "description", *dims, "project", "task", "debit", "credit"]
    out += [
        "",
        f"### Per account × {' × '.join(d.lower() for d in dims) or 'subaccount'} × project "
        f"({len(per)} row(s))",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * (len(header) - 2) + "---:|---:|",
    ]
    rows = sorted(per.items())
    for key, (d, c) in rows[:limit]:
        account, *rest = key
        cells = [account, names.get(account, "").replace("|", "/"), *(v or "-" for v in rest)]
        out.append("| " + " | ".join(cells) + f" | {format_ore(d)} | {format_ore(c)} |")
    if len(rows) > limit:
        out.append(f"\n… and {len(rows) - limit} more row(s): see journals.csv beside this report.")
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for key, (d, c) in rows:
        account, *rest = key
        writer.writerow([account, names.get(account, ""), *rest, format_ore(d), format_ore(c)])
    return "\n".join(out) + "\n", buf.getvalue()
