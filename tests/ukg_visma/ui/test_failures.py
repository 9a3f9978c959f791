"""A failed task in one sentence: what is left in Visma after a failed post, a failed validation's
period and errors — and the task leaves without a traceback, decided by the retry policy exactly
as the original error would have been."""

from __future__ import annotations

import pytest

from ukg_visma.errors import NotRetryable, Retryable
from ukg_visma.tasks.runtime import TaskRetryPolicy, quiet_retries
from ukg_visma.ui.failures import (
    ExplainedExit,
    ExplainedPermanent,
    ExplainedRetryable,
    explain_validation_failure,
    explained,
    left_in_visma,
)

KEY = "nordicmfg:NMF:NMF-202610-R1:20261021T151000Z:0"


def test_a_batch_left_on_hold_is_named_with_what_clearing_does() -> None:
    text = left_in_visma(KEY, batch_number="000006", visma_status="Hold", ledger_status="created",
                         cause="503 from Visma")  # fmt: skip
    assert text.startswith(f"journal {KEY}: batch 000006 is on Hold in Visma; Clear this task "
                           "to adopt it")  # fmt: skip
    assert text.endswith("(cause: 503 from Visma).")


@pytest.mark.parametrize(
    ("batch", "status", "ledger", "expected"),
    [
        ("000007", "Balanced", "created", "batch 000007 is Balanced (not released) in Visma"),
        ("000008", "Released", "created", "batch 000008 is Released in Visma: nothing is left"),
        ("000009", None, "created", "batch 000009 was created in Visma (its status could not"),
        (None, None, "unknown", "Visma may hold the batch (the POST's answer was lost)"),
        (None, None, "failed", "Visma refused the journal: nothing is in Visma for it"),
        (None, None, None, "nothing is in Visma for it yet; Clear this task to post it"),
    ],
)
def test_every_ledger_and_visma_state_has_its_sentence(batch, status, ledger, expected) -> None:
    text = left_in_visma(KEY, batch_number=batch, visma_status=status, ledger_status=ledger,
                         cause="")  # fmt: skip
    assert expected in text and "\n" not in text and len(text) <= 500


def test_a_validation_failure_names_the_period_count_and_first_errors() -> None:
    import pandas as pd

    from ukg_visma.gl.findings import Finding, JournalValidationError, ValidationReport

    findings = tuple(
        Finding(
            rule="account_unknown",
            severity="error",
            subject=f"account 99{n}",
            problem=f"account 99{n} is not in Visma",
            fix="map it",
            count=n,
            rows=pd.DataFrame(),
        )
        for n in range(1, 6)
    )
    report = ValidationReport(period="2026-04", findings=findings, source_lines=10, journals=1,
                              journal_lines=4)  # fmt: skip
    text = explain_validation_failure(JournalValidationError(report))
    assert text.startswith("validation FAILED with 5 error(s): account 991 is not in Visma")
    assert "; and 2 more. Nothing was posted" in text


class _Busy(Retryable, RuntimeError):
    pass


class _Refused(NotRetryable, ValueError):
    pass


def _task(error: BaseException):
    @quiet_retries
    @explained(lambda exc, kw: f"journal {kw['ref']['journal_key']}: batch 000006 is on Hold")
    def post(ref: dict) -> dict:
        raise error

    return post


@pytest.mark.parametrize(("error", "kind", "action"), [
    (_Busy("503"), ExplainedRetryable, "retry"), (_Refused("400"), ExplainedPermanent, "fail"),
])  # fmt: skip
def test_a_known_failure_leaves_as_its_sentence_and_the_policy_decides_as_before(
    error, kind, action
) -> None:
    with pytest.raises(ExplainedExit) as caught:
        _task(error)(ref={"journal_key": KEY})
    carried = caught.value.error
    assert isinstance(carried, kind) and str(carried) == f"journal {KEY}: batch 000006 is on Hold"
    assert carried.__cause__ is error
    policy = TaskRetryPolicy()
    decision = policy.evaluate(caught.value, 1, 5)
    assert decision.action.value.lower() == action
    assert decision.action == policy.evaluate(error, 1, 5).action
    assert f"journal {KEY}: batch 000006 is on Hold" in (decision.reason or "")


def test_a_bug_keeps_its_own_exception_and_trace() -> None:
    with pytest.raises(KeyError):
        _task(KeyError("boom"))(ref={"journal_key": KEY})
