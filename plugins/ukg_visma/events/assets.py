"""The assets that UKG's webhooks drive, with the watcher that turns the inbox into asset events.

``UKG_EMPLOYEE_EVENTS`` is watched by :class:`~ukg_visma.events.triggers.InboxEmployeeEventsTrigger`
in Airflow's triggerer; the employee-sync DAG schedules on it *or* its cron
(``AssetOrTimeSchedule``). Importing this module reads nothing and connects nowhere (DAG parsing).
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetWatcher

from ukg_visma.events.triggers import InboxEmployeeEventsTrigger

EMPLOYEE_EVENTS_ASSET = "ukg_employee_events"

UKG_EMPLOYEE_EVENTS = Asset(
    name=EMPLOYEE_EVENTS_ASSET,
    uri="ukg://webhooks/employee-events",
    group="ukg",
    watchers=[AssetWatcher(name="ukg_inbox_employee_events", trigger=InboxEmployeeEventsTrigger())],
)
