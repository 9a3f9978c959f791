"""An Airflow metadata DB for tests that run DAGs in-process (``dag.test``).

The test session's ``AIRFLOW_HOME`` is a temp dir (tests/conftest.py); this migrates its SQLite DB
once per session with the real ``airflow db migrate``, as a user's first run would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def airflow_db() -> str:
    home = Path(os.environ["AIRFLOW_HOME"])
    stamp = home / ".migrated"
    if not stamp.exists():
        airflow = Path(sys.executable).parent / "airflow"
        out = subprocess.run(
            [str(airflow), "db", "migrate"], capture_output=True, text=True, timeout=600
        )
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        stamp.touch()
    return str(home)
