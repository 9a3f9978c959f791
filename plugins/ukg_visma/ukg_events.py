"""UKG's webhook event types that the package acts on, by name.

Light on purpose (no SQLAlchemy, no Airflow): the triggers import it at DAG parse time, and the
pay-period tasks that read the inbox name the same type without importing the triggers.
"""

from __future__ import annotations

# A GL export finished in UKG Pro: its run's journals can be read (the payroll events).
GL_EXPORT_EVENT = "PayrollGLExportCompletedEvent"
