"""
### UKG employee changes → Visma employees and dimensions (every few hours)

Drains the webhook inbox, polls the UKG change feed since the watermark, classifies hires,
terminations, rehires and transfers, upserts Visma employees with If-Match and checks headcounts.

Not implemented yet: waits for issue #7.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

DEFAULT_ARGS = {"owner": "finance-data", "retries": 2}


@dag(
    dag_id="ukg_visma_employee_sync",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Oslo"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["ukg", "visma", "employees"],
    doc_md=__doc__,
)
def ukg_visma_employee_sync() -> None:
    @task
    def not_implemented() -> None:
        raise NotImplementedError("ukg_visma_employee_sync is built by issue #7")

    not_implemented()


ukg_visma_employee_sync()
