"""The Airflow UI as a data engineer uses it, in a real browser (Playwright + Debian's Chromium)
against the real Airflow processes and the sandbox (``ui_stack.UiStack``; approval required).

One journey, in order: log in; trigger with an invalid period (refused, no run) then a run for
partition key 2026-10 (the DAG is partitioned by pay month: the dialog's *Partition key*); approve
it in the UI, reading the numbers in the prompt; it ends reconciled, its note
names the period and totals; open its run report page and the DAG graph; trigger 2026-06 and
**reject** it in the UI with a reason (the run ends red on ``period_posted``, nothing in Visma,
the note says REJECTED, the reason is in the audit store); **backfill 2026-07 … 2026-09
through the UI's backfill dialog**: three runs named by their pay month (partition keys 2026-07,
2026-08, 2026-09, in their run ids and the runs list), approve each in the UI and wait for three
green runs that posted exactly those three months, each journal in Visma exactly once; test a
connection from the UI and read its message; run the
employee sync and read its note and its run report (who was hired, pending, quarantined,
headcount per cost centre); the dashboard says alerts are off. Before approving 2026-10 the
prompt's report link shows the journals per account × department × cost centre × project.

Exactly-once and "nothing posted" are judged from the Visma sandbox's state
(``/_sandbox/state``) against the audit store's journal ledger. Screenshots go to
``$UKG_VISMA_UI_ARTEFACTS`` (default ``.artefacts/ui``). Run with ``make test-ui`` (outside
``tests/``: ``make test`` does not need a browser).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect, sync_playwright
from ui_stack import ROOT, USER, UiStack

from ukg_visma.audit import records
from ukg_visma.audit.schema import journal_ledger, runs
from ukg_visma.audit.store import get_engine
from ukg_visma.gl.journal import journal_key_from_batch

DAG_ID = "ukg_visma_payroll_gl"
SYNC_DAG_ID = "ukg_visma_employee_sync"
CHROMIUM = os.environ.get("UKG_VISMA_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTEFACTS = Path(os.environ.get("UKG_VISMA_UI_ARTEFACTS", ROOT / ".artefacts" / "ui"))
REJECT_REASON = "June's pay run is being corrected in UKG; post the corrected run instead"


@pytest.fixture(scope="module")
def stack() -> Iterator[UiStack]:
    ui = UiStack()
    try:
        ui.start()
        ui.wait_for_dag(DAG_ID)
        ui.announce_gl_runs()
        yield ui
    finally:
        ui.stop()


@pytest.fixture(scope="module")
def page(stack: UiStack) -> Iterator[Page]:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # The schedules are Oslo time: the UI shows the browser's timezone, so the browser is in
        # Oslo, as the controllers' are.
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      timezone_id="Europe/Oslo")  # fmt: skip
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        yield tab
        browser.close()


# -- helpers -------------------------------------------------------------------------------
def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=full_page)


def until(what: str, check: Callable[[], Any], timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(2)


def all_runs(stack: UiStack) -> list[dict[str, Any]]:
    answer = stack.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 100})
    return list(answer.json()["dag_runs"])


def run_of(stack: UiStack, run_id: str) -> dict[str, Any]:
    return dict(stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}").json())


def task_state(stack: UiStack, run_id: str, task_id: str) -> str | None:
    answer = stack.api(
        "GET", f"/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}"
    )
    return answer.json().get("state") if answer.status_code == 200 else None


def run_page(stack: UiStack, run_id: str) -> str:
    return f"{stack.url}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}"


def wait_for_prompt(stack: UiStack, run_id: str) -> None:
    """Until the prompt is up *and* the scheduler has taken the paused worker's exit.

    Airflow 3.3.2 race (apache/airflow#67287, the QUEUED variant of #66374, fixed upstream
    after 3.3.2): the worker that pauses the task for input exits ~5 s later, and the executor
    reports that exit as ``success``. A response given before the scheduler has consumed that
    report resumes the task (``queued``), and the stale ``success`` then fails it as "state
    changed externally". A person reading the numbers never answers that fast; the robot waits
    for the scheduler's "TaskInstance Finished ... state=awaiting_input" line of this try.
    """
    path = f"/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/approve_posting"
    ti = until(
        f"approve_posting of {run_id} awaiting input",
        lambda: t if (t := stack.api("GET", path).json()).get("state") == "awaiting_input" else 0,
    )
    released = re.compile(rf"TaskInstance Finished: .*ti_id={ti['id']}, .*state=awaiting_input, ")
    until(
        f"the scheduler to take the exit of {run_id}'s paused approve_posting worker",
        lambda: released.search(stack.log_tail("scheduler", 2_000_000)),
        timeout=120,
    )


def wait_finished(
    stack: UiStack, run_id: str, timeout: float = 300, state: str = "success"
) -> dict[str, Any]:
    final = until(
        f"run {run_id} to finish",
        lambda: r if (r := run_of(stack, run_id))["state"] in ("success", "failed") else None,
        timeout=timeout,
    )
    assert final["state"] == state, (final, stack.log_tail("scheduler"))
    return dict(final)


def open_prompt(page: Page, stack: UiStack, run_id: str, period: str) -> Locator:
    """The run's Required Action tab; returns the form's area once the prompt is shown."""
    page.goto(run_page(stack, run_id) + "/tasks/approve_posting/required_actions")
    expect(page.get_by_text(f"Post pay period {period} to Visma?").first).to_be_visible()
    return page.locator("main, body").first


def click_enabled(page: Page, name: str) -> None:
    button = page.get_by_role("button", name=name, exact=True).first
    expect(button).to_be_enabled()
    button.click()


def visma_batches(stack: UiStack, period: str) -> list[dict[str, Any]]:
    return [
        b
        for b in stack.visma_state()["journals"]
        if str(b.get("financialPeriod")) == period.replace("-", "")
    ]


def ledger(stack: UiStack, period: str) -> dict[str, str]:
    """journal_key -> status of the audit store's journal ledger for the period."""
    engine = get_engine(stack.audit_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(journal_ledger.c.journal_key, journal_ledger.c.period,
                                      journal_ledger.c.status)).all()  # fmt: skip
    return {
        r.journal_key: r.status
        for r in rows
        if r.period.replace("-", "") == period.replace("-", "")
    }


def assert_posted_exactly_once(stack: UiStack, period: str) -> int:
    """Every journal of the period is in Visma exactly once, posted, and the ledger agrees."""
    batches = visma_batches(stack, period)
    keys = Counter(k for b in batches if (k := journal_key_from_batch(b)))
    held = ledger(stack, period)
    assert held, f"no journal ledger rows for {period}"
    assert {k: n for k, n in keys.items() if n != 1} == {}, f"{period}: a journal posted twice"
    assert set(keys) == set(held), (period, sorted(keys), sorted(held))
    assert {b.get("status") for b in batches} == {"Posted"}, (period, batches)
    assert set(held.values()) == {"released"}, (period, held)
    return len(keys)


def fill_datetime(page: Page, field: Locator, day: str, time_of_day: str) -> None:
    """The dialog's date pickers: a popover with a Date (YYYY/MM/DD) and a Time (HH:mm) input."""
    field.click()
    page.get_by_placeholder("YYYY/MM/DD").last.fill(day)
    page.get_by_placeholder("HH:mm").last.fill(time_of_day)


# -- the journey -----------------------------------------------------------------------------
@pytest.mark.timeout(1200)
def test_journey(stack: UiStack, page: Page) -> None:
    # -- log in ---------------------------------------------------------------------------
    page.goto(stack.url + "/")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", stack.password)
    shot(page, "01-login")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(stack.url + "/")

    # -- trigger: an invalid period is refused, a valid one makes a run --------------------
    page.goto(f"{stack.url}/dags/{DAG_ID}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    submit = dialog.get_by_test_id("trigger-dag-submit")
    # (before the optional params were made nullable, the form kept Trigger disabled for good)
    expect(submit).to_be_enabled()
    dialog.locator("#element_period").fill("2026-13")
    submit.click()
    # Airflow validates the params against their schema and refuses the run; the dialog stays
    # and says why in one sentence (ukg_visma.ui.param_errors), not the schema dumped
    refusal = "The trigger was refused: period '2026-13' is not valid — give a pay month as YYYY-MM"
    expect(dialog.get_by_text(refusal).first).to_be_visible()
    expect(page.get_by_text("Failed validating")).to_have_count(0)
    shot(page, "02-trigger-invalid-period")
    assert all_runs(stack) == [], "an invalid period must not make a run"
    # The DAG is partitioned by pay month: a manual run names its month as the run's partition
    # key (the dialog's field for partitioned DAGs, under Advanced Options), the period param
    # stays empty; Airflow decodes the key with the timetable's key format (YYYY-MM).
    dialog.locator("#element_period").fill("")
    key_field = dialog.locator("input[name=partitionKey]")
    if not key_field.is_visible():
        dialog.get_by_text("Advanced Options").click()
    key_field.fill("2026-10")
    shot(page, "03-trigger-partition-key")
    submit.dispatch_event("click")  # the refusal's toast may still cover the button
    [run] = until("the triggered run", lambda: all_runs(stack))
    run_id = run["dag_run_id"]
    # The form sends every param (the empty ones as null): the run resolves 2026-10 from its
    # key, and approve_posting's own form field is not overwritten by the DAG's 'reason' param.
    assert run["partition_key"] == "2026-10", run
    assert not run["conf"].get("period") and run["conf"].get("reason") is None

    # -- the run waits for approval; the prompt has the numbers ----------------------------
    wait_for_prompt(stack, run_id)
    assert run_of(stack, run_id)["note"] == "Pay period 2026-10 — running (manual run)."
    open_prompt(page, stack, run_id, "2026-10")
    expect(page.get_by_text(re.compile(r"debit\s+77,176,163\.45")).first).to_be_visible()
    expect(page.get_by_text("NMF-202610-R1").first).to_be_visible()
    link = page.get_by_role("link", name="Open the full run report").first
    expect(link).to_be_visible()
    assert visma_batches(stack, "2026-10") == [], "nothing may be posted before the approval"
    shot(page, "04-approval-prompt", full_page=False)
    # the report the prompt links to shows, before approving, every journal that will be posted
    # and its debit/credit per account × department × cost centre × project
    href = link.get_attribute("href") or ""
    assert href.endswith(f"/ukg-visma/reports/{DAG_ID}/{quote(run_id, safe='')}"), href
    page.goto(href if href.startswith("http") else stack.url + href)
    journals = page.locator("#journals")
    expect(journals).to_contain_text("journal(s) to post, debit 77,176,163.45")
    expect(journals).to_contain_text("Per account × department × cost centre × project")
    expect(journals).to_contain_text("NMF-202610-R1")
    header = journals.locator("table").nth(1).locator("th")
    expect(header).to_have_text(["account", "description", "Department", "Cost centre",
                                 "project", "task", "debit", "credit"])  # fmt: skip
    assert journals.locator("table").nth(1).locator("tbody tr").count() > 5
    expect(page.locator("#validation")).to_contain_text("2026-10")
    shot(page, "04b-approval-report")
    open_prompt(page, stack, run_id, "2026-10")
    click_enabled(page, "Approve")
    final = wait_finished(stack, run_id)
    assert final["note"].startswith("Pay period 2026-10: reconciled — debit 77,176,163.45, credit ")
    journals_10 = assert_posted_exactly_once(stack, "2026-10")

    # -- the DAG graph of that run, its run report -----------------------------------------
    page.goto(run_page(stack, run_id))
    expect(page.get_by_text("Pay period 2026-10: reconciled").first).to_be_visible()
    expect(page.get_by_text("Run report").first).to_be_visible()  # the plugin's run tab
    page.set_viewport_size({"width": 1400, "height": 640})
    page.get_by_title(re.compile(r"Show Graph")).first.click()
    expect(page.get_by_text("post_journal").first).to_be_visible()
    page.get_by_role("button", name="Collapse Details Panel").click()
    page.get_by_role("button", name="Fit View").click()
    page.wait_for_timeout(1500)  # the graph animates to its new fit; only then the picture
    shot(page, "05-dag-graph", full_page=False)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.get_by_title(re.compile(r"Show Grid")).first.click()  # the UI remembers the view
    page.goto(f"{stack.url}/ukg-visma/reports/{DAG_ID}/{quote(run_id, safe='')}")
    expect(page.get_by_text("pay period 2026-10").first).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("posted, reconciled")
    expect(page.locator("#summary")).to_contain_text("released")
    expect(page.locator("#validation")).to_contain_text("2026-10")
    shot(page, "06-run-report")

    # -- reject another period in the UI: nothing posted, the reason kept ------------------
    page.goto(f"{stack.url}/dags/{DAG_ID}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#element_period").fill("2026-06")
    dialog.get_by_test_id("trigger-dag-submit").click()
    [rejected] = until(
        "the 2026-06 run",
        lambda: [r for r in all_runs(stack) if (r["conf"] or {}).get("period") == "2026-06"],
    )
    rejected_id = rejected["dag_run_id"]
    wait_for_prompt(stack, rejected_id)
    open_prompt(page, stack, rejected_id, "2026-06")
    page.locator("#element_decision_reason").fill(REJECT_REASON)
    shot(page, "07-reject-with-reason", full_page=False)
    click_enabled(page, "Reject")
    final = wait_finished(stack, rejected_id, state="failed")
    # The run ends red — a month never posted must not look done (runs list, calendar, the
    # deadline alert; docs/decisions/rejected-period-state.md) — with the decision recorded:
    # approve_posting succeeded, the posting tasks are skipped, the last task says why it is
    # red; nothing reached Visma, the reason is in the audit store.
    assert final["note"] == (
        f"Pay period 2026-06: REJECTED by {USER} — {REJECT_REASON}. Nothing was posted."
    ), final["note"]
    assert task_state(stack, rejected_id, "approve_posting") == "success"
    for task_id in ("plan", "reconcile"):
        assert task_state(stack, rejected_id, task_id) == "skipped", task_id
    assert task_state(stack, rejected_id, "period_posted") == "failed"
    assert visma_batches(stack, "2026-06") == [], "a rejected period must post nothing"
    assert ledger(stack, "2026-06") == {}
    engine = get_engine(stack.audit_url)
    [approval] = [
        r
        for r in records.fetch_records(engine, source_kind="approval")
        if r["run_id"].startswith("payroll_gl:2026-06:")
    ]
    assert approval["status"] == "rejected", approval
    assert approval["detail"]["reason"] == REJECT_REASON and approval["detail"]["by"] == USER
    with engine.connect() as conn:
        status = conn.execute(
            sa.select(runs.c.status).where(runs.c.run_id == approval["run_id"])
        ).scalar_one()
    assert status == "rejected"
    page.goto(run_page(stack, rejected_id))
    expect(page.get_by_text("REJECTED").first).to_be_visible()
    shot(page, "08-rejected-run", full_page=False)

    # -- a backfill of three past pay periods through the UI's dialog ----------------------
    page.goto(f"{stack.url}/dags/{DAG_ID}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Backfill", exact=True).click()
    # The range is read as pay months (partition dates: the cron ticks, 06:00 Oslo on the 1st,
    # of July … September), i.e. the partitions 2026-07, 2026-08, 2026-09.
    pickers = dialog.get_by_test_id("datetime-input")
    fill_datetime(page, pickers.nth(0), "2026/07/01", "00:00")
    dialog.get_by_text("Date Range").click()  # closes the picker
    fill_datetime(page, pickers.nth(1), "2026/09/30", "00:00")
    dialog.get_by_text("Date Range").click()
    expect(dialog.get_by_text("3 runs will be triggered.")).to_be_visible()
    # the pickers are closed (and have faded out) before the picture
    open_pickers = page.locator("[data-scope=popover][data-part=content][data-state=open]")
    expect(open_pickers).to_have_count(0)
    page.wait_for_timeout(800)
    shot(page, "09-backfill-dialog", full_page=False)
    dialog.get_by_role("button", name="Run Backfill").click()
    backfill_runs = until(
        "three backfill runs",
        lambda: (b if len(b := [r for r in all_runs(stack) if r["run_type"] == "backfill"]) == 3
                 else None),
    )  # fmt: skip
    assert all(not (r["conf"] or {}).get("period") for r in backfill_runs), backfill_runs
    # runs named by pay month: the partition key, in the run id too
    keys = sorted(r["partition_key"] for r in backfill_runs)
    assert keys == ["2026-07", "2026-08", "2026-09"], backfill_runs
    for r in backfill_runs:
        assert f"__{r['partition_key']}__" in r["dag_run_id"], r["dag_run_id"]
        assert r["logical_date"] is None and r["data_interval_start"] is None, r
    # One at a time (the DAG's max_active_runs=1): each waits for its approval in the UI.
    approved: list[str] = []
    deadline = time.monotonic() + 480
    while len(approved) < 3:
        assert time.monotonic() < deadline, f"backfill approvals stalled after {approved}"
        current = [r for r in all_runs(stack) if r["run_type"] == "backfill"]
        assert not [r for r in current if r["state"] == "failed"], current
        waiting = [
            r
            for r in current
            if r["dag_run_id"] not in approved
            and task_state(stack, r["dag_run_id"], "approve_posting") == "awaiting_input"
        ]
        if not waiting:
            time.sleep(2)
            continue
        r = waiting[0]
        if not r["note"]:  # the scheduler writes it when the run starts; look again
            time.sleep(1)
            continue
        period = r["partition_key"]
        assert r["note"] == f"Pay period {period} — running (backfill run).", r["note"]
        wait_for_prompt(stack, r["dag_run_id"])
        open_prompt(page, stack, r["dag_run_id"], period)
        click_enabled(page, "Approve")
        approved.append(r["dag_run_id"])
    finished = [wait_finished(stack, run_id) for run_id in approved]
    periods = sorted(f["note"][len("Pay period ") :][:7] for f in finished)
    assert periods == ["2026-07", "2026-08", "2026-09"], [f["note"] for f in finished]
    for f in finished:
        assert ": reconciled — debit " in f["note"], f["note"]
        assert f["note"].startswith(f"Pay period {f['partition_key']}: "), f  # its own month
    posted = {period: assert_posted_exactly_once(stack, period) for period in periods}
    assert all(n >= 1 for n in posted.values()), posted
    assert assert_posted_exactly_once(stack, "2026-10") == journals_10  # untouched
    # the backfill posted exactly its three months: Visma holds journals for these four only
    ours = [b for b in stack.visma_state()["journals"] if journal_key_from_batch(b)]
    held_periods = {str(b.get("financialPeriod")) for b in ours}
    assert held_periods == {"202607", "202608", "202609", "202610"}, held_periods
    # the runs list names every run by its pay month: the Partition Key column (right of Dag
    # Version: a wide window shows it) and the backfill run ids
    page.set_viewport_size({"width": 2200, "height": 1000})
    page.goto(f"{stack.url}/dags/{DAG_ID}/runs")
    expect(page.get_by_role("columnheader", name="Partition Key")).to_be_visible()
    for key in ("2026-07", "2026-08", "2026-09", "2026-10"):
        expect(page.get_by_role("cell", name=key, exact=True).first).to_be_visible()
    for key in ("2026-07", "2026-08", "2026-09"):
        expect(page.get_by_text(re.compile(f"backfill__.*__{key}__")).first).to_be_attached()
    shot(page, "10-runs-after-backfill", full_page=False)
    page.set_viewport_size({"width": 1400, "height": 1000})

    # -- test both connections from the UI (the row's Test Connection button) ---------------
    # Airflow 3.3.2 sends port 0 for a connection without a port and would answer 400; the
    # plugin's middleware mends that, and the message names the real connection id.
    page.goto(f"{stack.url}/connections")
    for conn_id, product in (("visma_default", "Visma.net"), ("ukg_default", "UKG Pro")):
        row = page.get_by_role("row", name=re.compile(conn_id))
        row.get_by_role("button", name="Test Connection").click()
        toast = page.get_by_text(re.compile(re.escape(f"connection '{conn_id}': {product} OK")))
        expect(toast.first).to_be_visible()
        expect(page.get_by_text("Test Connection Successful").first).to_be_visible()
    shot(page, "11-connection-test", full_page=False)

    # -- the employee sync: its run note and its run report are readable -------------------
    page.goto(f"{stack.url}/dags/{SYNC_DAG_ID}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_test_id("trigger-dag-submit").click()
    sync_runs = until(
        "the employee-sync run",
        lambda: stack.api("GET", f"/dags/{SYNC_DAG_ID}/dagRuns").json()["dag_runs"],
    )
    sync_id = sync_runs[0]["dag_run_id"]
    sync = until(
        "the employee-sync run to finish",
        lambda: r if (r := stack.api("GET", f"/dags/{SYNC_DAG_ID}/dagRuns/"
                                     f"{quote(sync_id, safe='')}").json())["state"]
        in ("success", "failed") else None,
    )  # fmt: skip
    assert sync["state"] == "success", (sync, stack.log_tail("scheduler"))
    # the first run reads every employee: they are all hires, with their numbers in the report
    assert re.match(r"Employee sync: \d+ hires?", sync["note"] or ""), sync["note"]
    assert "headcount OK" in sync["note"], sync["note"]
    page.goto(f"{stack.url}/dags/{SYNC_DAG_ID}/runs/{quote(sync_id, safe='')}")
    expect(page.get_by_text(re.compile(r"Employee sync: \d+ hire")).first).to_be_visible()
    shot(page, "12-employee-sync-run", full_page=False)
    page.goto(f"{stack.url}/ukg-visma/reports/{SYNC_DAG_ID}/{quote(sync_id, safe='')}")
    report = page.locator("#employee_sync")
    expect(page.get_by_role("heading", name="Employee sync run report")).to_be_visible()
    expect(report).to_contain_text("Who changed")
    expect(report).to_contain_text(re.compile(r"Hires \(\d+\): \d+"))
    expect(report).to_contain_text("Pending changes")
    expect(report).to_contain_text("Quarantined")
    expect(report).to_contain_text("Headcount per cost centre")
    shot(page, "13-employee-sync-report")

    # -- the dashboard says that alerts are off; the DAG list has one line per DAG ----------
    page.goto(stack.url + "/")
    expect(page.get_by_text(re.compile(r"UKG → Visma alerts are OFF")).first).to_be_visible()
    for dag_id in (DAG_ID, SYNC_DAG_ID):
        description = stack.api("GET", f"/dags/{dag_id}").json()["description"] or ""
        assert "Europe/Oslo" in description and "\n" not in description, (dag_id, description)
    page.goto(f"{stack.url}/dags")
    shot(page, "14-dag-list", full_page=False)
