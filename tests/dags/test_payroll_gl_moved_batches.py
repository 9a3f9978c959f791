"""Batches moved to another Visma period are found by a fresh audit store (issue #23).

With ``closed_period: post_to_next_open_period`` a journal of 2026-10 goes into the first open
period after 202610 when 202610 is closed. Periods close and reopen afterwards; a re-export of the
run, planned from a store that has never seen those batches, must still find them (the journal key
in the description, a bounded scan of the later periods) and post only the difference. Judged from
the Visma sandbox's state: Visma's net over all periods equals UKG's latest versions.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_truth import (
    OFF_CYCLE,
    PERIOD,
    REGULAR,
    journal_posts,
    key_of,
    last_call,
    ours,
    per_account,
    ukg_latest_per_account,
    use_store,
    visma_net,
)
from payroll_helpers import run_period, task_states

pytestmark = pytest.mark.e2e


def _close(sandbox, period: str, closed: bool = True) -> None:
    sandbox.visma_admin("POST", f"financial-periods/{period}", {"closed": closed})


def _move_on_closed() -> None:
    settings = Path(os.environ["UKG_VISMA_MAPPINGS_DIR"]) / "settings.yaml"
    settings.write_text(
        settings.read_text().replace(
            "closed_period: fail", "closed_period: post_to_next_open_period"
        )
    )


def _reexport_changed(sandbox, ore: int = 12_345) -> None:
    """UKG re-exports the regular run with ``ore`` more wages (and as much more net pay)."""
    info = sandbox.ukg_admin("GET", f"/_sandbox/gl-runs/{REGULAR}/versions?lines=true")
    lines = [dict(x) for x in info["versions"][-1]["glLines"]]
    wages = next(i for i, x in enumerate(lines) if x["baseSegment"] == "5000")
    net = next(i for i, x in enumerate(lines) if x["baseSegment"] == "2930")
    bump = Decimal(ore) / 100
    lines[wages]["debitAmt"] = str(Decimal(lines[wages]["debitAmt"]) + bump)
    lines[net]["creditAmt"] = str(Decimal(lines[net]["creditAmt"]) + bump)
    sandbox.ukg_admin(
        "POST", f"/_sandbox/gl-runs/{REGULAR}/regenerate", {"emit": False, "lines": lines}
    )


@pytest.mark.parametrize(
    ("after_v1", "v2_period"),
    [
        ([], "202611"),  # 202610 closed: v1 and the adjustment both in 202611
        ([("202611", True)], "202612"),  # closed twice: v1 in 202611, which closed too
        ([("202610", False)], "202610"),  # closed, then reopened: v1 stays in 202611
    ],
    ids=["closed", "closed-twice", "closed-then-reopened"],
)
def test_a_reexport_from_a_fresh_store_finds_batches_moved_to_later_periods(
    payroll, monkeypatch, tmp_path, after_v1, v2_period
):
    _move_on_closed()
    _close(payroll, "202610")
    use_store(monkeypatch, tmp_path / "audit-a.db")
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    v1 = ours(payroll)
    assert v1 and {b["financialPeriod"] for b in v1} == {"202611"}
    for period, closed in after_v1:
        _close(payroll, period, closed)
    _reexport_changed(payroll)

    use_store(monkeypatch, tmp_path / "audit-fresh.db")  # a store that never saw v1
    since = last_call(payroll)
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert journal_posts(payroll, since) == 1  # the difference only, never v2 in full
    (adjustment,) = [
        b for b in ours(payroll) if b["batchNumber"] not in {x["batchNumber"] for x in v1}
    ]
    assert "-ADJ1:" in key_of(adjustment) and adjustment["financialPeriod"] == v2_period
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])
    # and once more from yet another fresh store: nothing left to post
    use_store(monkeypatch, tmp_path / "audit-fresh-2.db")
    since = last_call(payroll)
    assert str(run_period(PERIOD).state) == "success"
    assert journal_posts(payroll, since) == 0


def test_reversing_a_batch_of_a_closed_period_twice_from_two_stores_reverses_once(
    payroll, monkeypatch, tmp_path, capsys
):
    """``ukg-visma reverse`` of a batch whose period has closed: the reversal goes into the next
    open period; the second request — another store — finds it there; neither says PROBLEM."""
    from ukg_visma.cli import main

    _move_on_closed()
    use_store(monkeypatch, tmp_path / "audit-a.db")
    assert str(run_period(PERIOD).state) == "success"
    original = next(b for b in ours(payroll) if f":{OFF_CYCLE}:" in key_of(b))
    _close(payroll, "202610")
    assert main(["reverse", "--batch", original["batchNumber"]]) == 0
    out = capsys.readouterr().out
    assert "PROBLEM" not in out, out
    (reversal,) = [b for b in ours(payroll) if f"REV-{original['batchNumber']}" in key_of(b)]
    assert reversal["financialPeriod"] == "202611" and reversal["status"] == "Posted"
    use_store(monkeypatch, tmp_path / "audit-b.db")
    since = last_call(payroll)
    assert main(["reverse", "--batch", original["batchNumber"]]) == 0
    out = capsys.readouterr().out
    assert f"already reversed by batch {reversal['batchNumber']}" in out and "PROBLEM" not in out
    assert journal_posts(payroll, since) == 0
    assert len([b for b in ours(payroll) if f"REV-{original['batchNumber']}" in key_of(b)]) == 1
