"""Who is running: a DAG run's key and the pay period it is about (light: no pandas, no HTTP)."""

from __future__ import annotations

from dataclasses import dataclass

from ukg_visma.periods import PayPeriod

FLOW_PAYROLL = "payroll_gl"


@dataclass(frozen=True)
class RunContext:
    """The run key names staging folders and reports; the audit run id adds flow and period."""

    run_key: str
    period: PayPeriod
    flow: str = FLOW_PAYROLL

    @property
    def audit_run_id(self) -> str:
        return f"{self.flow}:{self.period.key}:{self.run_key}"
