"""A fresh PostgreSQL database per test module, on the machine's real server.

PostgreSQL is what production runs on; SQLite is only the embedded default. When no server is
reachable a newcomer's `make test` still runs everything else — but under CI (``CI=true``) a
missing server is a failure, never a silent skip.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "UKG_VISMA_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


def _admin_engine() -> sa.Engine | None:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError:
        return None
    return engine


@contextlib.contextmanager
def fresh_database(prefix: str = "ukgv_fresh") -> Iterator[str]:
    """A new, empty database on the real server for one test (``pg_url`` is per module; a test
    of schema creation or upgrade needs a store nobody opened yet); dropped afterwards."""
    admin = _admin_engine()
    if admin is None:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def pg_url():
    admin = _admin_engine()
    if admin is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"no PostgreSQL reachable at {PG_ADMIN_URL} (set UKG_VISMA_TEST_PG)")
    name = f"ukgv_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from ukg_visma.audit.store import engine_for

    engine_for(url).dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
