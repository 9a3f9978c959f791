"""Running ``ukg_visma_payroll_gl`` in-process against the sandbox, for the end-to-end tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dag_loader import load_dag as load_one_dag

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "dags" / "ukg_visma_payroll_gl.py"


def load_dag():
    return load_one_dag("ukg_visma_payroll_gl")


def announce_gl_runs(period: str) -> list[str]:
    """Put UKG's ``PayrollGLExportCompletedEvent`` of every sandbox run paid in ``period`` into
    the webhook inbox, as the receiver would have when UKG exported them.

    Why: UKG publishes no pay-run listing; a deployment learns its run ids from these events
    (docs/decisions/pay-run-discovery.md). The scenario's history happened before the test,
    with no subscription; this delivers what UKG would have sent. Discovery itself still asks
    UKG (GL header, pay periods, pay register) — the events only name candidate run ids.
    """
    import datetime as dt
    import json
    import os

    import httpx

    from ukg_visma.audit import inbox
    from ukg_visma.employees.models import WebhookEvent
    from ukg_visma.tasks.runtime import audit

    host = json.loads(os.environ["AIRFLOW_CONN_UKG_DEFAULT"])["host"]
    runs = httpx.get(f"{host}/_sandbox/state", timeout=60).json()["glRuns"]
    engine = audit()  # the store the tasks use (the receiver writes the same inbox)
    named = []
    for run in runs:
        if not str(run.get("payDate", "")).startswith(period):
            continue
        event = {
            "EventId": f"gl-{run['runId']}-{run['glRunDateTime']}",
            "EventTime": dt.datetime.fromisoformat(run["glRunDateTime"].replace("Z", "+00:00")),
            "EventType": "PayrollGLExportCompletedEvent",
            "Operation": "Insert",
            "Payload": {"CoId": "C0001", "RunId": run["runId"]},
            "Tenant": "nordicmfg",
        }
        inbox.put_event(engine, WebhookEvent.model_validate(event))
        named.append(run["runId"])
    return named


def run_period(period: str, *, announce: bool = True, **conf: Any):
    """One manual DAG run for ``period`` (the ``period`` param, as a user triggers it).

    ``announce``: first deliver the GL events of the month's sandbox runs to the inbox
    (:func:`announce_gl_runs`), as a subscribed deployment would have them; ``False`` tests
    discovery without events.

    A manual run at a logical date gets the *previous* complete month as its data interval (that
    is how Airflow infers manual intervals), so manual runs name their period; scheduled runs and
    backfills get it from the data interval (see the backfill test).
    """
    if announce:
        announce_gl_runs(period)
    return load_dag().test(run_conf={"period": period, **conf})


def task_states(dagrun) -> dict[str, str]:
    return {
        (ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"): str(ti.state)
        for ti in dagrun.get_task_instances()
    }


def our_batches(sandbox) -> list[dict[str, Any]]:
    """Journals in the Visma sandbox that carry one of our journal keys."""
    from ukg_visma.gl.journal import journal_key_from_batch

    state = sandbox.visma_state()
    return [b for b in state["journals"] if journal_key_from_batch(b)]
