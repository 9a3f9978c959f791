"""A slice of the fault campaign (``make reliability``) in the ordinary test run: a few seeded
steps of the pay-period and employee-sync DAGs against the sandbox with faults drawn at random,
each judged from the sandboxes' state. The full campaign and its figures: docs/reliability.md."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ukg_visma" / "tasks"))

from reliability.campaign import Campaign

pytestmark = [pytest.mark.e2e, pytest.mark.journey]


def test_a_seeded_slice_of_the_campaign_converges_without_duplicates_or_losses(
    sandbox, airflow_db, monkeypatch, tmp_path
):
    sandbox.reset(scenario="manufacturer", seed=5, employees=150, drift=False)
    lines: list[str] = []
    campaign = Campaign(sandbox, tmp_path, seed=5, runs=4, allow_kill=False, say=lines.append)
    for name, value in campaign.environment().items():
        monkeypatch.setenv(name, value)
    try:
        fig = campaign.run()
    finally:
        sandbox.clear_faults()
        for server in ("ukg", "visma"):
            sandbox.config(server, token_lifetime=3600)
        sandbox.ukg_admin("DELETE", "webhooks")
    assert fig.failures == [], "\n".join(lines + fig.failures)
    assert fig.duplicates == 0 and fig.lost == 0
    assert sum(fig.steps.values()) == 4 and fig.steps["employee sync"] >= 1
    assert fig.injected >= 10, fig.faults
