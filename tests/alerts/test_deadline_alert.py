"""The pay-period deadline alert, end to end through Airflow's own processes.

A DAG with the project's deadline (``PayPeriodPostingDeadline`` + the ``period_not_posted``
callback) is serialized by ``airflow dags reserialize``, a run for the current pay month is
triggered with ``airflow dags trigger`` (the DAG stays paused: the run never finishes), and a real
``airflow scheduler`` and ``airflow triggerer`` take it from there: the scheduler finds the
deadline missed and queues the callback, the triggerer runs it, and the alert e-mail reaches a
real SMTP server on localhost. The only test-made difference from production is the deadline's
interval: the end of day 5 of next month minus a constant, so the deadline falls ~20 s from now.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from smtp_sink import SmtpSink, body_text

from ukg_visma.alerts.deadline import PayPeriodPostingDeadline, posting_deadline_time
from ukg_visma.periods import PayPeriod

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).parent / "airflow")
CONN_ID = "ukgv_alerts_smtp"

DAG_TEMPLATE = """
import datetime as dt

import pendulum
from airflow.sdk import dag, task

from ukg_visma.alerts.deadline import PayPeriodPostingDeadline, deadline_alert

# production: interval 0 (the end of day 5 of the next month); here that minus a constant
INTERVAL = dt.timedelta(seconds={interval_s})


@dag(
    dag_id="ukgv_test_deadline",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    deadline=deadline_alert(PayPeriodPostingDeadline(day=5), INTERVAL),
)
def ukgv_test_deadline():
    @task
    def post():
        return None

    post()


ukgv_test_deadline()
"""


@pytest.mark.journey
def test_period_not_posted_by_its_deadline_alerts_through_scheduler_and_triggerer(
    tmp_path, airflow_home
):
    period = PayPeriod.parse(dt.datetime.now(dt.UTC).strftime("%Y-%m"))
    need_by = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20)
    interval = need_by - posting_deadline_time(period, 5)
    assert interval < dt.timedelta(0)
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "deadline_dag.py").write_text(
        DAG_TEMPLATE.format(interval_s=interval.total_seconds()), encoding="utf-8"
    )
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "include" / "mappings", mappings)
    settings = yaml.safe_load((mappings / "settings.yaml").read_text(encoding="utf-8"))
    settings["alerts"] = {"email_conn_id": CONN_ID, "email_to": ["controller@example.test"]}
    (mappings / "settings.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    home = airflow_home(tmp_path / "home")

    sink = SmtpSink().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME="1",
        UKG_VISMA_MAPPINGS_DIR=str(mappings),
        PYTHONPATH=str(ROOT / "plugins"),
        **{f"AIRFLOW_CONN_{CONN_ID.upper()}": sink.connection_uri()},
    )
    procs: list[subprocess.Popen] = []
    try:
        for argv in (
            [AIRFLOW, "dags", "reserialize"],
            [AIRFLOW, "dags", "trigger", "ukgv_test_deadline", "-r", "manual__deadline_test",
             "-c", f'{{"period": "{period.key}"}}'],
        ):  # fmt: skip
            out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
            assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        engine = sa.create_engine(f"sqlite:///{home}/airflow.db")
        with engine.connect() as conn:
            (stored,) = conn.execute(sa.text("SELECT deadline_time FROM deadline")).all()
        logs = {}
        for name in ("scheduler", "triggerer"):
            logs[name] = (tmp_path / f"{name}.log").open("w")
            procs.append(
                subprocess.Popen(
                    [AIRFLOW, name],
                    env=env,
                    stdout=logs[name],
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        messages = sink.wait_for(1, timeout=300)
        tails = "".join((tmp_path / f"{n}.log").read_text(errors="replace")[-3000:] for n in logs)
        assert messages, f"no alert e-mail; process logs:\n{tails}"
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        sink.stop()

    (msg,) = messages
    body = body_text(msg)
    assert msg["To"] == "controller@example.test"
    assert "LATE" in msg["Subject"] and f"pay period {period.key}" in msg["Subject"]
    assert "ukgv_test_deadline" in body and "manual__deadline_test" in body
    assert "/dags/ukgv_test_deadline/runs/manual__deadline_test" in body
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT missed FROM deadline")).all()
    assert [bool(r[0]) for r in rows] == [True]
    assert stored  # the deadline was stored when the run was created
    assert PayPeriodPostingDeadline(day=5).serialize_reference()["day"] == 5
