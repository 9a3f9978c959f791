"""The run report in the Airflow UI: an extra link on ``validate`` and ``reconcile`` and a tab on
the run (external view), both pointing at the plugin's report page.

Airflow 3.3's plugin docs recommend ``external_views`` for pages a plugin serves itself (shown in
an iframe in the UI) and operator extra links for buttons on a task instance. Both are used: the
``Run report`` tab on every DAG run (the page knows each DAG's report: pay period, employee sync,
alignment), and a ``Run report`` button on the tasks that write a report.
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.sdk import BaseOperatorLink

from ukg_visma.companies import is_payroll_dag
from ukg_visma.ui.urls import (
    ALIGNMENT_DAG_ID,
    EMPLOYEE_SYNC_DAG_ID,
    PAYROLL_DAG_ID,
    URL_PREFIX,
    report_href,
)

# The tasks that write each DAG's report (their extra link opens it).
REPORT_TASKS_BY_DAG: dict[str, frozenset[str]] = {
    PAYROLL_DAG_ID: frozenset({"validate", "approve_posting", "reconcile"}),
    EMPLOYEE_SYNC_DAG_ID: frozenset({"check_headcount"}),
    ALIGNMENT_DAG_ID: frozenset({"plan", "verify"}),
}
REPORT_TASKS = REPORT_TASKS_BY_DAG[PAYROLL_DAG_ID]


class RunReportLink(BaseOperatorLink):
    """``Run report`` on the tasks that write a report (:data:`REPORT_TASKS_BY_DAG`)."""

    name = "Run report"
    dag_ids: ClassVar[frozenset[str]] = frozenset(REPORT_TASKS_BY_DAG)

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        dag_id = PAYROLL_DAG_ID if is_payroll_dag(ti_key.dag_id) else ti_key.dag_id
        if ti_key.task_id not in REPORT_TASKS_BY_DAG.get(dag_id, frozenset()):
            return ""
        return report_href(ti_key.dag_id, ti_key.run_id)


RUN_REPORT_VIEW: dict[str, Any] = {
    "name": "Run report",
    "href": URL_PREFIX + "/reports/{DAG_ID}/{RUN_ID}",
    "destination": "dag_run",
    "url_route": "ukg-visma-run-report",
    "category": "UKG → Visma",
}
