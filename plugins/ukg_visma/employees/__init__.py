"""Employee sync, pure logic: UKG snapshot models, change classification, Visma bodies, headcount.

No HTTP, no database, no Airflow here (a test enforces it): tasks fetch with the hooks, keep state
in ``ukg_visma.audit.employees`` and call these functions with plain data.
"""
