"""How a group's companies name their pay-period DAGs, and how a task finds its company again.

One module, below the DAG files, the task runtime and the UI, so that every side derives the
same names from the same rule: with one company the DAG keeps its id ``ukg_visma_payroll_gl``
(nothing existing changes); in a group each company's DAG is ``ukg_visma_payroll_gl__<id>``
(docs/decisions/many-companies.md). Light: no Airflow, no pandas.
"""

from __future__ import annotations

from ukg_visma.settings import Settings

PAYROLL_DAG_ID = "ukg_visma_payroll_gl"
SEPARATOR = "__"


def payroll_dag_id(settings: Settings, company_id: str) -> str:
    """The pay-period DAG id of ``company_id``: the bare id when the deployment has one company."""
    return f"{PAYROLL_DAG_ID}{SEPARATOR}{company_id}" if settings.is_group else PAYROLL_DAG_ID


def is_payroll_dag(dag_id: str | None) -> bool:
    """Any company's pay-period DAG (the run notes, alerts and report page treat them alike)."""
    return bool(dag_id) and (
        dag_id == PAYROLL_DAG_ID or str(dag_id).startswith(PAYROLL_DAG_ID + SEPARATOR)
    )


def company_of_dag(dag_id: str | None) -> str:
    """The company id a pay-period DAG id names; ``""`` for the single company's DAG (and for
    any other DAG)."""
    if not dag_id or not str(dag_id).startswith(PAYROLL_DAG_ID + SEPARATOR):
        return ""
    return str(dag_id)[len(PAYROLL_DAG_ID + SEPARATOR) :]


def run_folder_key(company_id: str, run_id: str) -> str:
    """What names a run's staging and report folders: the run id, led by the company in a group
    — two companies' DAGs may have runs of the same id (a backfill of the same month), and must
    never read each other's files."""
    return f"{company_id}{SEPARATOR}{run_id}" if company_id else run_id
