"""The task retry policy: permanent errors fail at once, transient ones ride out an outage, and
each attempt is one readable line (the decision's reason, which Airflow logs and keeps)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from ukg_visma.gl.extract import IncompleteExportError
from ukg_visma.hooks.exceptions import TransientError, ValidationError
from ukg_visma.settings import RetrySettings
from ukg_visma.tasks.runtime import default_args, retry_policy

RETRIES = RetrySettings().transient_retries


def _context(task_id: str = "post_journal") -> dict:
    return {"ti": SimpleNamespace(task_id=task_id, task=SimpleNamespace(retries=RETRIES))}


def _incomplete() -> IncompleteExportError:
    from ukg_visma.gl.completeness import CompletenessReport

    return IncompleteExportError(
        CompletenessReport(runs=(), problems=("run R1: debit 10.00 ≠ credit 9.00",))
    )


def _outage() -> TransientError:
    return TransientError(
        "service unavailable", service="Visma", method="POST", path="/v2/journaltransaction",
        status=503,
    )  # fmt: skip


def test_default_schedule_rides_out_a_fifteen_minute_outage():
    policy = retry_policy(RetrySettings())
    delays = [policy.delay_after(k) for k in range(1, RETRIES + 1)]
    assert delays == [30, 60, 120, 240, 300, 300]
    assert sum(delays) >= 15 * 60
    args = default_args()
    assert args["retries"] == RETRIES and args["retry_policy"].first_delay_s == 30


def test_transient_error_retries_with_one_line_saying_attempt_and_next_try():
    policy = retry_policy(RetrySettings())
    decision = policy.evaluate(_outage(), 2, RETRIES, _context())
    assert str(decision.action).lower().endswith("retry")
    assert decision.retry_delay == dt.timedelta(seconds=60)
    assert "\n" not in decision.reason
    assert decision.reason.startswith("post_journal failed (transient, TransientError): Visma POST")
    assert decision.reason.endswith(f"attempt 2 of {RETRIES + 1}; next try in 60 s")


def test_last_transient_attempt_fails_and_says_so():
    decision = retry_policy(RetrySettings()).evaluate(_outage(), RETRIES + 1, RETRIES, _context())
    assert str(decision.action).lower().endswith("fail")
    assert "no tries left" in decision.reason


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(lambda: _incomplete(), id="incomplete-export"),
        pytest.param(
            lambda: ValidationError("closed period", service="Visma", status=400), id="validation"
        ),
    ],
)
def test_permanent_errors_fail_at_once(error):
    decision = retry_policy(RetrySettings()).evaluate(error(), 1, RETRIES, _context("extract"))
    assert str(decision.action).lower().endswith("fail")
    assert decision.reason.startswith("extract failed (permanent")
    assert "not retried" in decision.reason and "\n" not in decision.reason


def test_unknown_errors_get_few_retries():
    policy = retry_policy(RetrySettings(unknown_error_retries=2))
    first = policy.evaluate(KeyError("oops"), 1, RETRIES, _context())
    third = policy.evaluate(KeyError("oops"), 3, RETRIES, _context())
    assert str(first.action).lower().endswith("retry") and "attempt 1 of 3" in first.reason
    assert str(third.action).lower().endswith("fail") and "unexpected" in third.reason


def test_quiet_retries_carries_only_transient_errors_out_as_transient_exit():
    from ukg_visma.tasks.runtime import TransientExit, quiet_retries

    error = TransientError("service unavailable", service="Visma.net", method="POST",
                           path="/v2/journaltransaction", status=503)  # fmt: skip

    @quiet_retries
    def transient(**context: object) -> None:
        """doc kept"""
        raise error

    @quiet_retries
    def permanent() -> None:
        raise ValueError("bad data")

    assert transient.__doc__ == "doc kept" and transient.__wrapped__ is not None
    with pytest.raises(TransientExit) as caught:
        transient()
    assert caught.value.error is error and caught.value.__cause__ is error
    assert caught.value.code == "transient: TransientError"
    with pytest.raises(ValueError, match="bad data"):
        permanent()
    # the policy decides on the error the carrier holds, with the same one line
    decision = retry_policy(RetrySettings()).evaluate(caught.value, 1, 6)
    assert decision.action.value == "retry"
    assert "transient, TransientError" in decision.reason and "attempt 1 of 7" in decision.reason
