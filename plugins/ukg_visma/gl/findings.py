"""What validation found: findings with their source rows, and the report (CSV, Markdown).

Kept apart from the rules (:mod:`ukg_visma.gl.validate`) so that the report's shape — what a
controller reads in the task log and opens in a spreadsheet — is reviewed on its own.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from ukg_visma.errors import NotRetryable

__all__ = ["ROW_COLUMNS", "Finding", "JournalValidationError", "Severity", "ValidationReport"]

Severity = Literal["error", "warning"]
# the source-row columns every finding lists (amounts as decimal text)
ROW_COLUMNS = [
    "source_key",
    "run_id",
    "ukg_account",
    "org_level1",
    "org_level2",
    "org_level3",
    "org_level4",
    "project",
    "system_id",
    "debit",
    "credit",
]


@dataclass(frozen=True, eq=False)
class Finding:
    rule: str
    severity: Severity
    subject: str  # what is wrong, e.g. "cost centre 360"
    problem: str
    fix: str
    count: int  # affected source lines (or journals, for journal rules)
    rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ROW_COLUMNS))

    @property
    def message(self) -> str:
        return f"{self.problem} — {self.fix}"


class JournalValidationError(NotRetryable, ValueError):
    """The period did not validate; nothing may be posted. ``report`` has every finding."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        errors = report.errors
        listing = "\n".join(f"  - {f.message} ({f.count} rows)" for f in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(
            f"pay period {report.period} failed validation with {len(errors)} error(s); "
            f"nothing was posted:\n{listing}{more}"
        )


@dataclass(frozen=True, eq=False)
class ValidationReport:
    period: str
    findings: tuple[Finding, ...]
    source_lines: int
    journals: int
    journal_lines: int

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        if not self.ok:
            raise JournalValidationError(self)

    def to_csv(self) -> str:
        """One row per finding × affected source row (a finding without rows: one row)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["severity", "rule", "subject", "message", *ROW_COLUMNS])
        for f in self.findings:
            head = [f.severity, f.rule, f.subject, f.message]
            if f.rows.empty:
                writer.writerow(head + [""] * len(ROW_COLUMNS))
            for row in f.rows[ROW_COLUMNS].itertuples(index=False):
                writer.writerow(head + list(row))
        return buf.getvalue()

    def to_markdown(self, max_rows: int = 10) -> str:
        status = "OK" if self.ok else "FAILED"
        out = [
            f"## Validation of pay period {self.period}: {status} "
            f"({len(self.errors)} error(s), {len(self.warnings)} warning(s))",
            "",
            f"Checked {self.source_lines} UKG lines and {self.journals} journal(s) with "
            f"{self.journal_lines} line(s).",
        ]
        if not self.findings:
            return "\n".join(out) + "\n"
        out += ["", "| # | severity | rule | problem and fix | rows |", "|---|---|---|---|---:|"]
        for n, f in enumerate(self.findings, start=1):
            out.append(f"| {n} | {f.severity} | {f.rule} | {f.message} | {f.count} |")
        for n, f in enumerate(self.findings, start=1):
            if f.rows.empty:
                continue
            out += ["", f"### {n}. {f.subject} ({f.rule})", ""]
            out.append("| " + " | ".join(ROW_COLUMNS) + " |")
            out.append("|" + "---|" * len(ROW_COLUMNS))
            for row in f.rows[ROW_COLUMNS].head(max_rows).itertuples(index=False):
                out.append("| " + " | ".join(str(v) for v in row) + " |")
            if len(f.rows) > max_rows:
                out.append(f"\n… and {len(f.rows) - max_rows} more rows (see the CSV report).")
        return "\n".join(out) + "\n"
