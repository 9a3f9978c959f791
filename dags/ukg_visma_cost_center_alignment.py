"""
### Cost-centre alignment (manual, at initial setup)

Aligns UKG org levels and Visma SUBACCOUNT segment values in both directions and writes the
cost-centre mapping; conflicts are reported, never overwritten silently.

Not implemented yet: waits for issue #8.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

DEFAULT_ARGS = {"owner": "finance-data", "retries": 2}


@dag(
    dag_id="ukg_visma_cost_center_alignment",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Oslo"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["ukg", "visma", "alignment"],
    doc_md=__doc__,
)
def ukg_visma_cost_center_alignment() -> None:
    @task
    def not_implemented() -> None:
        raise NotImplementedError("ukg_visma_cost_center_alignment is built by issue #8")

    not_implemented()


ukg_visma_cost_center_alignment()
