"""Running ``ukg_visma_payroll_gl`` in-process against the sandbox, for the end-to-end tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dag_loader import load_dag as load_one_dag

if TYPE_CHECKING:
    from airflow.models.dagrun import DagRun
    from airflow.sdk import DAG
    from airflow.serialization.definitions.dag import SerializedDAG
    from airflow.timetables.base import DagRunInfo, Timetable
    from airflow.utils.types import DagRunTriggeredByType
    from sandbox_fixture import Sandbox
    from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "dags" / "ukg_visma_payroll_gl.py"


def load_dag() -> DAG:
    dag: DAG = load_one_dag("ukg_visma_payroll_gl")
    return dag


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


def run_period(period: str, *, announce: bool = True, **conf: Any) -> DagRun:
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


def task_states(dagrun: DagRun) -> dict[str, str]:
    return {
        (ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"): str(ti.state)
        for ti in dagrun.get_task_instances()
    }


def our_batches(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Journals in the Visma sandbox that carry one of our journal keys."""
    from ukg_visma.gl.journal import journal_key_from_batch

    state = sandbox.visma_state()
    return [b for b in state["journals"] if journal_key_from_batch(b)]


def run_partition(
    partition_key: str, *, run_type: str = "backfill", announce: bool = True, **conf: Any
) -> DagRun:
    """One *partitioned* run of the pay-period DAG, in-process: ``dag.test`` with the run made
    as the scheduler makes a scheduled or backfilled one — a ``partition_key``, no logical date,
    no data interval, run type ``backfill`` or ``scheduled`` (docs/decisions/partitioned-pay-
    periods.md). ``conf`` is the run's conf (a backfill dialog's params).

    Airflow 3.3.2's ``DAG.test`` takes no partition key: it builds its run with
    ``airflow.models.dagrun.get_or_create_dagrun`` (manual, by logical date). That one function is
    swapped for the duration of the call; the rest of ``dag.test`` — the scheduling loop, the task
    runner, XCom, listeners — is Airflow's own. The run's ``partition_date`` and ``run_after``
    come from the DAG's own timetable (``iter_partition_dagrun_infos``, what a backfill uses), so
    the run is the one a backfill of that month would make.
    """
    from unittest.mock import patch

    from airflow.models import dagrun as dagrun_module
    from airflow.models.dagrun import DagRun
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunType
    from sqlalchemy import select

    kind = DagRunType(run_type)

    def partitioned_run(
        *,
        dag: SerializedDAG,
        run_id: str,
        logical_date: dt.datetime | None,
        data_interval: tuple[dt.datetime, dt.datetime] | None,
        run_after: dt.datetime,
        conf: dict[str, Any] | None,
        session: Session,
        triggered_by: DagRunTriggeredByType,
        triggering_user_name: str | None,
        start_date: dt.datetime,
    ) -> DagRun:
        """``get_or_create_dagrun``'s signature (Airflow 3.3), making a partitioned run."""
        old = session.scalar(
            select(DagRun).where(DagRun.dag_id == dag.dag_id, DagRun.partition_key == partition_key)
        )
        if old is not None:
            session.delete(old)
            session.commit()
        info = partition_info(dag.timetable, partition_key)
        return dag.create_dagrun(
            run_id=f"{kind.value}__{info.run_after.isoformat()}__{partition_key}__inproc",
            logical_date=None,
            data_interval=None,
            run_after=info.run_after,
            conf=conf,
            run_type=kind,
            state=DagRunState.RUNNING,
            triggered_by=triggered_by,
            triggering_user_name=triggering_user_name,
            start_date=start_date,
            partition_key=partition_key,
            partition_date=info.partition_date,
            session=session,
        )

    if announce:
        announce_gl_runs(partition_key[:7])
    with patch.object(dagrun_module, "get_or_create_dagrun", partitioned_run):
        return load_dag().test(logical_date=None, run_conf=conf or None)


def partition_info(timetable: Timetable, partition_key: str) -> DagRunInfo:
    """The ``DagRunInfo`` (partition date, run_after) the DAG's partitioned timetable gives the
    month ``partition_key`` — the one a backfill over that month creates."""
    import pendulum

    from ukg_visma.periods import SCHEDULE_TIMEZONE, PayPeriod

    month = PayPeriod.parse(partition_key)
    first = pendulum.datetime(month.year, month.month, 1, tz=SCHEDULE_TIMEZONE)
    last = first.add(months=1).subtract(seconds=1)
    (info,) = [
        i
        for i in timetable.iter_partition_dagrun_infos(earliest=first, latest=last)
        if i.partition_key == partition_key
    ]
    return info


def load_company_dag(company: str) -> Any:
    """A group company's pay-period DAG (``ukg_visma_payroll_gl__<company>``), parsed from the
    one DAG file as the DAG processor parses it (every company's DAG comes from it)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.dags[f"ukg_visma_payroll_gl__{company}"]


def run_company_period(company: str, period: str, *, announce: bool = True, **conf: Any) -> Any:
    """One manual run of ``company``'s pay-period DAG for ``period`` (see :func:`run_period`);
    the GL events of every company's runs of the month are in the inbox, as UKG sends them."""
    if announce:
        announce_gl_runs(period)
    return load_company_dag(company).test(run_conf={"period": period, **conf})
