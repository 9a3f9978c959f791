"""Exactly once without a shared store: the settle protocol, judged from the Visma sandbox.

Two (or three) runs of one pay period, each with its own audit store, post the same journal key
against one Visma. Visma is the lock (docs/ledger-truth.md, docs/decisions/visma-as-the-lock.md):
each run creates its batch on hold, reads the key's batches back, and only the winner — a released
holder, else the lowest live batch number — is released; the others are emptied (lines
``operation: Delete``, description ``LOST to batch N``).

Here the protocol's steps are driven in chosen orders (every interleaving of two and three runs,
with runs that die between steps and retry from their own or another store), and by threads
racing the real ``post_journal`` with separate SQLite stores. Every verdict is read from the
sandbox's ``/_sandbox/state``: each key released exactly once, its money once, losers empty.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ledger_truth import ore, value

pytestmark = pytest.mark.e2e

PID = "202610"
RELEASED = {"Released", "Posted", "Unposted", "Completed", "PartiallyReleased"}


# -- a journal of our own (balanced, two lines on the sandbox's chart) -----------------------


def _chart(visma) -> tuple[list[str], list[dict[str, Any]]]:
    """Two payroll accounts of the mappings (wages, accrued wages) and the first value of every
    SUBACCOUNT segment, as the sandbox's chart has them."""
    dimension = visma.subaccount_dimension()
    sub = []
    for seg in sorted(dimension["segments"], key=lambda s: int(s["segmentId"])):
        values = [v for v in seg.get("segmentValues") or [] if v.get("active", True) is not False]
        first = values[0].get("valueId") or values[0].get("value")
        sub.append({"segmentId": int(seg["segmentId"]), "segmentValue": str(first)})
    return ["5000", "5090"], sub


def make_payload(visma, key: str, amount: str = "1234.56") -> dict[str, Any]:
    """The body our connector would POST for ``key`` (on hold; key + digest as plan writes)."""
    from ukg_visma.gl.journal import journal_ref

    (debit, credit), sub = _chart(visma)
    ref = journal_ref(key)

    def line(account: str, side: str) -> dict[str, Any]:
        return {
            "operation": "Insert",
            "accountNumber": {"value": account},
            "subaccount": sub,
            "referenceNumber": {"value": ref},
            "transactionDescription": {"value": "exactly-once probe"},
            f"{side}AmountInCurrency": {"value": Decimal(amount)},
        }

    return {
        "transactionDate": {"value": "2026-10-31T00:00:00"},
        "postPeriod": {"value": "102026"},
        "financialPeriod": {"value": PID},
        "ledger": {"value": "1"},
        "currencyId": {"value": "NOK"},
        "description": {"value": f"Payroll probe 2026-10 key={key}"},
        "hold": {"value": True},
        "journalTransactionLines": [line(debit, "debit"), line(credit, "credit")],
    }


def new_key() -> str:
    return f"nordicmfg:C0001:EO-{uuid.uuid4().hex[:8]}:20261031T000000Z:0"


class Run:
    """One run of the pay period: its own audit store, its own task owner (and ``run=`` tag)."""

    def __init__(self, name: str, key: str, payload_file: Path, tmp_path: Path) -> None:
        from ukg_visma.audit.store import get_engine
        from ukg_visma.gl.journal import JournalKey

        self.name, self.key = name, key
        self.owner = f"manual__{name}__{uuid.uuid4().hex[:6]}/{key}"
        self.engine = get_engine(f"sqlite:///{tmp_path}/audit-{name}-{uuid.uuid4().hex[:6]}.db")
        jk = JournalKey.parse(key)
        self.ref = {
            "journal_key": key,
            "kind": "full",
            "payload": str(payload_file),
            "payload_hash": "h",
            "company": jk.company,
            "pay_run": jk.pay_run,
            "run_version": jk.run_version,
            "split_index": jk.split_index,
            "visma_period": PID,
            "search_periods": [PID],
        }
        self.result: dict[str, Any] | None = None
        self.tries = 0

    # the protocol's steps, one at a time (what post_journal does in order)
    def create(self, visma, payload: dict[str, Any]) -> None:
        from ukg_visma.gl.holdings import run_tag, tag_description

        body = {**payload, "description": {"value": tag_description(
            value(payload["description"]), run_tag(self.owner))}}  # fmt: skip
        visma.create_journal(body)

    def settle(self, visma) -> None:
        from ukg_visma.tasks.payroll.posting import settle

        settle(visma, self.key, [PID], release=True)

    def post(self, visma) -> dict[str, Any]:
        """The real task function, as a (re)try of this run's ``post_journal``."""
        from ukg_visma.periods import PayPeriod
        from ukg_visma.tasks.payroll.posting import post_journal

        self.tries += 1
        self.result = post_journal(
            visma, self.engine, self.ref, PayPeriod.parse("2026-10"), owner=self.owner,
            try_number=self.tries,
        )  # fmt: skip
        return self.result


def batches_of(sandbox, key: str) -> list[dict[str, Any]]:
    return [
        b
        for b in sandbox.visma_state()["journals"]
        if str(value(b.get("description")) or "").endswith(f"key={key}")
    ]


def assert_released_once(sandbox, key: str, amount: str = "1234.56") -> dict[str, Any]:
    """Visma holds ``key`` released in exactly one batch, with its money once; others empty."""
    held = batches_of(sandbox, key)
    released = [b for b in held if b["status"] in RELEASED]
    assert len(released) == 1, [(b["batchNumber"], b["status"]) for b in held]
    (winner,) = released
    debit = sum(ore(ln.get("debitAmountInCurrency")) for b in held
                if b["status"] != "Voided" for ln in b["journalTransactionLines"])  # fmt: skip
    assert debit == ore(amount), held
    for b in held:
        if b is not winner and b["status"] != "Voided":
            assert b["journalTransactionLines"] == [], b
            assert str(value(b["description"])).startswith(f"LOST to batch {winner['batchNumber']}")
    return winner


@pytest.fixture
def proto(payroll, tmp_path):
    from ukg_visma.hooks.visma import VismaHook

    visma = VismaHook()

    def start(n: int) -> tuple[str, dict[str, Any], list[Run]]:
        key = new_key()
        payload = make_payload(visma, key)
        path = tmp_path / f"payload-{uuid.uuid4().hex[:8]}.json"
        from ukg_visma.hooks.jsonbody import dumps

        path.write_text(dumps(payload))
        return key, payload, [Run(chr(ord("A") + i), key, path, tmp_path) for i in range(n)]

    return visma, start


def interleavings(runs: int, steps: int = 2):
    """Every order of ``runs`` sequences of ``steps`` steps (each run's own order kept)."""
    seq = [r for r in range(runs) for _ in range(steps)]
    seen = set()
    for order in itertools.permutations(seq):
        if order not in seen:
            seen.add(order)
            yield order


@pytest.mark.parametrize("n", [2, 3])
def test_every_interleaving_of_create_and_settle_releases_the_key_once(payroll, proto, n):
    """Each run: create on hold, then settle — in every order (6 for two runs, 90 for three)."""
    visma, start = proto
    orders = list(interleavings(n))
    assert len(orders) == {2: 6, 3: 90}[n]
    for order in orders:
        key, payload, runs = start(n)
        done = [0] * n
        for r in order:
            if done[r] == 0:
                runs[r].create(visma, payload)
            else:
                runs[r].settle(visma)
            done[r] += 1
        winner = assert_released_once(payroll, key)
        numbers = sorted(b["batchNumber"] for b in batches_of(payroll, key))
        assert winner["batchNumber"] == numbers[0], (order, numbers)  # the lowest live holder


def test_every_interleaving_with_a_run_that_dies_after_creating_and_retries(payroll, proto):
    """A dies after its POST (no settle); B posts with its own store; A's retry comes anywhere
    after. Whoever settles first releases the lowest holder (A's, from a dead run): still once,
    and A's retry creates nothing."""
    visma, start = proto
    for order in interleavings(2, 2):
        key, payload, (a, b) = start(2)
        a.tries = 1  # A's post_journal is a retry (its first attempt died after the POST)
        done = [0, 0]
        for r in order:
            if r == 0 and done[0] == 0:
                a.create(visma, payload)  # ... and A dies before settling
            else:
                (a if r == 0 else b).post(visma)  # A's retry; B's attempt, then B's retry
            done[r] += 1
        winner = assert_released_once(payroll, key)
        assert len(batches_of(payroll, key)) <= 2  # the retries created nothing more
        assert a.result and b.result
        assert a.result["batch_number"] == b.result["batch_number"] == winner["batchNumber"]


def test_a_run_that_dies_between_off_hold_and_release(payroll, proto):
    """A's batch is taken off hold (Balanced) and A dies before the release; B's batch, created
    later, loses, and B releases A's batch on A's behalf — A's retry finds it released."""
    visma, start = proto
    key, payload, (a, b) = start(2)
    a.create(visma, payload)
    (mine,) = [x["batchNumber"] for x in batches_of(payroll, key)]
    visma.take_off_hold(mine)
    a.tries = 1  # A's next post_journal is a retry
    result = b.post(visma)
    assert result["batch_number"] == mine and result["lost"] and result["lost"] != mine
    assert assert_released_once(payroll, key)["batchNumber"] == mine
    calls = len(payroll.calls("visma"))
    again = a.post(visma)  # A's retry on its own store: reads back, finds its batch
    assert again["batch_number"] == mine and not again["lost"]
    posts = [c for c in payroll.calls("visma")[calls:] if c["method"] == "POST"]
    assert posts == []  # nothing created, nothing released again
    assert_released_once(payroll, key)


def test_a_late_run_with_a_stale_plan_loses_to_the_released_batch(payroll, proto):
    """C planned before A posted (it saw nothing) and posts after A released: C's batch is
    emptied and names A's; C's report says it lost."""
    visma, start = proto
    key, _, (a, b, c) = start(3)
    assert a.post(visma)["lost"] is None
    lost = c.post(visma)
    assert lost["lost"] and lost["batch_number"] == a.result["batch_number"]
    assert lost["status"] == "released"
    winner = assert_released_once(payroll, key)
    assert winner["batchNumber"] == a.result["batch_number"]
    # a retry of the loser from yet another store (b) creates nothing: another run holds the key
    b.tries = 1
    before = len(batches_of(payroll, key))
    assert b.post(visma)["batch_number"] == winner["batchNumber"]
    assert len(batches_of(payroll, key)) == before


def test_a_released_higher_batch_wins_over_a_lower_held_one(payroll, proto):
    """Should a higher batch be released first (a read that did not yet show the lower one),
    the released holder wins: the lower, unreleased one is emptied, never released."""
    visma, start = proto
    key, payload, (a, b) = start(2)
    a.create(visma, payload)
    b.create(visma, payload)
    _, high = sorted(x["batchNumber"] for x in batches_of(payroll, key))
    visma.take_off_hold(high)
    visma.release_journal(high)
    a.settle(visma)
    assert assert_released_once(payroll, key)["batchNumber"] == high


def test_threads_racing_post_journal_with_separate_stores(payroll, proto):
    """Three threads run the real ``post_journal`` for one key at the same moment, each with its
    own SQLite store, twenty times (the journal POST slowed so that every plan is stale)."""
    _, start = proto
    payroll.faults("visma", {"method": "POST", "path": "^/v2/journaltransaction/?$",
                             "latency_ms": 150, "times": None})  # fmt: skip
    try:
        for _ in range(20):
            key, _, runs = start(3)
            barrier = threading.Barrier(len(runs))
            errors: list[BaseException] = []

            def go(run: Run, barrier: threading.Barrier = barrier, errors: list = errors) -> None:
                from ukg_visma.hooks.visma import VismaHook

                barrier.wait()
                try:
                    run.post(VismaHook())
                except BaseException as exc:  # judged below
                    errors.append(exc)

            threads = [threading.Thread(target=go, args=(r,)) for r in runs]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert not errors, errors
            winner = assert_released_once(payroll, key)
            assert {r.result["batch_number"] for r in runs if r.result} == {winner["batchNumber"]}
            assert (
                sum(1 for r in runs if r.result and r.result["lost"])
                == len(batches_of(payroll, key)) - 1
            )
    finally:
        payroll.clear_faults("visma")
