"""Sending alerts through Airflow's notifiers: the task failure callback and the deadline callback.

Channels come from ``settings.alerts``: e-mail through the SMTP provider's ``SmtpNotifier``,
Slack through the Slack provider's ``SlackWebhookNotifier``; each reads its server and secret
from its Airflow connection. ``failure_callbacks()`` is empty when no channel is configured, so
nothing is wired and nothing is tried. A channel that cannot send is logged and the others still
send; the task's own state never depends on an alert.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import BaseNotifier

from ukg_visma.alerts.message import Alert, error_summary
from ukg_visma.companies import is_payroll_dag
from ukg_visma.errors import NotRetryable, TransientExit

if TYPE_CHECKING:
    from ukg_visma.settings import AlertSettings

log = logging.getLogger(__name__)


def base_url() -> str:
    """Airflow's ``[api] base_url``: where the links in an alert point."""
    from airflow.configuration import conf

    return str(conf.get("api", "base_url", fallback="") or "http://localhost:8080").rstrip("/")


def run_url(dag_id: str, run_id: str) -> str:
    return f"{base_url()}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def report_url(dag_id: str, run_id: str) -> str | None:
    """The run report page of a pay-period run (``ukg_visma.ui``); other DAGs have none."""
    if not is_payroll_dag(dag_id):
        return None
    from ukg_visma.ui.urls import report_href

    return report_href(dag_id, run_id, base_url=base_url())


def _redact(text: str) -> str:
    """Airflow's secret masker over the text: any secret a hook registered becomes ``***``."""
    try:
        from airflow.sdk.log import redact
    except ImportError:  # pragma: no cover - older SDK layout
        from airflow.sdk._shared.secrets_masker.secrets_masker import redact
    return str(redact(text))


def _period_of_task(context: Mapping[str, Any]) -> str | None:
    dag_run = context.get("dag_run")
    if not is_payroll_dag(getattr(dag_run, "dag_id", None)):
        return None
    from ukg_visma.periods import period_of_task

    try:
        return period_of_task(context).key
    except Exception:  # the failure may be exactly that the period is unknown
        params = context.get("params") or {}
        return str(params.get("period") or "") or None


def _outcome(exc: BaseException | str | None, try_number: int) -> str:
    if isinstance(exc, NotRetryable):
        return f"failed on attempt {try_number}, not retried: a retry gives the same answer"
    return f"failed, retries exhausted after {try_number} attempt(s)"


def task_failure_alert(context: Mapping[str, Any]) -> Alert:
    """The alert of a task that ended failed (its last try), from the task's context."""
    ti = context.get("ti")
    dag_run = context.get("dag_run")
    dag_id = str(getattr(dag_run, "dag_id", None) or getattr(ti, "dag_id", ""))
    run_id = str(getattr(dag_run, "run_id", None) or getattr(ti, "run_id", ""))
    task_id = str(getattr(ti, "task_id", ""))
    map_index = getattr(ti, "map_index", -1)
    if isinstance(map_index, int) and map_index >= 0:
        task_id += f"[{map_index}]"
    exc = context.get("exception")
    if isinstance(exc, TransientExit):  # a transient failure left quietly: report what it carries
        exc = exc.error
    return Alert(
        kind="task_failed",
        dag_id=dag_id,
        run_id=run_id,
        period=_period_of_task(context),
        task_id=task_id,
        outcome=_outcome(exc, int(getattr(ti, "try_number", 1) or 1)),
        error=_redact(error_summary(exc)),
        run_url=run_url(dag_id, run_id),
        report_url=report_url(dag_id, run_id),
    )


def missed_deadline_alert(context: Mapping[str, Any]) -> Alert:
    """The alert of a pay-period run past its deadline, from the deadline callback's context
    (``{"dag_run": <the run as the REST API shows it>, "deadline": {"deadline_time": ...}}``)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from ukg_visma.periods import SCHEDULE_TIMEZONE, period_to_post

    run = dict(context.get("dag_run") or {})
    dag_id, run_id = str(run.get("dag_id", "")), str(run.get("dag_run_id") or run.get("run_id", ""))
    period = period_to_post(
        run.get("conf"),
        run.get("partition_key"),
        run.get("data_interval_start"),
        run.get("run_type"),
        run.get("data_interval_end"),
    )
    raw = (context.get("deadline") or {}).get("deadline_time")
    when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) else raw
    shown = (
        when.astimezone(ZoneInfo(SCHEDULE_TIMEZONE)).strftime(f"%Y-%m-%d %H:%M {SCHEDULE_TIMEZONE}")
        if isinstance(when, dt.datetime)
        else str(raw or "")
    )
    return Alert(
        kind="deadline_missed",
        dag_id=dag_id,
        run_id=run_id,
        period=period.key if period else None,
        outcome=_not_posted(run),
        deadline=shown,
        run_url=run_url(dag_id, run_id),
        report_url=report_url(dag_id, run_id),
    )


def _not_posted(run: Mapping[str, Any]) -> str:
    """Why the period is still owed: a rejection says who and why (its run note), else the state.

    A rejected run ends failed (``tasks.payroll.approval.require_posted``), so its deadline stands
    and the alert reaches the same people as any period not posted in time.
    """
    note = str(run.get("note") or "")
    if ": REJECTED by " in note:
        return f"the period was rejected ({note.split(': ', 1)[1]}); it is still to be posted"
    return f"the run is {run.get('state') or 'not finished'}; the pay period is not posted"


def notifiers(alert: Alert, settings: AlertSettings) -> list[BaseNotifier]:
    """One Airflow notifier per configured channel, carrying the alert's text."""
    out: list[BaseNotifier] = []
    if settings.email_conn_id:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        out.append(
            SmtpNotifier(
                to=list(settings.email_to),
                from_email=settings.email_from,
                subject=alert.subject,
                html_content=alert.html,
                smtp_conn_id=settings.email_conn_id,
            )
        )
    if settings.slack_conn_id:
        from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

        out.append(
            SlackWebhookNotifier(slack_webhook_conn_id=settings.slack_conn_id, text=alert.text)
        )
    return out


def send(alert: Alert, settings: AlertSettings, context: Mapping[str, Any]) -> int:
    """Send through every channel (``notify``, no template rendering: the text is final).

    Returns how many channels sent; raises only when every configured channel failed.
    """
    sent = 0
    errors: list[Exception] = []
    for notifier in notifiers(alert, settings):
        try:
            notifier.notify(dict(context))  # type: ignore[arg-type]
            sent += 1
        except Exception as exc:
            log.error("alert through %s failed: %s", type(notifier).__name__, exc)
            errors.append(exc)
    return _sent(alert, sent, errors)


def _sent(alert: Alert, sent: int, errors: list[Exception]) -> int:
    """One channel that worked is enough; none at all is the failure to report."""
    if errors and not sent:
        raise RuntimeError(f"no alert channel could send: {errors[0]}") from errors[0]
    log.info("alert sent through %d channel(s): %s", sent, alert.subject)
    return sent


async def asend(alert: Alert, settings: AlertSettings, context: Mapping[str, Any]) -> int:
    """``send`` for the triggerer (deadline callbacks run there): the notifiers' async paths."""
    sent = 0
    errors: list[Exception] = []
    for notifier in notifiers(alert, settings):
        try:
            await notifier.async_notify(dict(context))  # type: ignore[arg-type]
            sent += 1
        except Exception as exc:
            log.error("alert through %s failed: %s", type(notifier).__name__, exc)
            errors.append(exc)
    return _sent(alert, sent, errors)


class TaskFailureAlert(BaseNotifier):
    """``on_failure_callback`` of every task: a task that ended failed — permanently, or with its
    retries exhausted — is told through the configured channels (``on_failure_callback`` runs
    only on the last try, so a retry that then succeeds tells nobody)."""

    def __init__(self, settings: AlertSettings | None = None) -> None:
        super().__init__()
        self.settings = settings

    def notify(self, context: Any) -> None:
        settings = self.settings
        if settings is None:
            from ukg_visma.settings import load_settings

            settings = load_settings().alerts
        send(task_failure_alert(context), settings, context)


def failure_callbacks(settings: AlertSettings) -> list[BaseNotifier]:
    """The tasks' ``on_failure_callback``: empty (no callback at all) when alerts are off."""
    return [TaskFailureAlert(settings)] if settings.enabled else []
