"""The assets that UKG's webhooks drive, with the watcher that turns the inbox into asset events.

``UKG_GL_EXPORT_EVENTS`` (GL exports no waiting pay-period run took) is watched the same way by
:class:`~ukg_visma.events.triggers.InboxGLExportEventsTrigger`; the GL events DAG schedules on it.
``UKG_EMPLOYEE_EVENTS`` is watched by :class:`~ukg_visma.events.triggers.InboxEmployeeEventsTrigger`
in Airflow's triggerer; the employee-sync DAG schedules on it *or* its cron
(``AssetOrTimeSchedule``). Importing this module reads nothing and connects nowhere (DAG parsing).
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetWatcher

from ukg_visma.events.triggers import InboxEmployeeEventsTrigger, InboxGLExportEventsTrigger

EMPLOYEE_EVENTS_ASSET = "ukg_employee_events"
GL_EXPORT_EVENTS_ASSET = "ukg_gl_export_events"

UKG_EMPLOYEE_EVENTS = Asset(
    name=EMPLOYEE_EVENTS_ASSET,
    uri="ukg://webhooks/employee-events",
    group="ukg",
    watchers=[AssetWatcher(name="ukg_inbox_employee_events", trigger=InboxEmployeeEventsTrigger())],
)

# GL exports no waiting pay-period run took (a re-export of a past period): the GL events DAG.
UKG_GL_EXPORT_EVENTS = Asset(
    name=GL_EXPORT_EVENTS_ASSET,
    uri="ukg://webhooks/gl-export-events",
    group="ukg",
    watchers=[
        AssetWatcher(name="ukg_inbox_gl_export_events", trigger=InboxGLExportEventsTrigger())
    ],
)
