"""Validate a pay period in advance, all or nothing, against what Visma allows.

Why in advance: Visma rejects a bad journal only when it is posted — one batch at a time, after
others went through. Checking every source line and journal against the live chart, segment
values, projects and periods first means a pay period posts completely or not at all.

Each finding (:mod:`ukg_visma.gl.findings`) is one distinct problem (rule × subject, e.g.
"cost centre 360"), with the fix and every UKG source row it affects; ``report.to_csv()`` lists
the rows, ``to_markdown()`` summarises for the task log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ukg_visma.gl.catalog import CatalogSegment, VismaCatalog
from ukg_visma.gl.columns import factorize
from ukg_visma.gl.findings import (
    ROW_COLUMNS,
    Finding,
    JournalValidationError,
    Severity,
    ValidationReport,
)
from ukg_visma.gl.journal import Journal, as_period
from ukg_visma.gl.posting_period import posting_period
from ukg_visma.money import format_ore, to_decimal
from ukg_visma.periods import PayPeriod
from ukg_visma.settings import SegmentSetting, Settings

__all__ = ["Finding", "JournalValidationError", "ValidationReport", "named_rows", "validate"]

ACCOUNTS_CSV = "include/mappings/accounts.csv"
COST_CENTERS_CSV = "include/mappings/cost_centers.csv"
PROJECTS_CSV = "include/mappings/projects.csv"


def _rows(mapped: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    sel = mapped.loc[mask]
    rows = pd.DataFrame({c: sel[c] for c in ROW_COLUMNS if c in sel.columns})
    rows["debit"] = sel["debit_ore"].map(lambda o: str(to_decimal(o)))
    rows["credit"] = sel["credit_ore"].map(lambda o: str(to_decimal(o)))
    return rows.reset_index(drop=True)[ROW_COLUMNS]


def _seg_name(s: SegmentSetting) -> str:
    return s.name.lower()


class _Collector:
    def __init__(self, mapped: pd.DataFrame) -> None:
        self.mapped = mapped
        self.findings: list[Finding] = []
        self.named = np.zeros(len(mapped), dtype=bool)  # rows some finding names
        self._codes: dict[str, tuple[np.ndarray, dict[str, int]]] = {}

    def eq(self, column: str, value: str) -> np.ndarray:
        """``mapped[column] == value``, on the column's factorised codes (computed once)."""
        if column not in self._codes:
            codes, uniques = factorize(self.mapped[column])
            self._codes[column] = (codes, {str(u): i for i, u in enumerate(uniques)})
        codes, positions = self._codes[column]
        return codes == positions.get(value, -2)

    def add(
        self,
        rule: str,
        subject: str,
        problem: str,
        fix: str,
        mask: pd.Series | None = None,
        *,
        severity: Severity = "error",
        count: int | None = None,
    ) -> None:
        rows = _rows(self.mapped, mask) if mask is not None else pd.DataFrame(columns=ROW_COLUMNS)
        if mask is not None:
            self.named |= np.asarray(mask, dtype=bool)
        n = count if count is not None else len(rows)
        self.findings.append(Finding(rule, severity, subject, problem, fix, n, rows))


def _distinct(values: pd.Series, *, keep_blank: bool = False) -> list[str]:
    """Sorted distinct values (``unique`` is vectorised; iterating the column is not)."""
    found = {str(v) for v in values.unique()}
    return sorted(found if keep_blank else found - {""})


def _ukg_for(mapped: pd.DataFrame, mask: pd.Series | np.ndarray, column: str) -> str:
    return ", ".join(_distinct(mapped[column][mask]))


def _check_mapping(c: _Collector, segments: Sequence[SegmentSetting]) -> None:
    m = c.mapped
    bad = ~m["account_ok"]
    for code in _distinct(m["ukg_account"][bad], keep_blank=True):
        c.add(
            "account_unmapped",
            f"UKG account {code}",
            f"UKG account {code} has no Visma account mapping",
            f"add it to {ACCOUNTS_CSV}",
            bad & c.eq("ukg_account", code),
        )
    for s in segments:
        bad = ~m[f"seg_{s.segment_id}_ok"]
        level = f"org_level{s.ukg_level}"
        codes = m[level]
        name = _seg_name(s)
        if (bad & c.eq(level, "")).any():
            c.add(
                "org_level_blank",
                f"{name} missing",
                f"UKG lines on expense accounts have no {name} (orgLevel{s.ukg_level})",
                "set the employees' org levels in UKG and re-run the GL export",
                bad & c.eq(level, ""),
            )
        for code in _distinct(codes[bad]):
            c.add(
                "segment_unmapped",
                f"{name} {code}",
                f"{name} {code} from UKG has no Visma segment value",
                f"add it to {COST_CENTERS_CSV} or run the alignment DAG",
                bad & c.eq(level, code),
            )
    bad = ~m["project_ok"]
    for code in _distinct(m["project"][bad], keep_blank=True):
        c.add(
            "project_unmapped",
            f"project {code}",
            f"project {code} from UKG has no Visma project mapping",
            f"add it to {PROJECTS_CSV} (create the project in Visma first if it is missing)",
            bad & c.eq("project", code),
        )


def _check_accounts(c: _Collector, catalog: VismaCatalog, currency: str) -> None:
    m = c.mapped
    usable = m["account_ok"]
    for cd in _distinct(m["visma_account"][usable], keep_blank=True):
        acc = catalog.accounts.get(cd)
        subject = f"Visma account {cd}"
        problems: list[tuple[str, str, str]] = []  # (rule, problem, fix template)
        if acc is None:
            problems.append(
                ("account_missing", f"Visma account {cd} does not exist",
                 "create it in Visma or correct the row for UKG account {ukg} in " + ACCOUNTS_CSV)
            )  # fmt: skip
        else:
            remap = "map UKG account {ukg} to another account in " + ACCOUNTS_CSV
            if not acc.active:
                problems.append(
                    ("account_inactive", f"Visma account {cd} is inactive",
                     "reactivate it in Visma or " + remap)
                )  # fmt: skip
            if acc.control_module:
                problems.append(
                    ("account_control",
                     f"Visma account {cd} is a control account ({acc.control_module}) and takes "
                     "no manual journal lines", remap)
                )  # fmt: skip
            elif acc.allow_manual_entry is False:
                problems.append(
                    ("account_no_manual_entry", f"Visma account {cd} does not allow manual entries",
                     "allow manual entries on it in Visma or " + remap)
                )  # fmt: skip
            if acc.currency and currency and acc.currency != currency:
                problems.append(
                    ("account_currency",
                     f"Visma account {cd} only takes {acc.currency} amounts, the journals are in "
                     f"{currency}", remap)
                )  # fmt: skip
        if not problems:
            continue
        mask = usable & c.eq("visma_account", cd)
        ukg = _ukg_for(m, mask, "ukg_account")
        for rule, problem, fix in problems:
            c.add(rule, subject, problem, fix.format(ukg=ukg), mask)


def _segment_problem(
    value: str, seg: CatalogSegment, name: str, segment_id: int
) -> tuple[str, str, str] | None:
    """``(rule, problem, fix template)`` for one segment value, or None when it is usable."""
    if seg.length and len(value) != seg.length:
        return (
            "segment_value_length",
            f"{name} {value} does not fit Visma SUBACCOUNT segment {segment_id} "
            f"(length {seg.length})",
            "correct the value {where}",
        )
    known = seg.values.get(value)
    if known is None and seg.validate:
        return (
            "segment_value_missing",
            f"{name} {value} does not exist in Visma (SUBACCOUNT segment {segment_id})",
            "create it in Visma or run the alignment DAG; it is {where}",
        )
    if known is not None and not known.active:
        return (
            "segment_value_inactive",
            f"{name} {value} is inactive in Visma (SUBACCOUNT segment {segment_id})",
            "reactivate it in Visma or change the value {where}",
        )
    return None


def _check_segments(
    c: _Collector, catalog: VismaCatalog, segments: Sequence[SegmentSetting]
) -> None:
    m = c.mapped
    for s in segments:
        col, name = f"seg_{s.segment_id}", _seg_name(s)
        usable = m["account_ok"] & m[f"{col}_ok"]
        seg = catalog.segments.get(s.segment_id)
        if seg is None:
            c.add(
                "segment_missing",
                f"segment {s.segment_id}",
                f"Visma SUBACCOUNT has no segment {s.segment_id} ({s.name})",
                "correct segments in include/mappings/settings.yaml",
                usable,
            )
            continue
        for value in _distinct(m[col][usable], keep_blank=True):
            found = _segment_problem(value, seg, name, s.segment_id)
            if found is None:
                continue
            rule, problem, fix = found
            mask = usable & c.eq(col, value)
            if value == s.default:
                where = f"the default {name} of balance-sheet lines (settings.yaml)"
            else:
                ukg = _ukg_for(m, mask & c.eq("dimensions", "org"), f"org_level{s.ukg_level}")
                where = f"mapped from UKG {name} {ukg} in {COST_CENTERS_CSV}"
            c.add(rule, f"{name} {value}", problem, fix.format(where=where), mask)


def _project_problems(pid: str, tid: str, catalog: VismaCatalog) -> list[tuple[str, str, str, str]]:
    """``(rule, subject, problem, fix template)`` for one Visma project/task pair."""
    project = catalog.projects.get(pid)
    if project is None:
        return [
            ("project_missing", f"Visma project {pid}", f"Visma project {pid} does not exist",
             "create it in Visma or correct the row for UKG project {ukg} in " + PROJECTS_CSV)
        ]  # fmt: skip
    out = []
    if not project.open:
        status = (project.status or "none") + (", on hold" if project.hold else "")
        out.append(
            ("project_closed", f"Visma project {pid}",
             f"Visma project {pid} is not open (status {status})",
             "reopen it in Visma or map UKG project {ukg} to an open project in " + PROJECTS_CSV)
        )  # fmt: skip
    task = project.tasks.get(tid)
    if task is None:
        out.append(
            ("task_missing", f"task {pid}/{tid}", f"Visma project {pid} has no task {tid}",
             "correct the task for UKG project {ukg} in " + PROJECTS_CSV
             + " or create the task in Visma")
        )  # fmt: skip
    elif not task.open:
        out.append(
            ("task_closed", f"task {pid}/{tid}",
             f"task {tid} of Visma project {pid} is not open (status {task.status})",
             "reopen the task in Visma or map UKG project {ukg} to an open task in "
             + PROJECTS_CSV)
        )  # fmt: skip
    return out


def _check_projects(c: _Collector, catalog: VismaCatalog) -> None:
    m = c.mapped
    usable = m["account_ok"] & m["project_ok"] & ~c.eq("visma_project", "")
    pairs = pd.DataFrame({"p": m["visma_project"][usable], "t": m["visma_task"][usable]})
    for pid, tid in sorted(set(pairs.drop_duplicates().itertuples(index=False, name=None))):
        problems = _project_problems(pid, tid, catalog)
        if not problems:
            continue
        mask = usable & c.eq("visma_project", pid) & c.eq("visma_task", tid)
        ukg = _ukg_for(m, mask, "project")
        for rule, subject, problem, fix in problems:
            c.add(rule, subject, problem, fix.format(ukg=ukg), mask)


def _check_period(
    c: _Collector, catalog: VismaCatalog, period: PayPeriod, closed_period: str, n: int
) -> None:
    pid = period.visma_period_id
    decision = posting_period(catalog.periods, pid, closed_period)
    if decision.outcome == "moved":
        target = str(decision.target)
        c.add(
            "period_moved",
            f"financial period {pid}",
            f"financial period {pid} is closed in Visma: the journals post into the next "
            f"open period {target}, dated {target[:4]}-{target[4:]}-01",
            f"nothing to do if that is intended; the pay period stays in each batch's "
            f"description; reopen {pid} and re-run to post it in its own period instead",
            severity="warning",
            count=n,
        )
    elif decision.outcome == "no_open_period":
        c.add(
            "period_closed",
            f"financial period {pid}",
            f"financial period {pid} is closed and no later period is open in Visma",
            f"open a later financial period (or reopen {pid}) in Visma",
            count=n,
        )
    elif decision.outcome == "missing":
        c.add(
            "period_missing",
            f"financial period {pid}",
            f"financial period {pid} does not exist in Visma",
            "create the financial year in Visma before posting",
            count=n,
        )
    elif decision.outcome == "closed":
        c.add(
            "period_closed",
            f"financial period {pid}",
            f"financial period {pid} is closed in the general ledger",
            f"reopen financial period {pid} in Visma (General ledger › Financial periods), or "
            "set payroll.closed_period: post_to_next_open_period in settings.yaml",
            count=n,
        )
    elif decision.outcome == "inactive":
        c.add(
            "period_inactive",
            f"financial period {pid}",
            f"financial period {pid} is not active in Visma",
            "activate the period in Visma",
            count=n,
        )


def _check_journals(c: _Collector, journals: Sequence[Journal], period: PayPeriod) -> None:
    for j in journals:
        if not j.balanced:
            c.add(
                "journal_unbalanced",
                f"journal {j.journal_key}",
                f"journal {j.journal_key} does not balance: debit {format_ore(j.debit_ore)}, "
                f"credit {format_ore(j.credit_ore)}",
                f"UKG run {j.pay_run} for company {j.company} on pay date {j.pay_date} does "
                "not balance; correct it in UKG and re-run the GL export",
                count=1,
            )
        if not period.start <= j.pay_date <= period.end:
            c.add(
                "pay_date_outside_period",
                f"journal {j.journal_key}",
                f"journal {j.journal_key} has pay date {j.pay_date}, outside pay period "
                f"{period.key}",
                "check that the run belongs to this period, or set the posting date override",
                severity="warning",
                count=1,
            )


def validate(
    mapped_lines: pd.DataFrame,
    journals: Sequence[Journal],
    catalog: VismaCatalog,
    period: PayPeriod | str,
    *,
    settings: Settings,
    source_lines: int | None = None,
) -> ValidationReport:
    """Every rule, every row; the report is ``ok`` only when nothing may stop the posting.

    ``mapped_lines`` is :func:`ukg_visma.gl.transform.map_lines`' frame, ``journals`` what
    :func:`~ukg_visma.gl.transform.build_journals` made of it. ``source_lines``: how many lines
    the period has when ``mapped_lines`` holds only the :func:`named_rows` of each group.
    """
    p = as_period(period)
    n = len(mapped_lines) if source_lines is None else source_lines
    c = _collect(mapped_lines, journals, catalog, p, settings, n)
    findings = sorted(c.findings, key=lambda f: f.severity != "error")  # errors first, stable
    return ValidationReport(
        period=p.key,
        findings=tuple(findings),
        source_lines=n,
        journals=len(journals),
        journal_lines=sum(len(j.lines) for j in journals),
    )


def named_rows(
    mapped_lines: pd.DataFrame,
    catalog: VismaCatalog,
    period: PayPeriod | str,
    *,
    settings: Settings,
) -> pd.DataFrame:
    """The rows of one group of mapped lines that some line rule names (usually none).

    Why this is enough: every line rule is a test of one row against the mappings and the
    catalog, so a row no rule names in its group is named by none in the whole period;
    :func:`validate` on the named rows of every group (with ``source_lines``, the period's
    line count) gives the whole period's report, row for row, without holding its lines.
    """
    c = _collect(mapped_lines, (), catalog, as_period(period), settings, len(mapped_lines))
    return mapped_lines.loc[c.named]


def _collect(
    mapped_lines: pd.DataFrame,
    journals: Sequence[Journal],
    catalog: VismaCatalog,
    p: PayPeriod,
    settings: Settings,
    n: int,
) -> _Collector:
    segments = sorted(settings.segments, key=lambda s: s.segment_id)
    c = _Collector(mapped_lines)
    checks: list[Callable[[], None]] = [
        lambda: _check_mapping(c, segments),
        lambda: _check_accounts(c, catalog, settings.company.currency),
        lambda: _check_segments(c, catalog, segments),
        lambda: _check_projects(c, catalog),
        lambda: _check_period(c, catalog, p, settings.payroll.closed_period, n),
        lambda: _check_journals(c, journals, p),
    ]
    for check in checks:
        check()
    ignored = mapped_lines["project_ignored"]
    if ignored.any():
        c.add(
            "project_ignored",
            "projects on balance-sheet lines",
            "UKG lines on balance-sheet accounts carry a project, which is not posted",
            f"nothing to do, unless the account should carry projects: then set its dimensions "
            f"to org in {ACCOUNTS_CSV}",
            ignored,
            severity="warning",
        )
    return c
