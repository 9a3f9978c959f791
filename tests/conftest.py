"""Test-session environment: an isolated Airflow home so tests never touch a user's ``~/airflow``.

Set before anything imports ``airflow``; a developer can still point ``AIRFLOW_HOME`` elsewhere.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_home = os.environ.get("UKG_VISMA_TEST_AIRFLOW_HOME") or tempfile.mkdtemp(prefix="ukgv-airflow-")
os.environ["AIRFLOW_HOME"] = _home
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
sys.path.insert(0, str(ROOT / "plugins"))
# The repo root first, so `sandbox` is the real package, not the `tests/sandbox` test folder.
sys.path.insert(0, str(ROOT))

pytest_plugins = ["pg_fixture", "sandbox_fixture", "airflow_fixture"]
