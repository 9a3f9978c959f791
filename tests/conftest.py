"""Test-session environment: an isolated Airflow home so tests never touch a user's ``~/airflow``,
and the hypothesis profile.

Set before anything imports ``airflow``; a developer can still point ``AIRFLOW_HOME`` elsewhere.

Hypothesis profiles (``HYPOTHESIS_PROFILE``; ``ci`` when unset): ``ci`` is small and has no
deadline (a shared 2-core machine makes a 200 ms deadline flaky), ``default`` is hypothesis' own
size without the deadline, ``campaign`` and ``nightly`` are large (``make test-properties``).
Property tests set no ``max_examples`` of their own, so the profile decides; they are marked
``property`` automatically.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

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

settings.register_profile("ci", max_examples=25, deadline=None, print_blob=True)
settings.register_profile("default", deadline=None)
settings.register_profile("campaign", max_examples=1_000, deadline=None, print_blob=True)
settings.register_profile("nightly", max_examples=10_000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if getattr(getattr(item, "function", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)
