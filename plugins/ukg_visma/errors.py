"""Two marker classes that tell Airflow's retry policy what a retry can and cannot fix.

Every exception of the package that stops a task carries one of them, so that the DAGs' retry
policy (``tasks.runtime.retry_policy``) names two light classes instead of importing the modules
(pandas, requests) that define the concrete errors — DAG parsing stays fast.
"""

from __future__ import annotations


class NotRetryable(Exception):
    """Bad configuration or data: retrying gives the same answer. Fail at once and say why."""


class Retryable(Exception):
    """Transient (rate limit, 5xx, lost answer, busy lease): a retry soon is safe and useful."""
