"""Alerts, asset events and readable task logs of the pay-period DAG, from real DAG runs.

- A task that really fails (validation of the broken month 2026-04) e-mails an alert through the
  SMTP provider to a real SMTP server on localhost: it names the DAG, run, pay period, task and
  error, links the run, and carries no secret of the connections.
- A posted period (a scheduled, partitioned run: ``run_partition``) emits
  ``ukg_visma_payroll_posted`` with its extra and the pay period as its **partition key** into
  the metadata DB, and a downstream DAG scheduled on that asset gets a queued asset event for
  it; a dry run emits none.
- ``extract`` logs one line per UKG pay run with NOK amounts and counts (read from the output
  the task really printed).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from payroll_helpers import run_partition, run_period, task_states
from sandbox_fixture import configure

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "alerts"))
from smtp_sink import SmtpSink, body_text

pytestmark = pytest.mark.e2e

CONN_ID = "ukgv_alerts_smtp"


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def alerting(sandbox, airflow_db, monkeypatch, tmp_path, smtp):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300)
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", smtp.connection_uri())
    configure(
        monkeypatch,
        sandbox,
        tmp_path,
        alerts={"email_conn_id": CONN_ID, "email_to": ["payroll-ops@example.test"]},
    )
    return sandbox


def test_failed_task_is_emailed_with_period_task_error_and_link(alerting, smtp):
    dagrun = run_period("2026-04")  # cost centre 360 is unmapped: validate fails, permanently
    assert str(dagrun.state) == "failed"
    assert task_states(dagrun)["validate"] == "failed"
    (msg,) = smtp.wait_for(1)
    body = body_text(msg)
    assert msg["To"] == "payroll-ops@example.test"
    assert msg["From"] == "airflow@ukg-visma.test"
    assert "FAILED" in msg["Subject"] and "2026-04" in msg["Subject"]
    assert "task validate" in msg["Subject"]
    for fact in ("ukg_visma_payroll_gl", dagrun.run_id, "2026-04", "validate", "not retried"):
        assert fact in body, fact
    assert "360" in body, body  # the error summary names what is wrong
    run_link = f"/dags/ukg_visma_payroll_gl/runs/{dagrun.run_id.replace(':', '%3A')}"
    assert run_link.replace("+", "%2B") in body
    assert "/ukg-visma/reports/ukg_visma_payroll_gl/" in body
    # nothing of the connections: no client secret, no password, no token
    for name, value in os.environ.items():
        if name.startswith("AIRFLOW_CONN_") and name != f"AIRFLOW_CONN_{CONN_ID.upper()}":
            conn = json.loads(value) if value.startswith("{") else {}
            for secret in (conn.get("password"), conn.get("login")):
                if secret and len(str(secret)) > 3:
                    assert str(secret) not in body
    # only the failed task alerted: its downstream tasks were not run, so they told nobody
    assert len(smtp.messages) == 1


def _asset_events(name: str) -> list:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.name == name)
        ).all()
        return [(e.extra, e.source_run_id, e.source_task_id, e.partition_key) for e in rows]


def _partitions_queued_for(dag_id: str) -> list[str]:
    """The partition keys Airflow queued for a partition-aware downstream DAG."""
    from airflow.models.asset import AssetPartitionDagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return list(
            session.scalars(
                select(AssetPartitionDagRun.partition_key).where(
                    AssetPartitionDagRun.target_dag_id == dag_id
                )
            ).all()
        )


# A downstream reporting DAG as docs/alerts.md tells one to write it: partition-aware
# (PartitionedAssetTimetable), so it gets one run per posted pay period, keyed by it.
DOWNSTREAM = """
import pendulum
from airflow.sdk import PartitionedAssetTimetable, dag, task
from ukg_visma.events.outlets import PAYROLL_POSTED


@dag(dag_id="ukgv_test_payroll_reporting",
     schedule=PartitionedAssetTimetable(assets=PAYROLL_POSTED),
     start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def reporting():
    @task
    def report(**context):
        return None

    report()


reporting()
"""


def test_posted_period_emits_asset_event_and_queues_downstream_dag(
    payroll, tmp_path, capfd, caplog, monkeypatch
):
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel

    before = len(_asset_events("ukg_visma_payroll_posted"))
    dry = run_period("2026-10", dry_run=True)
    assert str(dry.state) == "success", task_states(dry)
    assert len(_asset_events("ukg_visma_payroll_posted")) == before  # a dry run posts nothing

    # A downstream reporting DAG scheduled on the asset, written to the metadata DB as the
    # dag-processor writes it (into the bundle the run above registered), and switched on.
    folder = tmp_path / "downstream"
    folder.mkdir()
    (folder / "reporting.py").write_text(DOWNSTREAM, encoding="utf-8")
    bag = BundleDagBag(dag_folder=str(folder), bundle_path=folder, bundle_name="dags-folder")
    assert bag.import_errors == {}
    sync_bag_to_db(bag, "dags-folder", None)
    from airflow.utils.session import create_session

    with create_session() as session:
        session.get(DagModel, "ukgv_test_payroll_reporting").is_paused = False

    dagrun = run_partition("2026-10", run_type="scheduled")
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert dagrun.partition_key == "2026-10" and dagrun.data_interval_start is None
    events = [e for e in _asset_events("ukg_visma_payroll_posted") if e[1] == dagrun.run_id]
    assert len(events) == 1
    extra, _, task_id, partition_key = events[0]
    assert task_id == "reconcile"
    assert partition_key == "2026-10"  # downstream DAGs get the pay period as the event's key
    assert extra["period"] == "2026-10" and extra["reconciliation"] == "reconciled"
    assert extra["currency"] == "NOK"
    assert extra["batch_count"] == len(extra["batches"]) == 2
    assert set(extra["pay_runs"]) == {"NMF-202610-R1", "NMF-202610-C1"}
    assert extra["debit_ore"] == extra["credit_ore"] > 0
    assert extra["debit"].replace(",", "") == f"{extra['debit_ore'] / 100:.2f}"
    # the Visma sandbox holds exactly these batches for our journals
    from payroll_helpers import our_batches

    assert sorted(b["batchNumber"] for b in our_batches(payroll)) == sorted(extra["batches"])
    # Airflow queues the downstream DAG's run for partition 2026-10 (AssetPartitionDagRun)
    assert _partitions_queued_for("ukgv_test_payroll_reporting") == ["2026-10"]

    # the extract task's own log: one line per pay run, NOK with counts, no dataclass repr
    out = capfd.readouterr()
    # the task log as printed (structlog) and as logged (the records, whichever way they went)
    text = out.out + out.err + caplog.text
    lines = [ln for ln in text.splitlines() if "pay run NMF-202610-" in ln and " lines in " in ln]
    assert {ln.split("pay run ")[1].split(" ")[0] for ln in lines} >= {
        "NMF-202610-R1",
        "NMF-202610-C1",
    }, text[-3000:]
    assert all("debit NOK " in ln and "credit NOK " in ln for ln in lines)
    assert "RunCompleteness(" not in text and "debit_ore=" not in text
