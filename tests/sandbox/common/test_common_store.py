"""StateStore: persistence across a reopen, atomic rollback, fresh copies, thread safety."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from sandbox.common import StateStore


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "state" / "server.sqlite3"


def test_put_get_returns_fresh_copies():
    store = StateStore(None)
    store.put("journals", "1", {"lines": [1, 2]})
    first = store.get("journals", "1")
    first["lines"].append(3)
    assert store.get("journals", "1") == {"lines": [1, 2]}
    assert store.get("journals", "missing", "dflt") == "dflt"
    assert store.has("journals", "1") and not store.has("journals", "2")


def test_state_survives_reopen_in_insertion_order(db_path):
    store = StateStore(db_path)
    store.put_many("employees", [("b", {"n": 1}), ("a", {"n": 2})])
    store.put("employees", "b", {"n": 3})  # an update keeps the original position
    assert store.next_id("batch") == 1
    assert store.next_id("batch") == 2
    store.close()

    reopened = StateStore(db_path)
    assert reopened.items("employees") == [("b", {"n": 3}), ("a", {"n": 2})]
    assert reopened.next_id("batch") == 3
    assert reopened.snapshot() == {"employees": {"b": {"n": 3}, "a": {"n": 2}}}
    reopened.close()


def test_atomic_rolls_back_disk_and_memory(db_path):
    store = StateStore(db_path)
    store.put("accounts", "5000", {"active": True})

    def half_way() -> None:
        with store.atomic():
            store.put("accounts", "5000", {"active": False})
            store.put("accounts", "5010", {"active": True})
            store.delete("accounts", "5000")
            raise RuntimeError("validation failed half way")

    with pytest.raises(RuntimeError):
        half_way()
    assert store.items("accounts") == [("5000", {"active": True})]
    store.close()
    assert StateStore(db_path).items("accounts") == [("5000", {"active": True})]


def test_clear_one_namespace_or_everything():
    store = StateStore(None)
    store.put("a", "1", 1)
    store.put("b", "1", 2)
    store.next_id("seq")
    store.clear("a")
    assert store.count("a") == 0 and store.count("b") == 1
    store.clear()
    assert store.namespaces() == []
    assert store.next_id("seq") == 1


def test_non_json_values_are_refused():
    store = StateStore(None)
    with pytest.raises(TypeError):
        store.put("journals", "1", {"amount": Decimal("1.10")})
    assert not store.has("journals", "1")


def test_concurrent_counters_never_repeat(db_path):
    store = StateStore(db_path)
    seen: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            value = store.next_id("batch")
            store.put("batches", str(value), {"n": value})
            with lock:
                seen.append(value)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 201))
    assert store.count("batches") == 200
