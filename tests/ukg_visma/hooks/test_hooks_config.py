"""Connection parsing (docs/contracts.md §2) and registration of the connection types."""

from __future__ import annotations

import json

import pytest
from airflow.sdk import Connection

from ukg_visma.hooks.config import Timeouts, UkgConfig, VismaConfig
from ukg_visma.hooks.exceptions import ConnectionConfigError
from ukg_visma.hooks.forms import UKG_CONN_FIELDS, VISMA_CONN_FIELDS
from ukg_visma.hooks.ukg import UkgHook
from ukg_visma.hooks.visma import VismaHook
from ukg_visma.provider_info import get_provider_info


def _ukg(**extra):
    return Connection(
        conn_id="ukg_test",
        conn_type="ukg",
        host="http://127.0.0.1:8701/",
        login="client",
        password="s3cret-value",
        extra=json.dumps({"tenant_alias": "nordicmfg", **extra}),
    )


def test_ukg_defaults():
    cfg = UkgConfig.from_connection(_ukg(customer_api_key="NMF01"))
    assert cfg.base_url == "http://127.0.0.1:8701"
    assert cfg.token_url == "http://127.0.0.1:8701/signin/oauth2/t/nordicmfg/access_token"
    assert cfg.auth_mode == "oauth"
    assert cfg.timeouts == Timeouts(10.0, 60.0)
    assert cfg.token_skew_seconds == 60
    assert "s3cret-value" not in repr(cfg) and "NMF01" not in repr(cfg)


def test_ukg_missing_tenant_alias_names_connection_and_key():
    conn = Connection(conn_id="ukg_x", conn_type="ukg", host="h", login="a", password="b")
    with pytest.raises(ConnectionConfigError, match=r"'ukg_x'.*extra 'tenant_alias' is required"):
        UkgConfig.from_connection(conn)


def test_ukg_basic_mode_needs_customer_api_key():
    with pytest.raises(ConnectionConfigError, match="customer_api_key"):
        UkgConfig.from_connection(_ukg(auth_mode="basic"))
    with pytest.raises(ConnectionConfigError, match="auth_mode"):
        UkgConfig.from_connection(_ukg(auth_mode="kerberos"))


def test_ui_prefixed_extras_and_timeouts():
    cfg = UkgConfig.from_connection(
        _ukg(extra__ukg__customer_api_key="NMF01", timeout=[2, 30], token_skew_seconds="5"),
        timeout=None,
    )
    assert cfg.customer_api_key == "NMF01"
    assert cfg.timeouts == Timeouts(2.0, 30.0)
    assert cfg.token_skew_seconds == 5.0
    assert UkgConfig.from_connection(_ukg(timeout=90), timeout=4).timeouts == Timeouts(4.0, 4.0)
    with pytest.raises(ConnectionConfigError, match="timeout"):
        UkgConfig.from_connection(_ukg(timeout="forever"))


def test_host_forms():
    bare = Connection(conn_id="v", conn_type="visma_net", host="api.example.net", schema="https",
                      port=8443, login="c", password="p", extra='{"tenant_id": "t1"}')  # fmt: skip
    assert VismaConfig.from_connection(bare).base_url == "https://api.example.net:8443"
    leaky = Connection(conn_id="v", conn_type="visma_net", host="https://u:pw@api.example.net",
                       login="c", password="p", extra='{"tenant_id": "t1"}')  # fmt: skip
    with pytest.raises(ConnectionConfigError, match="not in the host URL"):
        VismaConfig.from_connection(leaky)


def test_visma_defaults_and_missing_tenant():
    conn = Connection(conn_id="visma_x", conn_type="visma_net", host="https://api.finance.visma.net",
                      login="c", password="p", extra='{"tenant_id": "t1"}')  # fmt: skip
    cfg = VismaConfig.from_connection(conn)
    assert cfg.token_url == "https://connect.visma.com/connect/token"
    assert "vismanet_erp_service_api:read" in cfg.scopes
    no_tenant = Connection(conn_id="visma_x", conn_type="visma_net", host="h", login="c",
                           password="p")  # fmt: skip
    with pytest.raises(ConnectionConfigError, match=r"'visma_x'.*'tenant_id' is required"):
        VismaConfig.from_connection(no_tenant)


def test_hook_identity():
    assert (UkgHook.conn_name_attr, UkgHook.default_conn_name, UkgHook.conn_type) == (
        "ukg_conn_id", "ukg_default", "ukg",
    )  # fmt: skip
    assert (VismaHook.conn_name_attr, VismaHook.default_conn_name, VismaHook.conn_type) == (
        "visma_conn_id", "visma_default", "visma_net",
    )  # fmt: skip
    with pytest.raises(TypeError):
        UkgHook("ukg_default")  # keyword-only, as Airflow providers do


def test_provider_info_matches_hook_forms():
    types = {c["connection-type"]: c for c in get_provider_info()["connection-types"]}
    assert types["ukg"]["hook-class-name"] == "ukg_visma.hooks.ukg.UkgHook"
    assert types["visma_net"]["hook-class-name"] == "ukg_visma.hooks.visma.VismaHook"
    assert set(types["ukg"]["conn-fields"]) == set(UKG_CONN_FIELDS)
    assert set(types["visma_net"]["conn-fields"]) == set(VISMA_CONN_FIELDS)
    behaviour = UkgHook.get_ui_field_behaviour()
    assert behaviour["hidden_fields"] == types["ukg"]["ui-field-behaviour"]["hidden-fields"]
    assert VismaHook.get_ui_field_behaviour()["relabeling"]["host"] == "API base URL"


def test_airflow_providers_manager_lists_both_connection_types():
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    hooks = ProvidersManagerTaskRuntime().hooks
    assert hooks["ukg"].hook_class_name == "ukg_visma.hooks.ukg.UkgHook"
    assert hooks["ukg"].connection_id_attribute_name == "ukg_conn_id"
    assert hooks["visma_net"].hook_class_name == "ukg_visma.hooks.visma.VismaHook"
    assert hooks["visma_net"].connection_testable
    manager = ProvidersManager()
    widgets = manager.connection_form_widgets
    assert "extra__ukg__tenant_alias" in widgets
    assert widgets["extra__ukg__customer_api_key"].is_sensitive
    assert "extra__visma_net__tenant_id" in widgets
    assert manager.field_behaviours["visma_net"]["hidden_fields"] == ["schema"]  # port: Test button


def test_connection_get_hook_builds_our_hooks():
    """What Airflow's UI "Test" button does: connection → hook class by conn_type."""
    hook = _ukg().get_hook()
    assert isinstance(hook, UkgHook) and hook.ukg_conn_id == "ukg_test"
    visma = Connection(conn_id="v_test", conn_type="visma_net", host="h").get_hook()
    assert isinstance(visma, VismaHook) and visma.visma_conn_id == "v_test"


def test_renamed_extras_and_their_old_names():
    """auth_url / renewal_lead_seconds (no "token" in the name: Airflow would mask them as ***);
    the old token_url / token_skew_seconds still work, the new name wins when both are set."""
    new = UkgConfig.from_connection(
        _ukg(auth_url="http://idp.example/t", renewal_lead_seconds="7", customer_api_key="N")
    )
    assert (new.token_url, new.token_skew_seconds) == ("http://idp.example/t", 7.0)
    old = UkgConfig.from_connection(
        _ukg(token_url="http://idp.example/old", token_skew_seconds=9, customer_api_key="N")
    )
    assert (old.token_url, old.token_skew_seconds) == ("http://idp.example/old", 9.0)
    both = UkgConfig.from_connection(
        _ukg(auth_url="http://idp.example/new", token_url="http://idp.example/old")
    )
    assert both.token_url == "http://idp.example/new"
    extra = json.dumps({"tenant_id": "t1", "extra__visma_net__auth_url": "http://i/t"})
    visma = Connection(
        conn_id="v",
        conn_type="visma_net",
        host="https://a.example",
        login="c",
        password="p",
        extra=extra,
    )
    assert VismaConfig.from_connection(visma).token_url == "http://i/t"


def test_no_form_field_is_named_like_a_secret_unless_it_is_one():
    """Airflow's masker hides extras whose names look secret; only real secrets may."""
    from airflow.sdk._shared.secrets_masker import should_hide_value_for_key

    from ukg_visma.hooks.forms import UKG_CONN_FIELDS, VISMA_CONN_FIELDS

    for fields in (UKG_CONN_FIELDS, VISMA_CONN_FIELDS):
        for name, spec in fields.items():
            secret = spec["schema"].get("format") == "password"
            assert should_hide_value_for_key(name) == secret, name
