"""XCom keys that one part of the package pushes and another reads.

The approval step pushes its decision; the run-note listener (``ui.notes``) reads it to say who
decided and why. The key lives here, below both, so the listener does not import the task.
"""

from __future__ import annotations

# The approval's decision (Reject leaves no return value: ApprovalOperator skips by raising).
DECISION_XCOM = "decision"
