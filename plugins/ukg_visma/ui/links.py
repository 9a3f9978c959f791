"""The run report in the Airflow UI: an extra link on ``validate`` and ``reconcile`` and a tab on
the run (external view), both pointing at the plugin's report page.

Airflow 3.3's plugin docs recommend ``external_views`` for pages a plugin serves itself (shown in
an iframe in the UI) and operator extra links for buttons on a task instance. Both are used: the
``Run report`` tab on every run of the pay-period DAG, and a ``Run report`` button on the two tasks
that write the report.
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.sdk import BaseOperatorLink

from ukg_visma.ui.urls import PAYROLL_DAG_ID, URL_PREFIX, report_href

REPORT_TASKS = frozenset({"validate", "reconcile"})


class RunReportLink(BaseOperatorLink):
    """``Run report`` on the pay-period DAG's ``validate`` and ``reconcile``; nothing elsewhere."""

    name = "Run report"
    dag_ids: ClassVar[frozenset[str]] = frozenset({PAYROLL_DAG_ID})

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        if ti_key.dag_id not in self.dag_ids or ti_key.task_id not in REPORT_TASKS:
            return ""
        return report_href(ti_key.dag_id, ti_key.run_id)


RUN_REPORT_VIEW: dict[str, Any] = {
    "name": "Run report",
    "href": URL_PREFIX + "/reports/{DAG_ID}/{RUN_ID}",
    "destination": "dag_run",
    "url_route": "ukg-visma-run-report",
    "category": "UKG → Visma",
}
