"""Airflow plugin: serves the UKG webhook receiver at ``/ukg-visma/webhooks/ukg``.

Airflow's API server mounts ``fastapi_apps`` without authentication; the receiver authenticates
every request itself (HMAC signature + timestamp, see ``ukg_visma.webhooks.receiver``). Building
the app reads no secret and opens no database: both are resolved at the first request.

``plugins/.airflowignore`` hides the ``ukg_visma`` package from the plugin loader, which would
otherwise import every module in it as a top-level module named after its file.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from ukg_visma.webhooks.airflow_app import build_app

receiver_app = build_app()


class UkgVismaPlugin(AirflowPlugin):
    name = "ukg_visma"
    fastapi_apps = [  # noqa: RUF012 - Airflow reads this class attribute as is
        {"app": receiver_app, "url_prefix": "/ukg-visma", "name": "UKG webhook receiver"}
    ]
