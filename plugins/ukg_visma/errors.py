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


class TransientExit(SystemExit):
    """An expected transient failure on its way out of a task, without its stack trace.

    Why a ``SystemExit``: Airflow 3.3's task runner (``airflow.sdk.execution_time.task_runner.
    _run_task_and_map_outcome``) logs ``log.exception("Task failed with exception")`` — a full
    trace — for every exception class *except* ``SystemExit``, which it logs as one line
    (``Task exited exit_code=…``) and then hands to the retry policy like any failure. The
    original error rides along as ``__cause__``; ``tasks.runtime.TaskRetryPolicy`` decides on it
    and its reason is the one readable line per try. Only raised by ``tasks.runtime.quiet_retries``,
    at the very top of a task callable, so no code of ours ever sees it. It lives here, below
    both, so that the alerts (which unwrap it) need not import the task runtime (which wires them).
    """

    def __init__(self, error: BaseException) -> None:
        self.error = error
        super().__init__(f"transient: {type(error).__name__}")
