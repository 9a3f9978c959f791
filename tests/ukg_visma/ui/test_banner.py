"""The UI says when alerts are off (a dashboard banner), and stays quiet when a channel is set."""

from __future__ import annotations

from ukg_visma.settings import AlertSettings
from ukg_visma.ui.banner import alerts_off_text


def test_alerts_off_is_said_on_the_dashboard() -> None:
    text = alerts_off_text(AlertSettings()) or ""
    assert text.startswith("UKG → Visma alerts are OFF: a failed task or a pay period not posted")
    assert "alerts.email_conn_id or alerts.slack_conn_id" in text
    deadline_only = alerts_off_text(AlertSettings(posting_deadline_day=5)) or ""
    assert "day 5 is evaluated but sent nowhere" in deadline_only


def test_a_configured_channel_has_no_banner_unless_the_deadline_is_unset() -> None:
    assert alerts_off_text(AlertSettings(slack_conn_id="slack", posting_deadline_day=5)) is None
    assert "no posting-deadline alert" in (alerts_off_text(AlertSettings(slack_conn_id="s")) or "")
