"""Task bodies of ``ukg_visma_payroll_gl``, one module per step, in the DAG's order.

``extract`` (the sensor's pay runs, then the GL export) → ``validate`` (catalog + validation) →
``plan`` (what Visma holds, what is missing; ``reversals`` on request) → ``posting`` (one journal,
exactly once) → ``reconcile`` (Visma read back, the run report). ``run`` is who is running.
Kept light: the DAG file imports the step modules inside its tasks.
"""
