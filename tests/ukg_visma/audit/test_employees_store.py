from __future__ import annotations

import datetime as dt
import threading

import pytest

from ukg_visma.audit import employees as store
from ukg_visma.employees.models import EmployeeSnapshot


def snapshot(eid: str, changed: str, **extra) -> dict:
    return {
        "employeeId": eid,
        "employeeNumber": f"n-{eid}",
        "employeeStatus": "A",
        "orgLevel3Code": "110",
        "dateTimeChanged": changed,
    } | extra


def test_put_and_get_many(engine):
    model = EmployeeSnapshot.model_validate(snapshot("E2", "2026-05-01T08:00:00Z"))
    written = store.put_snapshots(engine, [snapshot("E1", "2026-05-01T08:00:00Z"), model])
    assert written == 2
    got = store.get_snapshots(engine, ["E1", "E2", "missing"])
    assert set(got) == {"E1", "E2"}
    assert EmployeeSnapshot.model_validate(got["E2"]) == model
    assert set(store.get_snapshots(engine)) == {"E1", "E2"}


def test_older_snapshot_never_overwrites_newer(engine):
    store.put_snapshots(engine, [snapshot("E1", "2026-05-01T10:00:00+02:00", jobCode="NEW")])
    # 10:00+02:00 is 08:00Z, so 07:30Z is older: times are compared in UTC, not as text.
    assert store.put_snapshots(engine, [snapshot("E1", "2026-05-01T07:30:00Z", jobCode="OLD")]) == 0
    assert store.get_snapshots(engine, ["E1"])["E1"]["jobCode"] == "NEW"
    assert (
        store.put_snapshots(engine, [snapshot("E1", "2026-05-01T08:00:00Z", jobCode="SAME")]) == 1
    )
    assert (
        store.put_snapshots(engine, [snapshot("E1", "2026-05-01T09:00:00Z", jobCode="NEWER")]) == 1
    )
    assert store.get_snapshots(engine, ["E1"])["E1"]["jobCode"] == "NEWER"


def test_many_ids_are_chunked(engine):
    snaps = [snapshot(f"E{i:04d}", "2026-05-01T08:00:00Z") for i in range(1200)]
    assert store.put_snapshots(engine, snaps) == 1200
    assert len(store.get_snapshots(engine, [s["employeeId"] for s in snaps])) == 1200


def test_watermark_moves_forward_only(engine):
    assert store.get_watermark(engine) is None
    t1 = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    assert store.set_watermark(engine, t1) == t1
    earlier = dt.datetime(2026, 6, 1, 13, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # 11:00Z
    assert store.set_watermark(engine, earlier) == t1
    t2 = dt.datetime(2026, 6, 1, 15, tzinfo=dt.UTC)
    assert store.set_watermark(engine, t2) == t2
    assert store.set_watermark(engine, t1, allow_backwards=True) == t1
    assert store.get_watermark(engine, "other") is None
    with pytest.raises(ValueError, match="naive"):
        store.set_watermark(engine, dt.datetime(2026, 6, 2))


def test_concurrent_watermark_writers_end_at_the_maximum(engine):
    base = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    values = [base + dt.timedelta(minutes=m) for m in (5, 50, 20, 35, 10, 45, 1, 30)]
    barrier = threading.Barrier(len(values))

    def write(value: dt.datetime) -> None:
        barrier.wait()
        store.set_watermark(engine, value)

    threads = [threading.Thread(target=write, args=(v,)) for v in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get_watermark(engine) == max(values)


def test_pending_changes_lifecycle(engine):
    s1 = snapshot("E1", "2026-05-01T08:00:00Z", orgLevel3Code="360")
    s2 = snapshot("E2", "2026-05-01T08:00:00Z")
    assert store.add_pending(engine, [(s1, "cost centre 360 unmapped"), (s2, "Visma 400")]) == 2
    assert store.increment_failed_runs(engine, ["E1", "E2"]) == 2
    assert store.increment_failed_runs(engine, ["E1"]) == 1
    newer = snapshot("E1", "2026-05-02T08:00:00Z", orgLevel3Code="360", jobCode="X")
    store.add_pending(engine, [(newer, "still unmapped")])
    rows = {r["employee_id"]: r for r in store.list_pending(engine)}
    assert rows["E1"]["failed_runs"] == 2  # kept across re-adds
    assert rows["E1"]["reason"] == "still unmapped"
    assert rows["E1"]["snapshot"]["jobCode"] == "X"
    assert rows["E1"]["first_seen"] <= rows["E1"]["updated_at"]
    assert [r["employee_id"] for r in store.pending_over_threshold(engine, 2)] == ["E1"]
    assert store.clear_pending(engine, ["E1", "nobody"]) == 1
    assert [r["employee_id"] for r in store.list_pending(engine)] == ["E2"]
    assert store.add_pending(engine, []) == 0
