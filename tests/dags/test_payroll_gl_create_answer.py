"""The published ``POST /v2/journaltransaction`` answers 201 + ETag and names no batch (no
``Location``); many tenants send a ``Location`` anyway. Either way the pay period posts each
journal exactly once: without a Location the posting step finds the batch by one read-back of
the period (matching its journal key), with one it takes the number from it. Judged from the
Visma sandbox's state and call log.
"""

from __future__ import annotations

import pytest
from ledger_truth import (
    OFF_CYCLE,
    PERIOD,
    REGULAR,
    SCAN,
    assert_one_live_batch_per_key,
    journal_posts,
    last_call,
    ours,
    per_account,
    period_listings,
    ukg_latest_per_account,
    visma_net,
)
from payroll_helpers import run_period, task_states

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("location", [False, True], ids=["published-no-location", "location"])
def test_a_period_posts_exactly_once_with_or_without_location(payroll, location):
    if location:
        payroll.visma_admin("POST", "api-variants", {"create_location": True})
    since = last_call(payroll)
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    batches = ours(payroll)
    assert batches and journal_posts(payroll, since) == len(batches)
    assert_one_live_batch_per_key(payroll)
    assert {b["status"] for b in batches} == {"Posted"}
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])
    # discovery reads the period once; plan and reconcile read it and the bounded scan of later
    # periods (SCAN periods, gl/holdings.search_periods); each create is followed by one
    # read-back of the key's periods — the settle's read (exactly once across runs), which also
    # finds the batch when no Location names it: never more, no retry storm
    assert period_listings(payroll, since) == 1 + 2 * SCAN + len(batches) * SCAN
