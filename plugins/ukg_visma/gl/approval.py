"""The approval prompt: what a controller needs to decide before money moves (pure text).

Names the pay period, every pay run with its GL version, journal and line counts, debit and
credit totals, the largest accounts, the validation warnings and a link to the full report.
Amounts and account numbers only: no employee data, no secret.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ukg_visma.gl.findings import Finding
from ukg_visma.gl.journal import Journal
from ukg_visma.money import format_ore

__all__ = ["approval_prompt"]


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
        f"[Open the full run report]({report_link})",
        "",
        "Reject posts nothing; give the reason in the form (it is kept in the audit store).",
    ]
    return "\n".join(out) + "\n"
