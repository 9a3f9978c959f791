"""A small persistent key-value state store: SQLite on disk, JSON text in memory.

Why this shape: a crash test restarts a sandbox server and expects its state (journals, employees,
GL runs) to still be there, so every write goes to SQLite before the call returns. Reads are served
from an in-memory copy of the JSON text, so they never touch the disk and every read returns a
fresh object (``json.loads``) that callers may mutate freely — which also makes a snapshot cheap.
Records are grouped into namespaces (``"journals"``, ``"employees"``, …); keys keep insertion order,
also across a restart.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (ns, key)
)
"""
_UPSERT = (
    "INSERT INTO kv (ns, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value"
)
_SEQ_NS = "_seq"


def _dumps(value: Any) -> str:
    """JSON with no silent coercion: a Decimal or datetime must be converted by the caller."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class StateStore:
    """Thread-safe namespaced store; ``path=None`` keeps everything in memory (tests).

    Every mutating call is atomic on its own; wrap several in :meth:`atomic` to make them one
    transaction (all or nothing, on disk and in memory).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            str(self.path) if self.path else ":memory:",
            check_same_thread=False,
            isolation_level=None,
        )
        if self.path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._mem: dict[str, dict[str, str]] = {}
        for ns, key, value in self._db.execute("SELECT ns, key, value FROM kv ORDER BY rowid"):
            self._mem.setdefault(ns, {})[key] = value
        self._depth = 0
        self._undo: list[tuple[str, str, str | None]] = []
        self._generations: dict[str, int] = {}

    # ---- transactions -------------------------------------------------------------------
    @contextmanager
    def atomic(self) -> Iterator[StateStore]:
        """Group writes into one transaction; nested calls join the outer one."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN")
                self._undo = []
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                    self._rollback_memory()
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")
                self._undo = []

    def _rollback_memory(self) -> None:
        for ns, key, old in reversed(self._undo):
            self._generations[ns] = self._generations.get(ns, 0) + 1
            bucket = self._mem.setdefault(ns, {})
            if old is None:
                bucket.pop(key, None)
            else:
                bucket[key] = old
        self._undo = []

    def _set(self, ns: str, key: str, text: str | None) -> None:
        """Write one record (None deletes) inside the current transaction."""
        bucket = self._mem.setdefault(ns, {})
        self._undo.append((ns, key, bucket.get(key)))
        self._generations[ns] = self._generations.get(ns, 0) + 1
        if text is None:
            bucket.pop(key, None)
            self._db.execute("DELETE FROM kv WHERE ns = ? AND key = ?", (ns, key))
        else:
            bucket[key] = text
            self._db.execute(_UPSERT, (ns, key, text))

    # ---- reads --------------------------------------------------------------------------
    def get(self, ns: str, key: str, default: Any = None) -> Any:
        """A fresh copy of one record, or ``default``."""
        with self._lock:
            text = self._mem.get(ns, {}).get(key)
        return default if text is None else json.loads(text)

    def has(self, ns: str, key: str) -> bool:
        with self._lock:
            return key in self._mem.get(ns, {})

    def generation(self, ns: str) -> int:
        """Changes whenever a record of ``ns`` is written, deleted or rolled back: a reader may
        keep what it derived from the namespace for as long as this stays the same."""
        with self._lock:
            return self._generations.get(ns, 0)

    def keys(self, ns: str) -> list[str]:
        with self._lock:
            return list(self._mem.get(ns, {}))

    def count(self, ns: str) -> int:
        with self._lock:
            return len(self._mem.get(ns, {}))

    def items(self, ns: str) -> list[tuple[str, Any]]:
        """All records of a namespace in insertion order, as fresh copies."""
        with self._lock:
            texts = list(self._mem.get(ns, {}).items())
        return [(key, json.loads(text)) for key, text in texts]

    def values(self, ns: str) -> list[Any]:
        return [value for _, value in self.items(ns)]

    def namespaces(self) -> list[str]:
        with self._lock:
            return [ns for ns, bucket in self._mem.items() if bucket and ns != _SEQ_NS]

    def snapshot(self, namespaces: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """``{ns: {key: record}}`` for the given (default: all) namespaces, as fresh copies."""
        names = list(namespaces) if namespaces is not None else self.namespaces()
        return {ns: dict(self.items(ns)) for ns in names}

    # ---- writes -------------------------------------------------------------------------
    def put(self, ns: str, key: str, value: Any) -> None:
        text = _dumps(value)
        with self.atomic():
            self._set(ns, key, text)

    def put_many(self, ns: str, records: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        pairs = records.items() if isinstance(records, Mapping) else records
        encoded = [(key, _dumps(value)) for key, value in pairs]
        with self.atomic():
            for key, text in encoded:
                self._set(ns, key, text)

    def delete(self, ns: str, key: str) -> bool:
        with self.atomic():
            if key not in self._mem.get(ns, {}):
                return False
            self._set(ns, key, None)
            return True

    def clear(self, ns: str | None = None) -> None:
        """Empty one namespace, or everything (sequences included) when ``ns`` is None."""
        with self.atomic():
            names = [ns] if ns is not None else list(self._mem)
            for name in names:
                for key in list(self._mem.get(name, {})):
                    self._set(name, key, None)

    def next_id(self, name: str, start: int = 1) -> int:
        """A persistent counter (batch numbers, ids): returns ``start`` first, then +1 each call."""
        with self.atomic():
            current = self.get(_SEQ_NS, name)
            value = start if current is None else int(current) + 1
            self._set(_SEQ_NS, name, _dumps(value))
            return value

    def reset_id(self, name: str) -> None:
        """Forget a counter, so its next ``next_id`` starts over."""
        with self.atomic():
            if self.has(_SEQ_NS, name):
                self._set(_SEQ_NS, name, None)

    def close(self) -> None:
        with self._lock:
            self._db.close()
