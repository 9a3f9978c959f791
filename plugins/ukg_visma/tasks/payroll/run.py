"""One run of the pay-period DAG: its key and the pay period it is about (light: no pandas)."""

from __future__ import annotations

from dataclasses import dataclass

from ukg_visma.periods import PayPeriod

FLOW = "payroll_gl"


@dataclass(frozen=True)
class PayrollRun:
    """The run key names staging folders and reports; the audit run id adds flow and period.

    A :class:`~ukg_visma.tasks.context.RunContext` whose scope is the pay period.
    """

    run_key: str
    period: PayPeriod
    flow: str = FLOW
    company: str = ""
    """The group company the run posts (``companies.company_of_dag``); ``""`` for the single
    company. ``run_key`` then starts with it (``companies.run_folder_key``), so the staging and
    report folders and the audit run id of two companies' runs never meet."""

    @property
    def dag_id(self) -> str:
        """The DAG of the run: the company's pay-period DAG in a group."""
        from ukg_visma.companies import PAYROLL_DAG_ID, SEPARATOR

        return f"{PAYROLL_DAG_ID}{SEPARATOR}{self.company}" if self.company else PAYROLL_DAG_ID

    @property
    def airflow_run_id(self) -> str:
        """Airflow's run id (``run_key`` without the company that leads it in a group)."""
        from ukg_visma.companies import SEPARATOR

        prefix = f"{self.company}{SEPARATOR}"
        return (
            self.run_key[len(prefix) :]
            if self.company and self.run_key.startswith(prefix)
            else self.run_key
        )

    @property
    def scope(self) -> str:
        return self.period.key

    @property
    def audit_run_id(self) -> str:
        return f"{self.flow}:{self.period.key}:{self.run_key}"
