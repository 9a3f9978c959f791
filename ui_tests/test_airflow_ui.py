"""The Airflow UI as a data engineer uses it, in a real browser (Playwright + Debian's Chromium)
against the real Airflow processes and the sandbox (``ui_stack.UiStack``).

One journey, in order: log in; trigger with an invalid period (refused, no run) then a valid one;
approve the held run in the UI, reading the numbers in the prompt; the run ends reconciled and
its note names the period and totals; open its run report page; test a connection from the UI
and read its message. Screenshots go to ``$UKG_VISMA_UI_ARTEFACTS`` (default
``.artefacts/ui``). Run with ``make test-ui`` (outside ``tests/``: ``make test`` does not
need a browser).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from ui_stack import ROOT, USER, UiStack

DAG_ID = "ukg_visma_payroll_gl"
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


@pytest.fixture(scope="module")
def stack() -> Iterator[UiStack]:
    ui = UiStack()
    try:
        ui.start()
        ui.wait_for_dag(DAG_ID)
        yield ui
    finally:
        ui.stop()


@pytest.fixture(scope="module")
def page(stack: UiStack) -> Iterator[Page]:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.set_default_timeout(30_000)
        yield tab
        browser.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def until(what: str, check: Callable[[], object], timeout: float = 300) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(2)


def runs(stack: UiStack) -> list[dict]:
    return list(stack.api("GET", f"/dags/{DAG_ID}/dagRuns").json()["dag_runs"])


def task_state(stack: UiStack, run_id: str, task_id: str) -> str | None:
    answer = stack.api(
        "GET", f"/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}"
    )
    return answer.json().get("state") if answer.status_code == 200 else None


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
    expect(dialog.get_by_text(re.compile(r"2026-13|does not match", re.I)).first).to_be_visible()
    shot(page, "02-trigger-invalid-period")
    assert runs(stack) == [], "an invalid period must not make a run"
    dialog.locator("#element_period").fill("2026-10")
    shot(page, "03-trigger-valid-period")
    submit.dispatch_event("click")  # the refusal's toast may still cover the button
    made = until("the triggered run", lambda: runs(stack))
    [run] = made  # type: ignore[misc]
    run_id = run["dag_run_id"]
    assert run["conf"]["period"] == "2026-10"

    # -- the run waits for approval; the prompt has the numbers ----------------------------
    until(
        "approve_posting awaiting input",
        lambda: task_state(stack, run_id, "approve_posting") in ("awaiting_input", "deferred"),
    )
    note = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}").json()["note"]
    assert note == "Pay period 2026-10 — running (manual run)."
    page.goto(
        f"{stack.url}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}/tasks/approve_posting"
        "/required_actions"
    )
    expect(page.get_by_text("Post pay period 2026-10 to Visma?").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"debit\s+77,176,163\.45")).first).to_be_visible()
    expect(page.get_by_text("NMF-202610-R1").first).to_be_visible()
    shot(page, "04-approval-prompt")
    page.get_by_role("button", name="Approve").first.click()

    final = until(
        "the run to finish",
        lambda: (
            r
            if (r := stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}").json())[
                "state"
            ]
            in ("success", "failed")
            else None
        ),
        timeout=420,
    )
    assert final["state"] == "success", stack.log_tail("scheduler")  # type: ignore[index]
    note = final["note"]  # type: ignore[index]
    assert note.startswith("Pay period 2026-10: reconciled — debit 77,176,163.45, credit ")

    # -- the run report page (behind the UI session) ---------------------------------------
    page.goto(f"{stack.url}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}")
    expect(page.get_by_text("Run report").first).to_be_visible()
    shot(page, "05-run-page")
    page.goto(f"{stack.url}/ukg-visma/reports/{DAG_ID}/{quote(run_id, safe='')}")
    expect(page.get_by_text("pay period 2026-10").first).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("posted, reconciled")
    expect(page.locator("#summary")).to_contain_text("released")
    expect(page.locator("#validation")).to_contain_text("2026-10")
    shot(page, "06-run-report")

    # -- test a connection from the UI -----------------------------------------------------
    page.goto(f"{stack.url}/connections")
    row = page.get_by_role("row", name=re.compile("ukg_default"))
    row.get_by_role("button", name=re.compile("edit", re.I)).first.click()
    page.get_by_role("button", name=re.compile("^test$", re.I)).first.click()
    message = page.get_by_text(re.compile(r"connection 'ukg_default': UKG OK"))
    expect(message.first).to_be_visible()
    shot(page, "07-connection-test")
