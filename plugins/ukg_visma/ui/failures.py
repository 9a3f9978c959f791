"""A failed task in one sentence: what failed, what is left in Visma, what to do next.

A data engineer who opens a failed pay-period run looks at the run note and the task's log. A
30-line traceback there says *where* the code stopped, not what a person must do. So the tasks
that end runs on purpose (``validate``, ``post_journal``) are wrapped in :func:`explained`:

- the sentence goes to the task's XCom (key ``failure``), where the DAG-run note listener
  (``ukg_visma.ui.notes``) reads it after the run ended — task code never touches the metadata
  DB, and XCom is cleared by Airflow when the task is cleared and tried again;
- a known failure (``Retryable`` / ``NotRetryable``) then leaves the task without its stack trace
  (:class:`ExplainedExit`, a ``TransientExit``: the retry policy decides on the error it carries,
  exactly as it would on the original); the original stays chained as ``__cause__``;
- an unexpected error (a bug) keeps its traceback: there the trace is what a developer needs.

The sentences are pure functions of what the ledger and Visma say (tested without Airflow). For a
post: the batch number and status Visma holds for the journal, e.g. "batch 000006 is on Hold in
Visma; Clear this task to adopt it" — clearing is always safe (the retry reads Visma back first
and never posts a key twice; docs/contracts.md).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from ukg_visma.errors import NotRetryable, Retryable, TransientExit

log = logging.getLogger(__name__)

FAILURE_XCOM = "failure"
LIMIT = 500  # one readable paragraph; the run note is at most 1,000 characters

P = ParamSpec("P")
R = TypeVar("R")

Explainer = Callable[[BaseException, Mapping[str, Any]], str | None]


class ExplainedRetryable(Retryable, RuntimeError):
    """A transient failure, said as one sentence (retried like the original)."""


class ExplainedPermanent(NotRetryable, RuntimeError):
    """A permanent failure, said as one sentence (not retried, like the original)."""


class ExplainedExit(TransientExit):
    """Leaves the task with the sentence and no stack trace; the retry policy decides on
    :attr:`error` (an ``Explained*`` error of the original's kind)."""


def first_line(exc: BaseException, limit: int = 300) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit(text: str, limit: int = LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- post_journal -------------------------------------------------------------------------------
def left_in_visma(
    journal_key: str,
    *,
    batch_number: str | None,
    visma_status: str | None,
    ledger_status: str | None,
    cause: str,
) -> str:
    """What Visma holds for a journal whose post failed, and what clearing the task does (pure).

    ``visma_status`` is the batch's status as Visma answered just now (None when there is no
    batch number, or Visma could not be asked); ``ledger_status`` the posting ledger's state.
    """
    because = f" (cause: {cause})" if cause else ""
    if batch_number and visma_status:
        if visma_status == "Hold":
            what = (f"batch {batch_number} is on Hold in Visma; Clear this task to adopt it (it "
                    "is taken off hold and released, never posted again)")  # fmt: skip
        elif visma_status == "Balanced":
            what = (f"batch {batch_number} is Balanced (not released) in Visma; Clear this task "
                    "to adopt and release it")  # fmt: skip
        elif visma_status in ("Released", "Posted"):
            what = (f"batch {batch_number} is {visma_status} in Visma: nothing is left to post; "
                    "Clear this task to record it")  # fmt: skip
        else:
            what = (f"batch {batch_number} is {visma_status} in Visma; check it there, then "
                    "Clear this task (it reads Visma back and never posts twice)")  # fmt: skip
    elif batch_number:
        what = (f"batch {batch_number} was created in Visma (its status could not be read); "
                "Clear this task to adopt it")  # fmt: skip
    elif ledger_status == "unknown":
        what = ("Visma may hold the batch (the POST's answer was lost); Clear this task: it reads "
                "Visma back and adopts the batch, never posts twice")  # fmt: skip
    elif ledger_status == "failed":
        what = ("Visma refused the journal: nothing is in Visma for it; fix the cause, then "
                "Clear this task")  # fmt: skip
    else:
        what = "nothing is in Visma for it yet; Clear this task to post it"
    return fit(f"journal {journal_key}: {what}{because}.")


def explain_post_failure(
    visma: Any, engine: Any, ref: Mapping[str, Any], exc: BaseException
) -> str:
    """:func:`left_in_visma` from the ledger and, when it knows a batch, one read of that batch."""
    from ukg_visma.audit import ledger

    key = str(ref.get("journal_key") or "?")
    entry = ledger.get(engine, key)
    number = (entry.batch_number if entry else None) or ref.get("batch_number")
    status: str | None = None
    if number:
        try:
            status = str(visma.journal(str(number)).get("status") or "") or None
        except Exception as read_error:  # the sentence must not need a healthy Visma
            log.warning("could not read batch %s for the failure message: %s", number,
                        first_line(read_error))  # fmt: skip
    return left_in_visma(
        key,
        batch_number=str(number) if number else None,
        visma_status=status,
        ledger_status=entry.status.value if entry else None,
        cause=first_line(exc, 200),
    )


# -- validate -----------------------------------------------------------------------------------
def explain_validation_failure(exc: BaseException) -> str:
    """``validation FAILED: 3 error(s) — account 9999 …; …`` from a ``JournalValidationError``
    (any other error: its first line)."""
    report = getattr(exc, "report", None)
    errors = list(getattr(report, "errors", []) or [])
    if not errors:
        return fit(first_line(exc))
    shown = "; ".join(f"{f.message} ({f.count} rows)" for f in errors[:3])
    more = f"; and {len(errors) - 3} more" if len(errors) > 3 else ""
    return fit(f"validation FAILED with {len(errors)} error(s): {shown}{more}. Nothing was "
               "posted; fix the mapping or the data, then clear validate")  # fmt: skip


# -- the wrapper --------------------------------------------------------------------------------
def _push(sentence: str) -> None:
    try:
        from airflow.sdk import get_current_context

        get_current_context()["ti"].xcom_push(key=FAILURE_XCOM, value=sentence)
    except Exception as push_error:  # outside a task (tests) or no XCom backend: the log has it
        log.debug("failure sentence not pushed: %s", push_error)


def last_try(exc: BaseException) -> bool:
    """Whether this failure ends the task: a permanent error, or a transient one on the last try
    the retry policy allows (``max_tries``, capped by the error's ``max_task_retries``). Outside a
    task (no context) every failure counts as the last."""
    if not isinstance(exc, Retryable):
        return True
    try:
        from airflow.sdk import get_current_context

        ti = get_current_context()["ti"]
        allowed = int(getattr(ti, "max_tries", 0) or 0)
        try_number = int(getattr(ti, "try_number", 1) or 1)
    except Exception:
        return True
    cap = getattr(exc, "max_task_retries", None)
    if isinstance(cap, int):
        allowed = min(allowed, cap)
    return try_number > allowed


def explained(explain: Explainer) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Wrap a task callable: when a failure ends the task (:func:`last_try`), the sentence
    ``explain(exc, kwargs)`` goes to XCom and the log, and a known error leaves as
    :class:`ExplainedExit` (no trace); a bug keeps its trace. A transient failure that will be
    retried is left as it is: its retry line says what failed, and explaining it would cost a
    Visma read on every try.

    Put it *inside* ``quiet_retries`` (it must see the original error, not ``TransientExit``).
    """

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if not last_try(exc):
                    raise
                try:
                    sentence = explain(exc, kwargs)
                except Exception as explain_error:  # never hide the real failure
                    log.warning("could not explain %s: %s", type(exc).__name__, explain_error)
                    raise exc from None
                if not sentence:
                    raise
                log.error("%s", sentence)
                _push(sentence)
                if isinstance(exc, Retryable):
                    error: Exception = ExplainedRetryable(sentence)
                elif isinstance(exc, NotRetryable):
                    error = ExplainedPermanent(sentence)
                else:
                    raise
                cap = getattr(exc, "max_task_retries", None)
                if isinstance(cap, int):
                    error.max_task_retries = cap  # type: ignore[attr-defined]
                error.__cause__ = exc
                raise ExplainedExit(error) from exc

        return wrapper

    return wrap
