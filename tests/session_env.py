"""The test session's environment, set on import (before anything imports ``airflow``): an
isolated Airflow home, the repo's DAG and plugin folders, and ``plugins/`` + the repo root on
``sys.path``. Imported by tests/conftest.py and bench/conftest.py.
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
