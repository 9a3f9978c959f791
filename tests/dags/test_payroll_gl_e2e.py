"""``ukg_visma_payroll_gl`` end to end over real HTTP against both sandbox servers."""

from __future__ import annotations

import collections

import pytest
from payroll_helpers import configure, our_batches, run_period, task_states

from ukg_visma.gl.journal import journal_key_from_batch

pytestmark = pytest.mark.e2e


@pytest.fixture
def payroll(sandbox, airflow_db, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300)
    configure(monkeypatch, sandbox, tmp_path)
    return sandbox


def test_clean_period_posts_releases_and_reconciles(payroll):
    dagrun = run_period("2026-10")
    states = task_states(dagrun)
    assert str(dagrun.state) == "success", states
    batches = our_batches(payroll)
    keys = collections.Counter(journal_key_from_batch(b) for b in batches)
    assert keys and all(n == 1 for n in keys.values()), keys
    assert {b["status"] for b in batches} == {"Posted"}
    # the regular run and the off-cycle correction run are two journals (two pay dates)
    assert {k.split(":")[2] for k in keys} == {"NMF-202610-R1", "NMF-202610-C1"}
