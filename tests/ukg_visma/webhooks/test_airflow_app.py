"""Secret resolution through Airflow's real secrets backends, and laziness of the plugin."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from ukg_visma.webhooks.airflow_app import airflow_secret_provider, lookup_secret

ROOT_PLUGIN = "ukg_visma_plugin"


@pytest.fixture
def no_webhook_secret(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_UKG_WEBHOOK", raising=False)
    monkeypatch.delenv("AIRFLOW_VAR_UKG_WEBHOOK_SECRET", raising=False)
    return monkeypatch


def test_connection_password_wins(no_webhook_secret):
    no_webhook_secret.setenv(
        "AIRFLOW_CONN_UKG_WEBHOOK", json.dumps({"conn_type": "generic", "password": "from-conn"})
    )
    no_webhook_secret.setenv("AIRFLOW_VAR_UKG_WEBHOOK_SECRET", "from-var")
    assert lookup_secret() == "from-conn"


def test_variable_when_the_connection_is_missing_or_has_no_password(no_webhook_secret):
    no_webhook_secret.setenv("AIRFLOW_VAR_UKG_WEBHOOK_SECRET", "from-var")
    assert lookup_secret() == "from-var"
    no_webhook_secret.setenv("AIRFLOW_CONN_UKG_WEBHOOK", json.dumps({"conn_type": "generic"}))
    assert lookup_secret() == "from-var"


def test_nothing_configured_is_none(no_webhook_secret):
    assert lookup_secret() is None


def test_provider_caches_briefly_and_never_caches_a_missing_secret():
    answers = iter([None, "s1", "s2"])
    calls = []

    def lookup(conn_id: str, variable: str) -> str | None:
        calls.append((conn_id, variable))
        return next(answers)

    provide = airflow_secret_provider(ttl_s=60.0, lookup=lookup)
    assert provide() is None
    assert provide() == "s1"  # a missing secret was not cached
    assert provide() == "s1"  # cached
    assert len(calls) == 2
    expired = airflow_secret_provider(ttl_s=0.0, lookup=lambda c, v: f"{c}:{v}")
    assert expired() == "ukg_webhook:ukg_webhook_secret"


def test_importing_the_plugin_reads_no_secret_and_opens_no_database(no_webhook_secret, tmp_path):
    # Any lookup at import time would fail on this connection value, and any engine would
    # create this file.
    no_webhook_secret.setenv("AIRFLOW_CONN_UKG_WEBHOOK", "{not json")
    no_webhook_secret.setenv("UKG_VISMA_AUDIT_URL", f"sqlite:///{tmp_path}/never.db")
    path = Path(__file__).resolve().parents[3] / "plugins" / f"{ROOT_PLUGIN}.py"
    spec = importlib.util.spec_from_file_location("ukg_visma_plugin_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (entry,) = module.UkgVismaPlugin.fastapi_apps
    assert entry["url_prefix"] == "/ukg-visma"
    assert not (tmp_path / "never.db").exists()


def test_plugin_folder_loads_exactly_our_plugin():
    """``plugins/.airflowignore`` keeps the loader out of the package: without it every module
    would be imported under its bare file name (``audit/airflow.py`` as ``airflow``)."""
    import sys

    from airflow._shared.plugins_manager.plugins_manager import (
        _load_plugins_from_plugin_directory,
    )

    real_airflow = sys.modules["airflow"]
    plugins, errors = _load_plugins_from_plugin_directory(
        plugins_folder=str(Path(__file__).resolve().parents[3] / "plugins")
    )
    assert errors == {}
    assert [p.name for p in plugins] == ["ukg_visma"]
    assert sys.modules["airflow"] is real_airflow
    for stem in ("store", "schema", "inbox", "receiver", "diff"):
        assert stem not in sys.modules
