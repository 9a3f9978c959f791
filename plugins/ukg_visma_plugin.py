"""Airflow plugin: the UKG webhook receiver and the pay-period run report, under ``/ukg-visma``.

- ``/ukg-visma/webhooks/ukg``: Airflow's API server mounts ``fastapi_apps`` without
  authentication; the receiver authenticates every request itself (HMAC signature + timestamp,
  see ``ukg_visma.webhooks.receiver``).
- ``/ukg-visma/reports/{dag_id}/{run_id}``: the run report page, behind Airflow's own auth (the
  UI's session cookie or a bearer JWT, then DAG-run read access; ``ukg_visma.ui.report_app``),
  linked from the run (``Run report`` tab) and from ``validate`` / ``reconcile`` (extra link).
- a listener puts the run's key figures into the DAG-run note (``ukg_visma.ui.notes``).
- ``PayPeriodPostingDeadline``: the pay-period DAG's deadline alert reference (the scheduler
  finds custom deadline references through plugins; ``ukg_visma.alerts.deadline``).
- a root middleware lets the connection Test button's messages name the connection being
  tested rather than Airflow's transient id (``ukg_visma.ui.conn_test``), and says in one
  sentence why a trigger's ``period`` (or another of our params) was refused
  (``ukg_visma.ui.param_errors``).
- a dashboard banner when ``settings.alerts`` configures no channel (``ukg_visma.ui.banner``).

Building the app reads no secret and opens no database: both are resolved at the first request.
``plugins/.airflowignore`` hides the ``ukg_visma`` package from the plugin loader, which would
otherwise import every module in it as a top-level module named after its file.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from ukg_visma.alerts.deadline import PayPeriodPostingDeadline
from ukg_visma.ui import notes
from ukg_visma.ui.banner import add_alerts_banner
from ukg_visma.ui.conn_test import ROOT_MIDDLEWARE
from ukg_visma.ui.links import RUN_REPORT_VIEW, RunReportLink
from ukg_visma.ui.param_errors import PARAM_ERROR_MIDDLEWARE
from ukg_visma.ui.report_app import URL_PREFIX, build_router
from ukg_visma.webhooks.airflow_app import build_app

add_alerts_banner()
receiver_app = build_app()
receiver_app.include_router(build_router())


class UkgVismaPlugin(AirflowPlugin):
    name = "ukg_visma"
    fastapi_apps = [  # noqa: RUF012 - Airflow reads these class attributes as they are
        {"app": receiver_app, "url_prefix": URL_PREFIX, "name": "UKG webhook receiver + run report"}
    ]
    fastapi_root_middlewares = [ROOT_MIDDLEWARE, PARAM_ERROR_MIDDLEWARE]  # noqa: RUF012
    external_views = [RUN_REPORT_VIEW]  # noqa: RUF012
    global_operator_extra_links = [RunReportLink()]  # noqa: RUF012
    listeners = [notes]  # noqa: RUF012
    # "pay period not posted by day N" (settings.alerts.posting_deadline_day), ukg_visma.alerts
    deadline_references = [PayPeriodPostingDeadline]  # noqa: RUF012
