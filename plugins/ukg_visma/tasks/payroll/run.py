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

    @property
    def scope(self) -> str:
        return self.period.key

    @property
    def audit_run_id(self) -> str:
        return f"{self.flow}:{self.period.key}:{self.run_key}"
