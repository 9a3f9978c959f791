"""What every task needs from Airflow: its run's context, hooks, the audit engine, retry rules.

Kept out of the DAG files so that they stay wiring only, and out of the pure modules so that those
never import Airflow.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule
from airflow.sdk.definitions.retry_policy import RetryDecision

from ukg_visma.errors import Retryable, TransientExit
from ukg_visma.periods import period_of_task
from ukg_visma.tasks.payroll.run import PayrollRun

P = ParamSpec("P")
R = TypeVar("R")

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.hooks.visma import VismaHook
    from ukg_visma.settings import RetrySettings, Settings


def quiet_retries(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap a task callable so that an expected transient failure (``Retryable``) leaves the
    task as :class:`TransientExit`: the try's log holds the retry policy's one-line summary
    (what failed, attempt k of n, next try in s), not a 25-line trace. Permanent and unexpected
    errors are untouched and keep their traces."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Retryable as exc:
            raise TransientExit(exc) from exc

    return wrapper


class TaskRetryPolicy(ExceptionRetryPolicy):
    """Retry what retrying can fix, fail the rest at once, and say so in one line.

    - ``NotRetryable`` (bad data, configuration, an incomplete export, a refused request): FAIL
      now — another try gives the same answer, and a human has the finding.
    - ``Retryable`` (503, 429 past the hook's budget, a lost answer, a busy lease): RETRY after
      ``first_delay · 2^(k-1)`` seconds, capped — with the defaults 30 s, 1, 2, 4, 5, 5 min, so a
      15-minute outage ends green without anyone clearing a task.
    - anything else (a bug, a library error): at most ``unknown_retries`` tries more, same delays.
    - a ``Retryable`` with a ``max_task_retries`` class attribute (an unusable answer:
      ``MalformedResponseError``) gets at most that many retries: a few, not the outage budget.

    The decision's ``reason`` is the one readable line per attempt that Airflow logs and keeps on
    the task instance: what failed, attempt k of n, next try in s (or why there is none).
    """

    def __init__(
        self,
        *,
        first_delay_s: float = 30,
        max_delay_s: float = 300,
        unknown_retries: int = 2,
    ) -> None:
        super().__init__(
            rules=[
                RetryRule(exception="ukg_visma.errors.NotRetryable", action=RetryAction.FAIL),
                RetryRule(exception="ukg_visma.errors.Retryable", action=RetryAction.RETRY),
            ],
            default=RetryAction.RETRY,
        )
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.unknown_retries = unknown_retries

    def delay_after(self, try_number: int) -> float:
        """Seconds between try ``try_number`` (1-based) failing and the next try."""
        return min(self.max_delay_s, self.first_delay_s * 2 ** max(0, try_number - 1))

    def evaluate(
        self,
        exception: BaseException,
        try_number: int,
        max_tries: int,
        context: Any = None,
    ) -> RetryDecision:
        if isinstance(exception, TransientExit):  # decide on the error it carries
            exception = exception.error
        decision = super().evaluate(exception, try_number, max_tries, context)
        ti = (context or {}).get("ti") if hasattr(context, "get") else None
        task = getattr(ti, "task_id", None) or "task"
        if not max_tries:
            max_tries = int(getattr(getattr(ti, "task", None), "retries", 0) or 0)
        known = isinstance(exception, Retryable)
        kind = (
            "transient"
            if known
            else "permanent"
            if decision.action is RetryAction.FAIL
            else ("unexpected")
        )
        what = f"{task} failed ({kind}, {type(exception).__name__}): {_first_line(exception)}"
        if decision.action is RetryAction.FAIL:
            return RetryDecision.fail(f"{what} — not retried: a retry gives the same answer")
        allowed = max_tries if known else min(max_tries, self.unknown_retries)
        cap = getattr(exception, "max_task_retries", None)
        if known and isinstance(cap, int):
            allowed = min(allowed, cap)
        attempts = allowed + 1
        if try_number > allowed:
            return RetryDecision.fail(
                f"{what} — attempt {try_number} of {attempts}; no tries left, "
                "clear the task once the cause is fixed"
            )
        delay = self.delay_after(try_number)
        return RetryDecision.retry(
            dt.timedelta(seconds=delay),
            f"{what} — attempt {try_number} of {attempts}; next try in {delay:.0f} s",
        )


def _first_line(exc: BaseException, limit: int = 300) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def retry_policy(retries: RetrySettings | None = None) -> TaskRetryPolicy:
    """The policy built from ``settings.retries`` (or the given ``RetrySettings``)."""
    if retries is None:
        from ukg_visma.settings import load_settings

        retries = load_settings().retries
    return TaskRetryPolicy(
        first_delay_s=retries.first_delay_seconds,
        max_delay_s=retries.max_delay_seconds,
        unknown_retries=retries.unknown_error_retries,
    )


def run_context(context: Any) -> PayrollRun:
    """The pay-period DAG's run: the period (partition key → param → data interval), its key,
    and in a group the company its DAG posts (named by the DAG id, ``ukg_visma.companies``)."""
    from ukg_visma.companies import company_of_dag, run_folder_key

    dag_run = context["dag_run"]
    company = company_of_dag(getattr(dag_run, "dag_id", None))
    return PayrollRun(
        run_key=run_folder_key(company, dag_run.run_id),
        period=period_of_task(context),
        company=company,
    )


def company_settings(context: Any) -> Settings:
    """The settings of the company the task's DAG posts (``Settings.for_company``): its UKG
    company, Visma connection, branch, pay groups, policies and mapping folder."""
    from ukg_visma.companies import company_of_dag
    from ukg_visma.settings import load_settings

    return load_settings().for_company(company_of_dag(getattr(context["dag_run"], "dag_id", None)))


def ukg_hook(settings: Settings | None = None) -> UkgHook:
    """The UKG hook of ``settings.company`` (its ``ukg_conn_id``), else ``ukg_default``."""
    from ukg_visma.hooks.ukg import UkgHook

    return UkgHook(ukg_conn_id=settings.company.ukg_conn_id) if settings else UkgHook()


def visma_hook(settings: Settings | None = None) -> VismaHook:
    """The Visma hook of ``settings.company``: its own connection, hence its own tenant — a
    company's DAG never holds another company's Visma connection."""
    from ukg_visma.hooks.visma import VismaHook

    return VismaHook(visma_conn_id=settings.company.visma_conn_id) if settings else VismaHook()


def audit() -> Engine:
    from ukg_visma.audit.airflow import audit_engine

    return audit_engine()


def default_args() -> dict[str, Any]:
    """The DAGs' shared task defaults: owned by finance-data, classified by ``retry_policy``
    (a data error fails at once; a transient one retries long enough to outlast an outage);
    a task that ends failed is told through ``settings.alerts`` (``alerts.notify``), if set.

    ``retry_delay``/backoff apply only where Airflow retries without asking the policy (a
    worker lost mid-task); they follow the same schedule.
    """
    from ukg_visma.alerts.notify import failure_callbacks
    from ukg_visma.settings import load_settings

    settings = load_settings()
    retries = settings.retries
    alerts = failure_callbacks(settings.alerts)  # empty when no alert channel is configured
    return {
        "owner": "finance-data",
        "retries": retries.transient_retries,
        "retry_delay": dt.timedelta(seconds=retries.first_delay_seconds),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": dt.timedelta(seconds=retries.max_delay_seconds),
        "retry_policy": retry_policy(retries),
        **({"on_failure_callback": alerts} if alerts else {}),
    }
