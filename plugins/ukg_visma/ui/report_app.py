"""The run report page, served by the api-server under the plugin's prefix (``/ukg-visma``).

Airflow mounts plugin ``fastapi_apps`` without authentication, so every route here depends on
Airflow's own: ``get_user`` accepts the UI session (the ``_token`` JWT cookie the UI sets at
login, sent along when the page opens in the run's tab or a new browser tab) or an
``Authorization: Bearer`` JWT from ``POST /auth/token``; then the auth manager must allow reading
the DAG's runs. No token → 401, a bad token → 403, no access to the DAG → 403.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ukg_visma.ui.urls import URL_PREFIX, report_href

__all__ = ["REPORT_ROUTE", "URL_PREFIX", "build_router", "report_href", "require_run_access"]

REPORT_ROUTE = "/reports/{dag_id}/{run_id}"


async def require_run_access(request: Request) -> None:
    """Airflow's own checks, imported at the first request (the plugin loads in every component).

    ``get_user`` (bearer JWT, else the UI's ``_token`` cookie) then ``requires_access_dag`` for
    reading the runs of the ``dag_id`` in the path — exactly what Airflow's REST API does.
    """
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import get_user, requires_access_dag
    from fastapi.concurrency import run_in_threadpool
    from fastapi.security import HTTPBearer

    credentials = await HTTPBearer(auto_error=False)(request)
    user = await get_user(request, None, credentials)
    await run_in_threadpool(requires_access_dag("GET", DagAccessEntity.RUN), request, user)


def build_router() -> APIRouter:
    """The report routes; import-cheap (no settings, no database until a request)."""
    router = APIRouter(dependencies=[Depends(require_run_access)])

    @router.get(REPORT_ROUTE, response_class=HTMLResponse)
    def run_report(dag_id: str, run_id: str) -> HTMLResponse:
        from ukg_visma.settings import load_settings
        from ukg_visma.ui.report_page import find_run_report, render_page

        report = find_run_report(load_settings().reports_dir(), run_id, dag_id)
        return HTMLResponse(
            render_page(dag_id, report),
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    return router
