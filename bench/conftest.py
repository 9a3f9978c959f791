"""bench/ runs with the test suite's session (isolated Airflow home, sandbox fixture): `make bench`.

Timing bounds live here, not in tests/: a wall-clock bound is a measurement, and on a shared
machine a measurement in the suite is a flake.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS / "ukg_visma" / "hooks"))
sys.path.insert(0, str(TESTS))

import session_env  # noqa: E402,F401 - before anything imports airflow

pytest_plugins = ["pg_fixture", "sandbox_fixture", "airflow_fixture"]
