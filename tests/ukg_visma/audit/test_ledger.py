from __future__ import annotations

import datetime as dt
import threading

import pytest

from ukg_visma.audit import ledger
from ukg_visma.audit.store import utcnow


def _claim(engine, owner, key="nordicmfg/NMF/NMF-202610-R1/v1/0", **kw):
    return ledger.claim(
        engine,
        journal_key=key,
        period="2026-10",
        company="NMF",
        pay_run="NMF-202610-R1",
        run_version="v1",
        split_index=0,
        payload_hash="h",
        owner=owner,
        **kw,
    )


def test_first_claim_then_same_owner_retakes(engine):
    e1 = _claim(engine, "task-a", key="k1")
    assert (e1.status, e1.attempts, e1.lease_owner) == ("claimed", 1, "task-a")
    ledger.record(engine, "k1", "task-a", status="unknown", error="connection dropped")
    e2 = _claim(engine, "task-a", key="k1")
    assert e2.outcome_unknown and e2.attempts == 2


def test_other_owner_blocked_until_lease_expires(engine):
    _claim(engine, "run-1", key="k2", lease_s=60)
    with pytest.raises(ledger.JournalBusyError, match="run-1"):
        _claim(engine, "run-2", key="k2")
    later = utcnow() + dt.timedelta(seconds=120)
    assert _claim(engine, "run-2", key="k2", now=later).lease_owner == "run-2"
    with pytest.raises(ledger.JournalBusyError, match="lost the lease"):
        ledger.record(engine, "k2", "run-1", status="created", batch_number="000001")


def test_done_journal_is_returned_not_reclaimed(engine):
    _claim(engine, "a", key="k3")
    ledger.record(engine, "k3", "a", status="released", batch_number="000042", release_lease=True)
    entry = _claim(engine, "b", key="k3")
    assert (entry.status, entry.batch_number, entry.lease_owner) == ("released", "000042", None)


def test_racing_claims_exactly_one_winner(engine):
    winners, busy = [], []
    barrier = threading.Barrier(8)

    def worker(i):
        barrier.wait()
        try:
            winners.append(_claim(engine, f"w{i}", key="k4").lease_owner)
        except ledger.JournalBusyError:
            busy.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and len(busy) == 7
    assert ledger.get(engine, "k4").lease_owner == winners[0]
