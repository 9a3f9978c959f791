"""Test-session set-up: the environment (``session_env``: an isolated Airflow home so tests never
touch a user's ``~/airflow``, set before anything imports ``airflow``; a developer can still point
``UKG_VISMA_TEST_AIRFLOW_HOME`` elsewhere), the shared fixtures, and the hypothesis profile.

Hypothesis profiles (``HYPOTHESIS_PROFILE``; ``ci`` when unset): ``ci`` is small and has no
deadline (a shared 2-core machine makes a 200 ms deadline flaky), ``default`` is hypothesis' own
size without the deadline, ``campaign`` and ``nightly`` are large (``make test-properties``).
Property tests set no ``max_examples`` of their own, so the profile decides; they are marked
``property`` automatically.
"""

from __future__ import annotations

import os

import pytest
import session_env  # noqa: F401 - before anything imports airflow
from hypothesis import settings

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
