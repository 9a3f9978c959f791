"""The pay-period DAG's deadline alert: "pay period not posted by day N of the following month".

An Airflow 3 ``DeadlineAlert`` on the DAG: when a run is created the scheduler evaluates the
reference below, stores the need-by time, and — if the run has not succeeded by then — queues the
callback, which the triggerer runs (``AsyncCallback``, the notifiers' async path). A run that
succeeds in time removes its deadline.

The reference is custom (registered by the project's Airflow plugin), because the need-by time
hangs on the *pay period*, not on the run: a pay month ends at midnight Oslo time, and the
deadline is the end of day N of the next month, Oslo time, whatever the run's logical date.
Runs that cannot be late get no deadline: a run created after its period's deadline (a backfill
or a re-run of an old month: the month's own run was the one that could be late), a dry run, and
a run that only reverses batches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from airflow.sdk.definitions.callback import AsyncCallback
from airflow.sdk.definitions.deadline import BaseDeadlineReference, DeadlineAlert

from ukg_visma.periods import SCHEDULE_TIMEZONE, PayPeriod, period_to_post

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ukg_visma.settings import AlertSettings


def posting_deadline_time(period: PayPeriod, day: int) -> dt.datetime:
    """End of day ``day`` of the month after ``period``, Oslo time (as an aware UTC time)."""
    nxt = period.end + dt.timedelta(days=1)
    local = dt.datetime(nxt.year, nxt.month, day, tzinfo=ZoneInfo(SCHEDULE_TIMEZONE))
    return (local + dt.timedelta(days=1)).astimezone(dt.UTC)


@dataclass
class PayPeriodPostingDeadline(BaseDeadlineReference):
    """Need-by time of a pay-period run: the end of day ``day`` of the following month (Oslo)."""

    day: int = 5
    required_kwargs = frozenset({"dag_id", "run_id"})

    def serialize_reference(self) -> dict[str, Any]:
        return {"reference_type": self.reference_name, "day": self.day}

    @classmethod
    def deserialize_reference(cls, reference_data: dict[str, Any]) -> PayPeriodPostingDeadline:
        return cls(day=int(reference_data.get("day", 5)))

    def _evaluate_with(self, *, session: Session, **kwargs: Any) -> dt.datetime | None:
        from airflow.models import DagRun
        from sqlalchemy import select

        run = session.scalar(
            select(DagRun).where(
                DagRun.dag_id == kwargs["dag_id"], DagRun.run_id == kwargs["run_id"]
            )
        )
        if run is None:
            return None
        period = period_to_post(
            run.conf, run.partition_key, run.data_interval_start, run.run_type,
            run.data_interval_end,
        )  # fmt: skip
        if period is None:
            return None
        need_by = posting_deadline_time(period, self.day)
        if need_by <= dt.datetime.now(dt.UTC):
            return None  # created after its deadline: a backfill or re-run cannot be "late"
        return need_by


async def period_not_posted(context: dict[str, Any] | None = None, **_: Any) -> int:
    """Deadline callback (runs in the triggerer): tell the configured channels."""
    from ukg_visma.alerts.notify import asend, missed_deadline_alert
    from ukg_visma.settings import load_settings

    context = context or {}
    return await asend(missed_deadline_alert(context), load_settings().alerts, context)


def deadline_alert(
    reference: BaseDeadlineReference, interval: dt.timedelta = dt.timedelta(0)
) -> DeadlineAlert:
    """A ``DeadlineAlert`` whose miss calls ``period_not_posted`` in the triggerer."""
    return DeadlineAlert(
        reference=reference,
        interval=interval,
        callback=AsyncCallback(period_not_posted),
        name="pay period not posted",
    )


def posting_deadline(settings: AlertSettings) -> list[DeadlineAlert]:
    """The DAG's ``deadline``: none unless ``posting_deadline_day`` and a channel are set."""
    if settings.posting_deadline_day is None or not settings.enabled:
        return []
    return [deadline_alert(PayPeriodPostingDeadline(day=settings.posting_deadline_day))]
