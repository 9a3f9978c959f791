"""UKG Pro → Visma.net ERP payroll integration for Apache Airflow.

The package is importable on its own (pure logic, hooks, audit store) and is also what Airflow
finds under ``plugins/``. Nothing here does I/O at import time, so DAG parsing stays fast.
"""

__version__ = "0.1.0"
