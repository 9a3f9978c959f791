"""Running ``ukg_visma_payroll_gl`` in-process against the sandbox, for the end-to-end tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "dags" / "ukg_visma_payroll_gl.py"


def load_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.dags["ukg_visma_payroll_gl"]


def announce_gl_runs(period: str) -> list[str]:
    """Put UKG's ``PayrollGLExportCompletedEvent`` of every sandbox run paid in ``period`` into
    the inbox of the store the tasks use, as the receiver would have when UKG exported them
    (:mod:`gl_events`)."""
    import json
    import os

    from gl_events import announce_gl_runs as announce

    from ukg_visma.tasks.runtime import audit

    host = json.loads(os.environ["AIRFLOW_CONN_UKG_DEFAULT"])["host"]
    return announce(host, audit(), period)


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
