"""The UI's banner when this package's alerts are off (Airflow's dashboard alerts).

A newcomer who sees green runs assumes somebody hears about red ones. With ``settings.alerts``
unset nobody does: no e-mail or Slack message for a failed task, no posting-deadline alert. The
api-server shows ``airflow.settings.DASHBOARD_UIALERTS`` at the top of the dashboard; the plugin
adds one warning there, at load, when no channel is configured. The list is mutated in place
(Airflow's config route imported that very list object).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def alerts_off_text(alerts: Any) -> str | None:
    """The banner's text, or None when a channel is configured (pure: ``AlertSettings`` in)."""
    if alerts.enabled:
        if alerts.posting_deadline_day is None:
            return ("UKG → Visma: no posting-deadline alert (alerts.posting_deadline_day is unset "
                    "in settings.yaml): a pay period left unposted raises nothing.")  # fmt: skip
        return None
    deadline = (
        ""
        if alerts.posting_deadline_day is None
        else f" (the posting-deadline alert for day {alerts.posting_deadline_day} is evaluated "
        "but sent nowhere)"
    )
    return ("UKG → Visma alerts are OFF: a failed task or a pay period not posted in time tells "
            f"nobody{deadline}. Set alerts.email_conn_id or alerts.slack_conn_id in "
            "settings.yaml (docs/alerts.md).")  # fmt: skip


def add_alerts_banner() -> None:
    """Append the warning to Airflow's dashboard alerts (once); never fails the plugin load."""
    try:
        from airflow import settings as airflow_settings
        from airflow.api_fastapi.common.types import UIAlert

        from ukg_visma.settings import load_settings

        text = alerts_off_text(load_settings().alerts)
        alerts = airflow_settings.DASHBOARD_UIALERTS
        if text and not any(getattr(a, "text", None) == text for a in alerts):
            alerts.append(UIAlert(text=text, category="warning"))
    except Exception as exc:  # a banner must never keep Airflow from starting
        log.warning("ukg_visma: alerts banner not added: %s", exc)
