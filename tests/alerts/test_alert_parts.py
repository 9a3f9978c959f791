"""The pure parts of the alerts: deadline time in Oslo, runs that cannot be late, the message,
and the wiring: nothing when no channel is configured, callbacks + deadline when one is."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sandbox_fixture import override_settings

from ukg_visma.alerts.deadline import posting_deadline, posting_deadline_time
from ukg_visma.alerts.message import Alert, error_summary
from ukg_visma.alerts.notify import failure_callbacks
from ukg_visma.periods import PayPeriod, period_to_post
from ukg_visma.settings import AlertSettings

ROOT = Path(__file__).resolve().parents[2]


def test_deadline_is_end_of_day_n_of_next_month_oslo_time():
    # October's pay period, day 5: 2026-11-06 00:00 Oslo (CET, UTC+1) = 2026-11-05 23:00 UTC
    assert posting_deadline_time(PayPeriod(2026, 10), 5) == dt.datetime(
        2026, 11, 5, 23, tzinfo=dt.UTC
    )
    # June, day 3: 2026-07-04 00:00 Oslo (CEST, UTC+2); December rolls into January
    assert posting_deadline_time(PayPeriod(2026, 6), 3) == dt.datetime(
        2026, 7, 3, 22, tzinfo=dt.UTC
    )
    assert posting_deadline_time(PayPeriod(2026, 12), 1).date() == dt.date(2027, 1, 1)


def test_runs_that_cannot_be_late_get_no_period():
    october = dt.datetime(2026, 9, 30, 22, tzinfo=dt.UTC)  # Oslo 2026-10-01 00:00
    assert period_to_post(None, None, october, "scheduled") == PayPeriod(2026, 10)
    assert period_to_post({"period": "2026-06"}, None, october, "manual") == PayPeriod(2026, 6)
    assert period_to_post({"dry_run": True}, None, october, "scheduled") is None
    assert period_to_post({"reverse_batches": ["7"]}, None, october, "manual") is None
    assert period_to_post({"period": "2026-06"}, None, october, "scheduled") is None  # refused


def test_message_names_everything_and_escapes_html():
    alert = Alert(
        kind="task_failed",
        dag_id="d",
        run_id="r<1>",
        period="2026-10",
        task_id="post_journal[2]",
        outcome="failed, retries exhausted after 7 attempt(s)",
        error=error_summary(RuntimeError("Visma answered 503:\n  /v2/journaltransaction\nmore")),
        run_url="http://airflow.test/dags/d/runs/r",
    )
    assert alert.subject == "[ukg-visma] FAILED: d · pay period 2026-10 · task post_journal[2]"
    assert "RuntimeError: Visma answered 503: / /v2/journaltransaction / more" in alert.text
    assert (
        "r&lt;1&gt;" in alert.html and '<a href="http://airflow.test/dags/d/runs/r">' in alert.html
    )
    assert len(error_summary("x" * 1000)) == 300


def test_off_when_no_channel_is_configured():
    off = AlertSettings(posting_deadline_day=5)
    assert failure_callbacks(off) == [] and posting_deadline(off) == []
    on = AlertSettings(email_conn_id="smtp", email_to=["a@example.test"], posting_deadline_day=5)
    assert len(failure_callbacks(on)) == 1
    (alert,) = posting_deadline(on)
    assert alert.reference.serialize_reference() == {
        "reference_type": "PayPeriodPostingDeadline",
        "day": 5,
    }


def test_dags_wire_alerts_only_when_configured(tmp_path, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    def parse():
        bag = DagBag(dag_folder=str(ROOT / "dags"))
        assert bag.import_errors == {}
        return bag.dags

    dags = parse()
    payroll = dags["ukg_visma_payroll_gl"]
    assert not payroll.deadline
    assert all(not t.on_failure_callback for d in dags.values() for t in d.tasks)
    assert [o.name for o in payroll.get_task("reconcile").outlets] == [
        "ukg_visma_payroll_posted_alias"
    ]
    sync = dags["ukg_visma_employee_sync"]
    assert [o.name for o in sync.get_task("check_headcount").outlets] == [
        "ukg_visma_employees_synced"
    ]

    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "include" / "mappings", mappings)
    override_settings(
        mappings,
        alerts={"email_conn_id": "smtp", "email_to": ["a@b.test"], "posting_deadline_day": 5},
    )
    monkeypatch.setenv("UKG_VISMA_MAPPINGS_DIR", str(mappings))
    dags = parse()
    assert len(dags["ukg_visma_payroll_gl"].deadline) == 1
    assert all(t.on_failure_callback for d in dags.values() for t in d.tasks)


def test_a_quiet_transient_failure_is_reported_by_the_error_it_carries():
    """Transient failures leave a task as ``TransientExit`` (one log line, no trace); the alert
    of the last try must still name the real error, not the wrapper."""
    from types import SimpleNamespace

    from ukg_visma.alerts.notify import task_failure_alert
    from ukg_visma.errors import TransientExit
    from ukg_visma.hooks.exceptions import TransientError

    error = TransientError("Visma answered 503 on POST /v2/journaltransaction", service="visma")
    ti = SimpleNamespace(dag_id="ukg_visma_employee_sync", run_id="r1", task_id="apply_to_visma",
                         map_index=-1, try_number=8)  # fmt: skip
    alert = task_failure_alert({"ti": ti, "exception": TransientExit(error)})
    assert alert.error == "TransientError: visma: Visma answered 503 on POST /v2/journaltransaction"
    assert alert.outcome == "failed, retries exhausted after 8 attempt(s)"


def test_a_rejected_period_past_its_deadline_is_still_owed():
    """A rejected run ends failed, so its deadline stands; the alert says who rejected it."""
    from ukg_visma.alerts.notify import missed_deadline_alert

    run = {
        "dag_id": "ukg_visma_payroll_gl",
        "dag_run_id": "manual__2026-11-02",
        "conf": {"period": "2026-10"},
        "run_type": "manual",
        "state": "failed",
        "note": "Pay period 2026-10: REJECTED by controller — cost centre 360. Nothing was posted.",
    }
    deadline = {"deadline_time": "2026-11-05T23:00:00Z"}
    alert = missed_deadline_alert({"dag_run": run, "deadline": deadline})
    assert alert.period == "2026-10"
    assert alert.outcome == (
        "the period was rejected (REJECTED by controller — cost centre 360. Nothing was "
        "posted.); it is still to be posted"
    )
    assert alert.deadline == "2026-11-06 00:00 Europe/Oslo"
    unposted = missed_deadline_alert({"dag_run": run | {"note": None}, "deadline": deadline})
    assert unposted.outcome == "the run is failed; the pay period is not posted"
