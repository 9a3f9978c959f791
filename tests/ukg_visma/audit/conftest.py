"""The audit store under test, on both databases it supports."""

from __future__ import annotations

import pytest

from ukg_visma.audit.schema import metadata
from ukg_visma.audit.store import get_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A fresh SQLite file per test, or the module's PostgreSQL database emptied first."""
    if request.param == "sqlite":
        return get_engine(f"sqlite:///{tmp_path}/audit.db")
    eng = get_engine(request.getfixturevalue("pg_url"))
    with eng.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "schema_versions":  # the store's version stays what it is
                conn.execute(table.delete())
    return eng
