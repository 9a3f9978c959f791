"""The run's Markdown summary: what was posted where, the totals a controller checks, warnings.

Pure text from the run's results, so the DAG can put the same summary in the task log, the DAG
run note and a file under the reports folder.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from ukg_visma.gl.journal import Journal, as_period
from ukg_visma.gl.reconcile import ReconciliationReport
from ukg_visma.gl.validate import ValidationReport
from ukg_visma.money import format_ore
from ukg_visma.periods import PayPeriod

__all__ = ["run_summary"]


def _table(
    header: Sequence[str], align: Sequence[str], rows: Iterable[Sequence[object]]
) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def _batch(numbers: Mapping[str, str | Sequence[str]], key: str) -> str:
    value = numbers.get(key)
    if value is None:
        return "-"
    return value if isinstance(value, str) else ", ".join(value) or "-"


def _state(
    dry_run: bool, validation: ValidationReport | None, reconciliation: ReconciliationReport | None
) -> str:
    """The run's outcome in a few words (the summary's bold line)."""
    state = "dry run, nothing posted" if dry_run else "posted"
    if validation is not None and not validation.ok:
        return "validation failed, nothing posted"
    if reconciliation is not None:
        state += ", reconciled" if reconciliation.ok else ", RECONCILIATION MISMATCH"
    return state


def _journal_table(
    journals: Sequence[Journal],
    numbers: Mapping[str, str | Sequence[str]],
    statuses: Mapping[str, str],
) -> list[str]:
    """One row a journal: key, UKG run, pay date, part, lines, debit, credit, batch, status."""
    return _table(
        [
            "journal key",
            "UKG run",
            "pay date",
            "part",
            "lines",
            "debit",
            "credit",
            "batch",
            "status",
        ],
        ["---", "---", "---", "---", "---:", "---:", "---:", "---", "---"],
        (
            (
                j.journal_key,
                j.pay_run,
                j.pay_date,
                f"{j.part}/{j.parts}",
                len(j.lines),
                format_ore(j.debit_ore),
                format_ore(j.credit_ore),
                _batch(numbers, j.journal_key),
                statuses.get(j.journal_key, "-"),
            )
            for j in journals
        ),
    )


def _totals(journals: Sequence[Journal]) -> list[str]:
    """The totals per account and per subaccount (department and cost centre)."""
    per_account: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    names: dict[str, str] = {}
    per_subaccount: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for j in journals:
        for line in j.lines:
            per_account[line.account][0] += line.debit_ore
            per_account[line.account][1] += line.credit_ore
            names.setdefault(line.account, line.description)
            per_subaccount[line.subaccount][0] += line.debit_ore
            per_subaccount[line.subaccount][1] += line.credit_ore
    out = ["", "## Totals per account", ""]
    out += _table(
        ["account", "description", "debit", "credit"],
        ["---", "---", "---:", "---:"],
        ((a, names[a], format_ore(d), format_ore(c)) for a, (d, c) in sorted(per_account.items())),
    )
    out += ["", "## Totals per department and cost centre (subaccount)", ""]
    out += _table(
        ["subaccount", "debit", "credit"],
        ["---", "---:", "---:"],
        ((s, format_ore(d), format_ore(c)) for s, (d, c) in sorted(per_subaccount.items())),
    )
    return out


def run_summary(
    period: PayPeriod | str,
    journals: Sequence[Journal],
    *,
    batch_numbers: Mapping[str, str | Sequence[str]] | None = None,
    statuses: Mapping[str, str] | None = None,
    validation: ValidationReport | None = None,
    reconciliation: ReconciliationReport | None = None,
    warnings: Iterable[str] = (),
    dry_run: bool = False,
) -> str:
    """Markdown for one pay period run.

    ``batch_numbers``: journal key → Visma batch number (falls back to the reconciliation's);
    ``statuses``: journal key → posting status (``created``, ``released``, ``adopted`` …).
    """
    p = as_period(period)
    numbers: Mapping[str, str | Sequence[str]] = dict(
        batch_numbers or (reconciliation.batch_numbers if reconciliation else {})
    )
    debit = sum(j.debit_ore for j in journals)
    credit = sum(j.credit_ore for j in journals)
    out = [
        f"# UKG payroll → Visma: pay period {p.key} (Visma period {p.visma_period_id})",
        "",
        f"**{_state(dry_run, validation, reconciliation)}** — {len(journals)} journal(s), "
        f"debit {format_ore(debit)}, credit {format_ore(credit)}.",
        "",
        "## Journals",
        "",
    ]
    out += _journal_table(journals, numbers, statuses or {})
    out += _totals(journals)
    if reconciliation is not None:
        out += ["", reconciliation.to_markdown().rstrip()]
    notes = list(warnings)
    if validation is not None:
        notes += [f"{f.message} ({f.count} rows)" for f in validation.findings]
    if notes:
        out += ["", "## Warnings and findings", ""]
        out += [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"
