"""Which pay period a DAG run is about.

A run can say it in three ways, and they are consulted in this order: an explicit ``period``
param (manual runs, ``airflow dags test``), the run's partition key (partitioned timetables and
their backfills have no logical date), then the data interval (classic scheduled runs and
backfills). One function, so that every task of a run agrees on the period.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ukg_visma.errors import NotRetryable

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PeriodError(NotRetryable, ValueError):
    """The run does not say which pay period it is for."""


@dataclass(frozen=True, order=True)
class PayPeriod:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> PayPeriod:
        m = _PERIOD.match(text.strip())
        if not m:
            raise PeriodError(f"pay period {text!r} is not YYYY-MM")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def key(self) -> str:
        """``2026-10``: how runs, reports and the audit name the period."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def visma_period_id(self) -> str:
        """``202610``: Visma's ``financialPeriod`` / ``periodId``."""
        return f"{self.year:04d}{self.month:02d}"

    @property
    def visma_post_period(self) -> str:
        """``102026``: Visma's ``postPeriod`` (MMYYYY)."""
        return f"{self.month:02d}{self.year:04d}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        nxt = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)


SCHEDULE_TIMEZONE = "Europe/Oslo"  # the pay-period DAG's schedule; a pay month is a local month


def _local_month(start: dt.datetime, timezone: str) -> PayPeriod:
    """The pay month of a data interval start, read in the schedule's timezone.

    Airflow hands the interval over in UTC: October's run starts 2026-09-30T22:00Z, which is
    2026-10-01 00:00 in Oslo.
    """
    from zoneinfo import ZoneInfo

    local = start.astimezone(ZoneInfo(timezone)) if start.tzinfo is not None else start
    return PayPeriod(local.year, local.month)


def resolve_period(
    *,
    param: str | None = None,
    partition_key: str | None = None,
    data_interval_start: dt.datetime | None = None,
    run_type: str | None = None,
    timezone: str = SCHEDULE_TIMEZONE,
) -> PayPeriod:
    """Param → partition key → data interval; a scheduled or backfilled run keeps its own.

    A ``period`` param that disagrees with a scheduled or backfilled run's interval is refused
    (the backfill dialog can pass one to every run it makes): such a run is about its interval.
    """
    own: PayPeriod | None = None
    if partition_key:
        own = PayPeriod.parse(partition_key[:7])
    elif data_interval_start is not None:
        own = _local_month(data_interval_start, timezone)
    if param:
        asked = PayPeriod.parse(param)
        if run_type in ("scheduled", "backfill") and own is not None and asked != own:
            raise PeriodError(
                f"this {run_type} run is for pay period {own.key} "
                f"({'its partition key' if partition_key else 'its data interval'}); the "
                f"'period' param {asked.key} disagrees. Leave 'period' empty for scheduled and "
                f"backfilled runs, or trigger a manual run for {asked.key}."
            )
        return asked
    if own is not None:
        return own
    raise PeriodError(
        "the run names no pay period: pass the 'period' param (YYYY-MM), or run it from the "
        "schedule or a backfill so that it has a partition key or a data interval"
    )


def _run_type_text(run_type: object) -> str | None:
    """``DagRunType.SCHEDULED`` or ``"scheduled"`` → ``"scheduled"``."""
    value = getattr(run_type, "value", run_type)
    return str(value) if value else None


def period_of_task(context: Mapping[str, Any]) -> PayPeriod:
    """The period of the run a task (or a task's callback) runs in: param → partition key →
    data interval, exactly as :func:`resolve_period` orders them. Used by the task runtime and
    by the failure alert, so both name the same period."""
    dag_run = context["dag_run"]
    params = context.get("params") or {}
    return resolve_period(
        param=params.get("period"),
        partition_key=getattr(dag_run, "partition_key", None),
        data_interval_start=context.get("data_interval_start"),
        run_type=_run_type_text(getattr(dag_run, "run_type", None)),
    )


def period_to_post(
    conf: Mapping[str, Any] | None,
    partition_key: str | None,
    data_interval_start: dt.datetime | str | None,
    run_type: object,
) -> PayPeriod | None:
    """The pay period a run is to *post*, or None for a run that posts nothing of its own (a
    dry run, a reversal-only run) or cannot say (its first task fails with the same message).

    From a run's stored fields (the scheduler's ``DagRun`` or the REST API's run), for the
    posting-deadline reference and the missed-deadline alert.
    """
    conf = conf or {}
    if conf.get("dry_run") or conf.get("reverse_batches"):
        return None
    start = data_interval_start
    if isinstance(start, str):
        start = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
    try:
        return resolve_period(
            param=conf.get("period"),
            partition_key=partition_key,
            data_interval_start=start,
            run_type=_run_type_text(run_type),
        )
    except ValueError:
        return None
