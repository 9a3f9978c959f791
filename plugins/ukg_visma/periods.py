"""Which pay period a DAG run is about.

The pay-period DAG runs on a partitioned timetable (:func:`pay_period_timetable`): every
scheduled and backfilled run carries its pay month as its **partition key** (``2026-07``) and has
no logical date and no data interval. A run can name its period in three ways, consulted in this
order: the partition key (scheduled and backfilled runs; a manual run whose trigger dialog named
one), the ``period`` param (manual runs, the GL-events DAG, ``airflow dags test``), then the data
interval (runs made before the switch to partitions, kept in the metadata DB). One function,
:func:`resolve_period`, so that every task, note, alert and report of a run agrees on the period
(and a DAG per company reuses it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ukg_visma.errors import NotRetryable

if TYPE_CHECKING:
    from airflow.sdk import CronPartitionTimetable

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


PARTITION_KEY_FORMAT = "%Y-%m"  # a pay period's partition key: PayPeriod.key


def pay_period_timetable(cron: str, timezone: str = SCHEDULE_TIMEZONE) -> CronPartitionTimetable:
    """The pay-period DAG's schedule: one run per pay month, *named* by it.

    ``CronPartitionTimetable`` with ``run_offset=-1``: the run at the cron tick of 1 November is
    for the month that ended, partition key ``2026-10``; a backfill from 2026-07-01 to
    2026-09-30 makes the runs ``2026-07``, ``2026-08``, ``2026-09`` (measured in
    docs/decisions/partitioned-pay-periods.md). Its runs have no data interval.
    """
    from airflow.sdk import CronPartitionTimetable

    return CronPartitionTimetable(
        cron, timezone=timezone, run_offset=-1, key_format=PARTITION_KEY_FORMAT
    )


def _month_before(when: dt.datetime, timezone: str) -> PayPeriod:
    """The pay month that ended before ``when`` (Oslo): what a manual run at ``when`` is for."""
    this = _local_month(when, timezone)
    return PayPeriod(this.year - (this.month == 1), (this.month - 2) % 12 + 1)


def resolve_period(
    *,
    param: str | None = None,
    partition_key: str | None = None,
    data_interval_start: dt.datetime | None = None,
    data_interval_end: dt.datetime | None = None,
    run_type: str | None = None,
    timezone: str = SCHEDULE_TIMEZONE,
) -> PayPeriod:
    """Partition key → ``period`` param → data interval; a run that names its own keeps it.

    A ``period`` param that disagrees with the run's partition key is refused (whatever the run
    type: the key *is* the run's period, the run list shows it); one that disagrees with a
    scheduled or backfilled run's data interval (a run made before the switch) is refused too.
    A manual run with neither (the trigger dialog left empty) has the zero-length interval at its
    trigger time that a partitioned timetable infers: it is for the month that ended, as the
    schedule's run at that time would be. A month-long interval (before the switch) is its month.
    """
    own: PayPeriod | None = None
    if partition_key:
        own = PayPeriod.parse(partition_key[:7])
    elif data_interval_start is not None:
        if data_interval_end is not None and data_interval_end <= data_interval_start:
            own = _month_before(data_interval_start, timezone)
        else:
            own = _local_month(data_interval_start, timezone)
    if param:
        asked = PayPeriod.parse(param)
        binding = bool(partition_key) or run_type in ("scheduled", "backfill")
        if binding and own is not None and asked != own:
            raise PeriodError(
                f"this {run_type} run is for pay period {own.key} "
                f"({'its partition key' if partition_key else 'its data interval'}); the "
                f"'period' param {asked.key} disagrees. Leave 'period' empty here, or trigger a "
                f"run with partition key {asked.key}."
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
        partition_key=context.get("partition_key") or getattr(dag_run, "partition_key", None),
        data_interval_start=context.get("data_interval_start"),
        data_interval_end=context.get("data_interval_end"),
        run_type=_run_type_text(getattr(dag_run, "run_type", None)),
    )


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    """A time from a ``DagRun`` (datetime) or the REST API (ISO text, ``Z``)."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def period_to_post(
    conf: Mapping[str, Any] | None,
    partition_key: str | None,
    data_interval_start: dt.datetime | str | None,
    run_type: object,
    data_interval_end: dt.datetime | str | None = None,
) -> PayPeriod | None:
    """The pay period a run is to *post*, or None for a run that posts nothing of its own (a
    dry run, a reversal-only run) or cannot say (its first task fails with the same message).

    From a run's stored fields (the scheduler's ``DagRun`` or the REST API's run), for the
    posting-deadline reference and the missed-deadline alert.
    """
    conf = conf or {}
    if conf.get("dry_run") or conf.get("reverse_batches"):
        return None
    try:
        return resolve_period(
            param=conf.get("period"),
            partition_key=partition_key,
            data_interval_start=_aware(data_interval_start),
            data_interval_end=_aware(data_interval_end),
            run_type=_run_type_text(run_type),
        )
    except ValueError:
        return None
