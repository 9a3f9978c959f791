"""Employee sync task bodies over real HTTP against both sandboxes: initial load, lifecycle
(hire, termination, rehire, transfer), out-of-order snapshots, webhook-only changes, audit rows."""

from __future__ import annotations

import collections
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from employee_sync_helpers import (
    RUNS_HOURS_APART,
    SECRET,
    assert_converged,
    change_ukg,
    engine,
    last_seq,
    new_hire,
    no_email_in_ukg,
    receiver,
    rehire,
    subscribe,
    sync,
    termination,
    ukg_employees,
    visma_calls,
    visma_employees,
)
from sandbox_fixture import configure

from ukg_visma.audit import employees as state
from ukg_visma.audit import inbox, records
from ukg_visma.hooks import VismaHook
from ukg_visma.tasks.employee_sync.context import HeadcountMismatchError
from ukg_visma.webhooks.signing import signed_headers

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(sandbox, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=11, employees=150, gl_runs=False)
    configure(monkeypatch, sandbox, tmp_path, employee_sync=RUNS_HOURS_APART)
    return sandbox


def _by_number(ukg: dict) -> dict:
    return {e["employeeNumber"]: e for e in ukg.values()}


def test_initial_load_creates_every_employed_person_once(env):
    result = sync("initial")
    assert result["extracted"]["mode"] == "full"
    ukg, visma = assert_converged(env)
    employed = {e["employeeNumber"] for e in ukg.values() if e["employeeStatus"] != "T"}
    without_email = no_email_in_ukg(ukg, visma)
    assert without_email  # the scenario has some; Visma cannot create them
    employed -= without_email
    # terminated before the first run: not created; no e-mail: quarantined by name
    assert set(visma) == employed
    posts = [c for c in visma_calls(env) if c["method"] == "POST" and c["path"] == "/v1/employee"]
    assert len(posts) == len(employed)
    assert result["checked"]["mismatches"] == 0
    assert state.get_watermark(engine()) is not None
    assert state.list_pending(engine()) == []
    rows = records.fetch_records(engine(), source_kind="employee_change")
    by_status = {r["status"] for r in rows}
    # the terminated ones: nothing to deactivate; those without e-mail: named, not created
    assert by_status == {"created", "absent", "rejected"}
    assert {r["target_key"] for r in rows if r["status"] == "rejected"} == {
        f"employee {n}" for n in no_email_in_ukg(ukg, visma)
    }
    report = result["checked"]["report"]
    text = Path(report).read_text(encoding="utf-8")
    assert "Headcount per cost centre" in text
    for emp in ukg.values():  # no names in the report
        assert emp.get("lastName") is None or emp["lastName"] not in text


def test_second_run_without_changes_writes_nothing(env):
    sync("first")
    before = len(env.calls("visma"))
    result = sync("second")
    writes = [c for c in env.calls("visma")[before:] if c["method"] in ("POST", "PUT")]
    assert writes == []
    assert result["extracted"]["mode"] == "window"
    assert result["extracted"]["queued"] == 0


def test_lifecycle_termination_rehire_transfer_reach_the_same_visma_employee(env):
    sync("initial")
    people = _by_number(ukg_employees(env))
    active = sorted(n for n, e in people.items() if e["employeeStatus"] == "A")
    leaver, mover = people[active[0]], people[active[1]]
    visma_id = visma_employees(env)[leaver["employeeNumber"]]["employeeId"]

    change_ukg(env, [termination(leaver), {"employeeId": mover["employeeId"],
                                           "orgLevel2Code": "20", "orgLevel3Code": "220",
                                           "orgLevel1Code": "RAU"}])  # fmt: skip
    change_ukg(env, [new_hire("990001", "330")])
    result = sync("changes")
    assert result["extracted"]["kinds"] == {"termination": 1, "transfer": 1, "hire": 1}
    visma = visma_employees(env)
    assert visma[leaver["employeeNumber"]]["status"] == "Inactive"  # deactivated, not deleted
    assert visma[mover["employeeNumber"]]["department"] == "220"
    assert visma["990001"]["department"] == "330"

    change_ukg(env, [rehire(leaver)])
    result = sync("rehire")
    # the overlap re-reads the earlier changes: repeats, not queued again
    assert result["extracted"]["kinds"] == {"rehire": 1, "noop": 2}
    assert result["extracted"]["queued"] == 1
    back = visma_employees(env)[leaver["employeeNumber"]]
    assert back["status"] == "Active" and back["employeeId"] == visma_id  # same Visma employee
    assert_converged(env)
    statuses = sorted(
        (r["detail"]["kind"], r["status"])
        for r in records.fetch_records(engine(), source_kind="employee_change")
        if r["run_id"].endswith(":rehire") and r["status"] != "rejected"  # no e-mail: named
    )
    assert statuses == [("noop", "noop"), ("noop", "noop"), ("rehire", "updated")]


def test_backdated_change_in_the_window_is_applied_as_uKG_holds_it_now(env):
    """UKG's feed is not time-stamped: a change HR entered with an old effective moment is
    served as the employee's *current* snapshot, and comparing it with the last state seen is
    the whole decision — it is applied (a transfer), with an audit row, and nothing is held
    back as "stale" on the strength of a stamp the contract does not have."""
    sync("initial")
    people = _by_number(ukg_employees(env))
    number = sorted(n for n, e in people.items() if e["employeeStatus"] == "A")[2]
    emp = people[number]
    assert emp["orgLevel3Code"] != "250"
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    change_ukg(
        env,
        [{"employeeId": emp["employeeId"], "orgLevel3Code": "250", "orgLevel2Code": "50"}],
        changed_at=old.isoformat(),
    )
    result = sync("backdated", window_start=old - dt.timedelta(hours=1))
    assert result["extracted"]["kinds"].get("transfer") == 1
    assert visma_employees(env)[number]["department"] == "250"
    rows = [
        r
        for r in records.fetch_records(engine(), source_kind="employee_change")
        if r["run_id"].endswith(":backdated") and r["target_key"] == f"employee {number}"
    ]
    assert [r["status"] for r in rows] == ["updated"]
    assert rows[0]["detail"]["kind"] == "transfer"
    assert_converged(env)


def test_a_change_known_only_from_a_webhook_still_reaches_visma(env, tmp_path):
    """A change stamped before the polling window (late import in UKG) is invisible to the
    feed; the webhook event names the employee and the sync fetches the details itself."""
    sync("initial")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    with receiver(f"sqlite:///{tmp_path}/audit.db") as url:
        subscribe(env, url)
        change_ukg(env, [new_hire("990050", "140")], changed_at=long_ago.isoformat())
        # and a validly signed event naming an employee UKG does not have
        body = json.dumps(
            {
                "EventId": "evt-unknown-1",
                "EventTime": "2026-11-20T12:00:00Z",
                "EventType": "EmployeeJobChangeEvent",
                "Operation": "Update",
                "Payload": {"CoId": "C0001", "EeId": "no-such-employee"},
                "Tenant": "nordicmfg",
            }
        ).encode()
        answer = httpx.post(url, content=body, headers=signed_headers(SECRET, body))
        assert answer.status_code == 202
    assert inbox.count_events(engine(), "new") == 2
    result = sync("late")
    assert result["extracted"]["event_only_employees"] == 1
    assert result["extracted"]["missing_in_ukg"] == ["no-such-employee"]
    assert visma_employees(env)["990050"]["department"] == "140"
    assert inbox.count_events(engine(), "new") == 0  # both drained, neither left behind
    events = {
        r["source_key"]: (r["status"], r["detail"]["found_in"])
        for r in records.fetch_records(engine(), source_kind="webhook_event")
    }
    assert events.pop("evt-unknown-1") == ("ignored", None)
    assert list(events.values()) == [("drained", "details")]
    assert_converged(env)


def test_the_feed_is_read_on_its_published_path_with_its_own_page_size_spelling(env):
    sync("initial")
    change_ukg(env, [new_hire("990070", "120")])
    seq = last_seq(env, "ukg")
    result = sync("feed")
    calls = env.calls("ukg", since=seq)
    paths = collections.Counter(c["path"] for c in calls)
    assert paths["/personnel/v1/employee-changes"] == 1
    assert paths["/personnel/v1/employees/changed"] == 0
    feed = next(c for c in calls if c["path"] == "/personnel/v1/employee-changes")
    assert "per_page=" in feed["query"] and "per_Page" not in feed["query"]
    assert result["extracted"]["kinds"] == {"hire": 1}
    assert visma_employees(env)["990070"]["department"] == "120"


def test_hand_edits_in_visma_fail_the_headcount_and_a_full_resync_repairs_them(env):
    sync("initial")
    before = visma_employees(env)
    numbers = sorted(n for n, e in before.items() if e["status"] == "Active")[:2]
    other = "350" if before[numbers[1]]["department"] != "350" else "340"
    visma = VismaHook()
    held = {"lastName": {"value": "Hand"}}  # EmployeeUpdateDto: contact is required
    visma.update_employee(
        numbers[0], lambda body: {"status": {"value": "Inactive"}, "contact": held}
    )
    visma.update_employee(
        numbers[1], lambda body: {"department": {"value": other}, "contact": held}
    )

    with pytest.raises(HeadcountMismatchError) as failed:  # the mirror saw the hand edits
        sync("normal")
    assert numbers[0] in str(failed.value) and numbers[1] in str(failed.value)

    seq = last_seq(env, "visma")
    result = sync("resync", full_resync=True)
    writes = [c["path"] for c in visma_calls(env, seq) if c["method"] in ("PUT", "POST")]
    assert sorted(writes) == [f"/v1/employee/{n}" for n in numbers]  # only the two repaired
    assert result["checked"]["mismatches"] == 0
    assert_converged(env)
