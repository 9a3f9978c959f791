"""A ``post_journal`` retry resumes from Airflow's Task State Store, judged from the Visma sandbox.

Once a try has decided its key's winner (losers emptied), the winner's batch number is kept in
``context["task_state_store"]`` (``posting.LEASE_KEY``). A retry reads that one batch instead of
listing every Visma period the key may live in; Visma stays the truth (a lease that Visma no
longer confirms is dropped and the full protocol runs), and exactly-once is proven from Visma.

- The real pay-period DAG, a scheduled partitioned run (``run_partition``): a proxy's page
  instead of one release leaves that batch Balanced; the retry resumes from the store that
  Airflow kept across the tries (its XCom says ``resumed``), releases it, and no journal is
  listed by that retry; every key once in Visma.
- The calls a retry saves (bench/RESULTS.md §2e): the same retry — a worker with its own audit
  store, after an earlier try settled and released — with and without the lease, every call
  counted by the sandbox.
"""

from __future__ import annotations

import collections
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from ledger_truth import ours
from payroll_helpers import run_partition, task_states
from sandbox_fixture import QUICK_RETRIES, configure

from ukg_visma.gl.journal import journal_key_from_batch

pytestmark = pytest.mark.e2e

LISTING = re.compile(r"^/v2/journaltransaction/?$")


@pytest.fixture
def payroll(sandbox, airflow_db, monkeypatch, tmp_path):
    """The pay-period world, with the retry delay shortened to a second (settings.yaml)."""
    sandbox.reset(scenario="manufacturer", seed=42, employees=300)
    configure(monkeypatch, sandbox, tmp_path, retries=QUICK_RETRIES)
    return sandbox


def _outcomes(dagrun) -> list[dict[str, Any]]:
    """What each ``post_journal`` returned (its XCom), read back from the metadata DB."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(
            select(XComModel).where(
                XComModel.run_id == dagrun.run_id,
                XComModel.task_id == "post_journal",
                XComModel.key == "return_value",
            )
        ).all()
        return [XComModel.deserialize_value(r) for r in rows]


def _when(text: str):
    import datetime as dt

    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_retry_after_a_lost_release_resumes_from_the_task_state_store(payroll):
    payroll.faults("visma", {"method": "POST", "path": r"/action/release$", "times": 1,
                             "body": "html"})  # fmt: skip
    dagrun = run_partition("2026-10", run_type="scheduled")
    assert str(dagrun.state) == "success", task_states(dagrun)
    tries = {
        ti.map_index: ti.try_number for ti in dagrun.get_task_instances() if
        ti.task_id == "post_journal"
    }  # fmt: skip
    assert sorted(tries.values()) == [1, 2], tries  # one journal needed a retry
    outcomes = _outcomes(dagrun)
    resumed = [o for o in outcomes if o.get("resumed")]
    assert len(resumed) == 1 and resumed[0]["status"] == "released", outcomes
    number = resumed[0]["batch_number"]
    # the retry read its one batch, not the listing: the sandbox's calls while try 2 ran
    # (dag.test runs one task at a time, so these are try 2's own)
    (retried,) = [ti for ti in dagrun.get_task_instances()
                  if ti.task_id == "post_journal" and ti.try_number == 2]  # fmt: skip
    window = [
        c
        for c in payroll.calls("visma")
        if retried.start_date <= _when(c["time"]) <= retried.end_date
    ]
    assert [(c["method"], c["path"]) for c in window] == [
        ("GET", f"/v2/journaltransaction/{number}"),  # the lease, confirmed by Visma
        ("GET", f"/v2/journaltransaction/{number}"),  # _release: status and ETag
        ("GET", f"/v2/journaltransaction/{number}"),
        ("POST", f"/v2/journaltransaction/{number}/action/release"),
        ("GET", f"/v2/journaltransaction/{number}"),  # released?
    ], window
    # exactly once, from Visma: every key released in one batch, all Posted
    batches = ours(payroll)
    keys = collections.Counter(journal_key_from_batch(b) for b in batches)
    assert len(keys) == 2 and set(keys.values()) == {1}, keys
    assert {b["status"] for b in batches} == {"Posted"}


class MemoryStore:
    """A task state store for one task instance across tries, outside Airflow (the protocol test
    drives ``post_journal`` directly); the DAG test above uses Airflow's own."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


def _probe(visma, tmp_path: Path) -> tuple[dict[str, Any], str]:
    """A journal of our own for 2026-10 (as test_payroll_gl_exactly_once builds it), with the
    search periods a plan gives an open home period."""
    from test_payroll_gl_exactly_once import make_payload, new_key

    from ukg_visma.gl.holdings import search_periods
    from ukg_visma.gl.journal import JournalKey
    from ukg_visma.hooks.jsonbody import dumps

    key = new_key()
    path = tmp_path / f"payload-{uuid.uuid4().hex[:8]}.json"
    path.write_text(dumps(make_payload(visma, key)))
    jk = JournalKey.parse(key)
    from ukg_visma.gl.catalog import periods_from_api

    periods = {p: v.open for p, v in periods_from_api(visma.financial_periods()).items()}
    ref = {
        "journal_key": key, "kind": "full", "payload": str(path), "payload_hash": "h",
        "company": jk.company, "pay_run": jk.pay_run, "run_version": jk.run_version,
        "split_index": jk.split_index, "visma_period": "202610",
        "search_periods": search_periods("202610", periods),
    }  # fmt: skip
    return ref, f"scheduled__resume__{uuid.uuid4().hex[:6]}/{key}"


@pytest.mark.parametrize("case", ["died_after_release", "release_answer_lost"])
def test_calls_a_retry_saves_with_the_lease(payroll, tmp_path, case):
    """Counted: every Visma call of try 2, with and without the lease, by the sandbox.

    - ``died_after_release``: try 1 posts and releases, then its worker dies before Airflow
      hears of it; try 2 runs on another worker (its own audit store: no ledger row).
    - ``release_answer_lost``: a proxy's page instead of the release (nothing released); try 2
      runs with the same audit store (the ledger has the batch number)."""
    from ukg_visma.audit.store import get_engine
    from ukg_visma.hooks.visma import VismaHook
    from ukg_visma.periods import PayPeriod
    from ukg_visma.tasks.payroll.posting import PostingOutcomeUnknownError, post_journal

    visma = VismaHook()
    period = PayPeriod.parse("2026-10")
    figures = {}
    for lease in (False, True):
        ref, owner = _probe(visma, tmp_path)
        store = MemoryStore()
        shared = get_engine(f"sqlite:///{tmp_path}/audit-{uuid.uuid4().hex[:6]}.db")

        def try_(n: int, engine, ref=ref, owner=owner, store=store, lease=lease):
            return post_journal(visma, engine, ref, period, owner=owner, try_number=n,
                                store=store if lease else None)  # fmt: skip

        if case == "died_after_release":
            assert try_(1, shared)["status"] == "released"
            retry_store = get_engine(f"sqlite:///{tmp_path}/audit-{uuid.uuid4().hex[:6]}.db")
        else:
            payroll.faults("visma", {"method": "POST", "path": r"/action/release$", "times": 1,
                                     "body": "html"})  # fmt: skip
            with pytest.raises(PostingOutcomeUnknownError):
                try_(1, shared)
            retry_store = shared
        mark = len(payroll.calls("visma"))
        second = try_(2, retry_store)
        figures[lease] = payroll.calls("visma")[mark:]
        assert second["status"] == "released" and second["resumed"] is lease
        held = [b for b in ours(payroll) if journal_key_from_batch(b) == ref["journal_key"]]
        assert [b["status"] for b in held] == ["Posted"], held  # once, from Visma
    without, with_lease = len(figures[False]), len(figures[True])
    listing = [c for c in figures[False] if LISTING.match(c["path"])]
    print(f"\n{case}: retry calls without lease: {without} ({len(listing)} listing pages, "
          f"search periods {ref['search_periods']}); with lease: {with_lease}; "
          f"saved: {without - with_lease}")  # fmt: skip
    assert not [c for c in figures[True] if LISTING.match(c["path"])], figures[True]
    assert figures[True][0]["method"] == "GET"  # the stored winner, read back from Visma
    assert figures[True][0]["path"] == f"/v2/journaltransaction/{second['batch_number']}"
    assert with_lease < without
