"""Where the run report page lives (no FastAPI here: task code imports this)."""

from __future__ import annotations

from urllib.parse import quote

URL_PREFIX = "/ukg-visma"
PAYROLL_DAG_ID = "ukg_visma_payroll_gl"
EMPLOYEE_SYNC_DAG_ID = "ukg_visma_employee_sync"
ALIGNMENT_DAG_ID = "ukg_visma_cost_center_alignment"


def report_href(dag_id: str, run_id: str, *, base_url: str = "") -> str:
    """``{base_url}/ukg-visma/reports/{dag_id}/{run_id}`` (relative when no base URL)."""
    path = f"{URL_PREFIX}/reports/{quote(dag_id, safe='')}/{quote(run_id, safe='')}"
    return base_url.rstrip("/") + path


def airflow_base_url() -> str:
    """``[api] base_url`` when set (links in prompts that leave the UI), else ``""``."""
    try:
        from airflow.configuration import conf

        value = conf.get("api", "base_url", fallback="") or ""
    except Exception:  # outside Airflow (pure tests): relative links
        return ""
    return value if value.startswith(("http://", "https://")) else ""
