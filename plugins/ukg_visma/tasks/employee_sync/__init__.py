"""Task bodies of ``ukg_visma_employee_sync``: ``extract`` (UKG) → ``apply`` (Visma) → ``verify``.

``context`` is who is running and the errors that end a run on purpose; ``visma`` holds the Visma
calls for one employee, a department and the employee mirror. The queue (``pending_changes``) and
the known state live in the audit store, so each step can be retried alone and XCom carries only
small summaries. Kept light: the DAG file imports the step modules inside its tasks.
"""
