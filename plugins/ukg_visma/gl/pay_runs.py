"""Which GL runs belong to a pay month, their pay date, whether they are ready, whether voided.

Why this exists: UKG publishes no pay-run listing. What it publishes is the GL export itself
(``mostRecent``; ``runId``; block 1 of a run says its pay group, company, period dates and
``glRunDateTime``), the pay calendar per pay group (``paygroup-payperiods``: pay dates,
``periodControl``, ``isPeriodClosed``) and the pay register (``isVoided``/``isVoidingRecord`` per
check). So discovery is: gather candidate run ids from every source we have (the ``run_id``
param, GL-run events in the webhook inbox, ``mostRecent``, the run ids in our own journal keys
in Visma), read each candidate's GL header, and match it to a pay period of its pay group. The
design and its reasons: docs/decisions/pay-run-discovery.md.

Pure: headers, pay periods and checks come in as plain dicts (as UKG answers them); the I/O is
in ``tasks/payroll/extract.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ukg_visma.errors import NotRetryable
from ukg_visma.periods import PayPeriod

__all__ = [
    "PAY_DATE_FALLBACK",
    "Discovery",
    "FoundRun",
    "GLRunNotFoundError",
    "choose_pay_period",
    "discover",
    "is_voided",
    "month_controls",
    "of_company",
]

PAY_DATE_FALLBACK = "payPeriodEndDate"


class GLRunNotFoundError(NotRetryable, RuntimeError):
    """UKG has a closed pay period of a configured pay group in the month, and no GL run of it
    was found: ending green with nothing posted would hide a whole payroll."""


def of_company(item: Mapping[str, Any], company_code: str, *, strict: bool = True) -> bool:
    """Whether a pay run or GL line belongs to the UKG company ``company_code``
    (``company.ukg_company_code``: UKG's ``companyCode``, or its ``coId``).

    ``strict=False`` keeps an item that names no company at all (the lines then decide).
    """
    named = (item.get("companyCode"), item.get("coId"))
    if not strict and not any(named):
        return True
    return company_code in named


def day(value: Any) -> dt.date | None:
    """The date part of a UKG date or date-time (``2026-10-23T00:00:00`` → 2026-10-23)."""
    text = str(value or "").strip()[:10]
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def month_controls(period: PayPeriod, *, months_around: int = 1) -> tuple[str, str]:
    """``(startPerControl, endPerControl)`` covering the pay month ± ``months_around``: a run
    whose period dates lie in one month may be paid in the next (pay in arrears)."""
    first = period.start.year * 12 + period.start.month - 1 - months_around
    last = period.start.year * 12 + period.start.month - 1 + months_around
    lo = dt.date(first // 12, first % 12 + 1, 1)
    hi_next = last + 1
    hi = dt.date(hi_next // 12, hi_next % 12 + 1, 1) - dt.timedelta(days=1)
    return f"{lo:%Y%m%d}0", f"{hi:%Y%m%d}9"


@dataclass(frozen=True)
class FoundRun:
    """One GL run matched (or not) to a pay period."""

    run_id: str
    company: str
    co_id: str
    pay_group: str
    gl_run_datetime: str
    period_start: dt.date | None
    period_end: dt.date | None
    pay_date: dt.date | None
    pay_date_source: str  # "paygroup-payperiods" | PAY_DATE_FALLBACK | "posted" | ""
    period_control: str | None
    period_closed: bool | None  # None: no pay period known for the run
    voided: bool = False
    sources: tuple[str, ...] = ()

    def as_xcom(self) -> dict[str, Any]:
        """The run as the sensor hands it to ``extract`` (JSON-native)."""
        return {
            "runId": self.run_id,
            "companyCode": self.company,
            "coId": self.co_id,
            "payGroup": self.pay_group,
            "glRunDateTime": self.gl_run_datetime,
            "payDate": self.pay_date.isoformat() if self.pay_date else None,
            "payDateSource": self.pay_date_source,
            "periodControl": self.period_control,
            "periodClosed": self.period_closed,
            "voided": self.voided,
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class Discovery:
    """What discovery found for one pay month."""

    ready: tuple[FoundRun, ...]  # GL export there and (where known) its pay period closed
    waiting: tuple[FoundRun, ...]  # of this month, but the pay period is still open
    missing: tuple[Mapping[str, Any], ...]  # closed pay periods of the month without a GL run
    open_periods: tuple[Mapping[str, Any], ...]  # pay periods of the month still open
    findings: tuple[str, ...] = field(default=())

    def missing_text(self, period: PayPeriod) -> str:
        named = "; ".join(
            f"pay group {p.get('payGroup')} pay date {str(p.get('payDate'))[:10]} "
            f"(periodControl {p.get('periodControl')})"
            for p in self.missing
        )
        return (
            f"pay period {period.key}: UKG has closed pay period(s) {named}, but no GL run of "
            "them was found (UKG publishes no pay-run listing; looked at the run_id param, the "
            "GL-run events in the webhook inbox, the most recent GL export and our journals in "
            "Visma). Nothing was posted. Trigger the period again with run_id=<UKG GL run id> "
            "(several: comma-separated), or check the GL webhook subscription."
        )


def choose_pay_period(
    header: Mapping[str, Any],
    periods: Sequence[Mapping[str, Any]],
    *,
    posted_pay_date: dt.date | None = None,
    claimed: Iterable[str] = (),
) -> tuple[Mapping[str, Any] | None, list[str]]:
    """The pay period of a GL run: same pay group, same period start and end dates.

    Several pay dates may share the period dates (a regular and an off-cycle payroll of one
    month). Then: the pay date our journals of this run already carry in Visma, if it is one of
    them; else the first pay date on or after the run's ``glRunDateTime``; else the last one
    before it — with a finding naming the choice. None when no period matches.
    """
    group = str(header.get("payGroup") or "")
    start, end = day(header.get("periodStartDate")), day(header.get("periodEndDate"))
    same = [
        p
        for p in periods
        if str(p.get("payGroup")) == group
        and day(p.get("periodStartDate")) == start
        and day(p.get("periodEndDate")) == end
    ]
    if not same:
        return None, []
    if len(same) == 1:
        return same[0], []
    taken = set(claimed)
    free = [p for p in same if str(p.get("periodControl")) not in taken]
    if posted_pay_date is None and free and len(free) < len(same):
        same = free  # another run of the month already holds the others
    if len(same) == 1:
        return same[0], []
    ordered = sorted(same, key=lambda p: (day(p.get("payDate")) or dt.date.max, str(p)))
    run_id = header.get("runId")
    dates = ", ".join(str(day(p.get("payDate"))) for p in ordered)
    if posted_pay_date is not None:
        for p in ordered:
            if day(p.get("payDate")) == posted_pay_date:
                return p, []
    exported = day(header.get("glRunDateTime"))
    after = [
        p for p in ordered if exported is None or (day(p.get("payDate")) or dt.date.min) >= exported
    ]
    chosen = after[0] if after else ordered[-1]
    return chosen, [
        f"run {run_id}: pay group {group} has {len(same)} pay dates for {start}..{end} "
        f"({dates}); took {day(chosen.get('payDate'))} (the first on or after the GL export "
        f"{exported}, else the last) — give posting_date to date the journal otherwise"
    ]


def is_voided(checks: Iterable[Mapping[str, Any]]) -> tuple[bool, str | None]:
    """Whether a pay period's checks say the payroll was voided: there are checks, and every
    check that is not itself a voiding record is ``isVoided``. ``(voided, finding)``: a partial
    void is not a void (UKG re-runs the GL for it) and is named."""
    originals = [c for c in checks if not c.get("isVoidingRecord")]
    if not originals:
        return False, None
    voided = [c for c in originals if c.get("isVoided") is True]
    if voided and len(voided) < len(originals):
        return False, f"{len(voided)} of {len(originals)} checks voided (a partial void)"
    return bool(voided), None


def _in_company(
    run_id: str, head: Mapping[str, Any], company_code: str, named: set[str], findings: list[str]
) -> bool:
    """Whether the run's GL export is of the company (a named run of another is a finding)."""
    company = str(head.get("companyCode") or "")
    co_id = str(head.get("coId") or "")
    if company_code in (company, co_id):
        return True
    if run_id in named:
        findings.append(f"run {run_id} is of UKG company {company or co_id}, not {company_code}")
    return False


def _dated(
    run_id: str,
    head: Mapping[str, Any],
    period: PayPeriod,
    pay_periods: Sequence[Mapping[str, Any]],
    *,
    posted_pay_date: dt.date | None,
    claimed: set[str],
    findings: list[str],
) -> tuple[dt.date | None, str, str | None, bool | None]:
    """The run's pay date, where it came from, its period control and whether that pay period
    is closed: from the matching pay period (``choose_pay_period``), else from the header's
    ``PAY_DATE_FALLBACK`` (a finding when that lands in the month)."""
    matched, notes = choose_pay_period(
        head, pay_periods, posted_pay_date=posted_pay_date, claimed=claimed
    )
    findings.extend(notes)
    if matched is not None:
        claimed.add(str(matched.get("periodControl")))
        control = str(matched.get("periodControl") or "") or None
        closed = matched.get("isPeriodClosed") is True
        return day(matched.get("payDate")), "paygroup-payperiods", control, closed
    pay_date = day(head.get(PAY_DATE_FALLBACK))
    if pay_date is not None and period.start <= pay_date <= period.end:
        findings.append(
            f"run {run_id}: no pay period of pay group {head.get('payGroup') or ''} has its "
            f"period dates {day(head.get('periodStartDate'))}..{day(head.get('periodEndDate'))}; "
            f"pay date taken from {PAY_DATE_FALLBACK} {pay_date}"
        )
    return pay_date, PAY_DATE_FALLBACK, None, None


def _month_periods(
    period: PayPeriod,
    pay_periods: Sequence[Mapping[str, Any]],
    groups: set[str],
    covered: set[str],
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The configured pay groups' pay periods paid in the month: the closed ones no found run
    covers (missing), and the open ones."""
    in_month = [
        p
        for p in pay_periods
        if str(p.get("payGroup")) in groups
        and (d := day(p.get("payDate"))) is not None
        and period.start <= d <= period.end
    ]
    missing = [
        p
        for p in in_month
        if p.get("isPeriodClosed") is True and str(p.get("periodControl")) not in covered
    ]
    return missing, [p for p in in_month if p.get("isPeriodClosed") is not True]


def discover(
    period: PayPeriod,
    headers: Mapping[str, Mapping[str, Any]],
    sources: Mapping[str, Sequence[str]],
    pay_periods: Sequence[Mapping[str, Any]],
    voids: Mapping[str, tuple[bool, str | None]],
    *,
    pay_groups: Iterable[str],
    company_code: str,
    posted_pay_dates: Mapping[str, dt.date] | None = None,
    named_runs: Iterable[str] = (),
) -> Discovery:
    """Match every candidate's GL header to a pay period and keep the month's runs.

    ``headers``: run id → block 1's first line (runs without an export are absent);
    ``sources``: run id → where its id came from; ``pay_periods``: the configured pay groups'
    periods around the month; ``voids``: period control → :func:`is_voided` of its checks;
    ``named_runs``: the ``run_id`` param — those runs are taken whatever their pay group, and
    the missing-run check is a finding, not an error (the user named what to post).
    """
    groups = set(pay_groups)
    named = set(named_runs)
    posted = posted_pay_dates or {}
    findings: list[str] = []
    ready: list[FoundRun] = []
    waiting: list[FoundRun] = []
    claimed: set[str] = set()

    def order(item: tuple[str, Mapping[str, Any]]) -> tuple[int, str, str]:
        # runs already posted keep their pay date first; then by first export time
        rid, head = item
        return (0 if rid in posted else 1, str(head.get("glRunDateTime") or ""), rid)

    for run_id, head in sorted(headers.items(), key=order):
        if not _in_company(run_id, head, company_code, named, findings):
            continue
        group = str(head.get("payGroup") or "")
        if run_id not in named and group not in groups:
            continue
        pay_date, source, control, closed = _dated(
            run_id, head, period, pay_periods,
            posted_pay_date=posted.get(run_id), claimed=claimed, findings=findings,
        )  # fmt: skip
        if pay_date is None or not period.start <= pay_date <= period.end:
            if run_id in named:
                findings.append(f"run {run_id}: pay date {pay_date} is not in {period.key}")
            continue
        voided, note = voids.get(control or "", (False, None))
        if note:
            findings.append(f"run {run_id}: {note}")
        co_id = str(head.get("coId") or "")
        found = FoundRun(
            run_id=run_id,
            company=str(head.get("companyCode") or "") or co_id,
            co_id=co_id,
            pay_group=group,
            gl_run_datetime=str(head.get("glRunDateTime") or ""),
            period_start=day(head.get("periodStartDate")),
            period_end=day(head.get("periodEndDate")),
            pay_date=pay_date,
            pay_date_source=source,
            period_control=control,
            period_closed=closed,
            voided=voided,
            sources=tuple(sources.get(run_id, ())),
        )
        if not found.gl_run_datetime and not voided:
            findings.append(f"run {run_id}: its GL export has no glRunDateTime yet: waiting")
            waiting.append(found)
        elif closed is False and not voided:
            waiting.append(found)
        else:
            ready.append(found)
    covered = {r.period_control for r in (*ready, *waiting) if r.period_control}
    missing, open_periods = _month_periods(period, pay_periods, groups, covered)
    if named and missing:
        findings.append(
            "closed pay period(s) without a named run: "
            + ", ".join(f"{p.get('payGroup')} {str(p.get('payDate'))[:10]}" for p in missing)
        )
        missing = []
    return Discovery(
        ready=tuple(sorted(ready, key=lambda r: (r.pay_date or dt.date.min, r.run_id))),
        waiting=tuple(waiting),
        missing=tuple(missing),
        open_periods=tuple(open_periods),
        findings=tuple(findings),
    )
