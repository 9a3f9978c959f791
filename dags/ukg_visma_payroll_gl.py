"""
### UKG payroll GL → Visma journals (one run per pay period)

Reads the pay period's UKG payroll general-ledger export, maps it to Visma accounts and
SUBACCOUNT segments, validates everything against Visma before posting, posts one balanced
journal per company × pay run × pay date (exactly once) and reconciles.

Not implemented yet: waits for issue #6.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

DEFAULT_ARGS = {"owner": "finance-data", "retries": 2}


@dag(
    dag_id="ukg_visma_payroll_gl",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Oslo"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["ukg", "visma", "payroll"],
    doc_md=__doc__,
)
def ukg_visma_payroll_gl() -> None:
    @task
    def not_implemented() -> None:
        raise NotImplementedError("ukg_visma_payroll_gl is built by issue #6")

    not_implemented()


ukg_visma_payroll_gl()
