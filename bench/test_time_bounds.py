"""Wall-clock bounds, moved out of the test suite (``make bench``; run by ``.ci/run``).

Each bound here used to be an ``assert elapsed < N`` inside a test. The behaviour each one
guarded is still asserted in tests/ without a clock (named per test below); what stays here is the
measurement: the budget a user would notice, with the same generous margins as before.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hooks_helpers import FAST
from import_probe import DAG_FILES, probe
from sandbox_fixture import Sandbox

from sandbox.common import ServerThread, StateStore, create_sandbox_app
from sandbox.scenario import build
from ukg_visma.hooks import UkgHook
from ukg_visma.hooks.auth import clear_token_cache
from ukg_visma.hooks.exceptions import TransientError
from ukg_visma.hooks.retry import RetryPolicy, reset_pacers

ORG_LEVELS = "/configuration/v1/org-levels"
PARSE_BOUND_S = 1.5  # a 0.5 s budget, with room for a slow shared CI machine


@pytest.mark.parametrize("path", DAG_FILES, ids=[p.stem for p in DAG_FILES])
def test_dag_file_parses_fast(path: Path) -> None:
    """tests/dags/test_dag_integrity.py: parses alone, without pandas."""
    assert probe()["dags"][path.stem]["seconds"] < PARSE_BOUND_S


def test_scenario_build_is_fast() -> None:
    """tests/sandbox/test_sandbox_scenario.py: the build is deterministic."""
    started = time.perf_counter()
    build(7, 1200)
    assert time.perf_counter() - started < 3.0


def test_admin_routes_are_never_slowed_down(tmp_path: Path) -> None:
    """tests/sandbox/common/test_common_http.py: latency applies to the API (lower bounds)."""
    store = StateStore(tmp_path / "state.db")
    with ServerThread(create_sandbox_app(name="bench", store=store)) as server:
        requests.post(f"{server.url}/_sandbox/config", json={"latency_ms": 200}, timeout=5)
        started = time.monotonic()
        requests.get(f"{server.url}/_sandbox/health", timeout=5)
        assert time.monotonic() - started < 0.2
    store.close()


@pytest.fixture
def box(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox.reset()
    sandbox.config("ukg", token_lifetime=3600, rate_limit_per_minute=None, latency_ms=0)
    for key, value in sandbox.connections_env().items():
        monkeypatch.setenv(key, value)
    clear_token_cache()
    reset_pacers()
    yield sandbox
    sandbox.clear_faults()
    clear_token_cache()
    reset_pacers()


def test_429_backoff_without_retry_after_stays_short(box: Sandbox) -> None:
    """tests/ukg_visma/hooks/test_hooks_ukg.py: backs off (>= 0.2 s), retries twice, succeeds."""
    box.faults("ukg", {"path": "^/configuration", "status": 429, "times": 2})
    started = time.monotonic()
    assert UkgHook().get_json(ORG_LEVELS)
    assert time.monotonic() - started <= 3.5  # U(0.1, 1) + U(0.1, 2)


def test_503_storm_ends_within_the_time_budget(box: Sandbox) -> None:
    """tests/ukg_visma/hooks/test_hooks_ukg.py: bounded by attempts and by the call count."""
    box.faults("ukg", {"path": "^/configuration", "status": 503, "times": None})
    started = time.monotonic()
    with pytest.raises(TransientError):
        UkgHook(retry_policy=FAST).get_json(ORG_LEVELS)
    assert time.monotonic() - started < FAST.max_total_seconds
    policy = RetryPolicy(max_attempts=1000, max_total_seconds=2.0, backoff_initial=0.2,
                         backoff_max=0.4)  # fmt: skip
    started = time.monotonic()
    with pytest.raises(TransientError):
        UkgHook(retry_policy=policy).get_json(ORG_LEVELS)
    assert time.monotonic() - started < 2.5


def test_a_slow_read_is_abandoned_at_the_read_timeout(box: Sandbox) -> None:
    """tests/ukg_visma/hooks/test_hooks_ukg.py: the slow read is retried once and succeeds."""
    box.faults("ukg", {"path": "^/configuration", "latency_ms": 1500, "times": 1})
    started = time.monotonic()
    assert UkgHook(timeout=(1, 0.5), retry_policy=FAST).get_json(ORG_LEVELS)
    assert time.monotonic() - started < 1.4  # gave up on the slow answer after 0.5 s
