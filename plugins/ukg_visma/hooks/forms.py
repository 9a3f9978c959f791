"""The Airflow UI's connection forms for ``ukg`` and ``visma_net``, declared once as plain data.

Airflow ≥ 3.2 reads forms from provider metadata (``conn-fields`` + ``ui-field-behaviour`` in
``provider_info.py``) without importing the hook; older UIs call the hooks'
``get_connection_form_widgets`` / ``get_ui_field_behaviour``. Both are built from the dicts below
so the two can never disagree. This module imports nothing heavy: ``provider_info`` uses it.
"""

from __future__ import annotations

from typing import Any

_TIMEOUT = {
    "label": "Timeout (s)",
    "description": "Read timeout in seconds for every API call (connect timeout ≤ 10 s).",
    "schema": {"type": ["number", "null"]},
}
_SKEW = {
    "label": "Renewal lead (s)",
    "description": "Renew the access token this many seconds before it expires (default 60). "
    "Formerly token_skew_seconds (still read).",
    "schema": {"type": ["integer", "null"], "default": 60},
}

UKG_CONN_FIELDS: dict[str, dict[str, Any]] = {
    "tenant_alias": {
        "label": "Tenant alias",
        "description": "UKG Pro tenant alias (part of the OAuth token URL), e.g. nordicmfg.",
        "schema": {"type": ["string", "null"]},
    },
    "customer_api_key": {
        "label": "Customer API key",
        "description": "The 5-character US-Customer-Api-Key (required in basic mode).",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
    "auth_mode": {
        "label": "Auth mode",
        "description": "oauth (client credentials, default) or basic (web-service account).",
        "schema": {
            "type": ["string", "null"],
            "enum": ["oauth", "basic", None],
            "default": "oauth",
        },
    },
    "auth_url": {
        "label": "OAuth URL (access-token endpoint)",
        "description": "Default: {host}/signin/oauth2/t/{tenant_alias}/access_token. "
        "Formerly token_url (still read).",
        "schema": {"type": ["string", "null"]},
    },
    "scope": {
        "label": "Scope",
        "description": "Optional OAuth scope.",
        "schema": {"type": ["string", "null"]},
    },
    "timeout": _TIMEOUT,
    "renewal_lead_seconds": _SKEW,
}

VISMA_CONN_FIELDS: dict[str, dict[str, Any]] = {
    "tenant_id": {
        "label": "Tenant id",
        "description": "Visma.net company tenant id sent with the client-credentials request.",
        "schema": {"type": ["string", "null"]},
    },
    "scopes": {
        "label": "Scopes",
        "description": "Space separated, e.g. vismanet_erp_service_api:read "
        "vismanet_erp_service_api:create vismanet_erp_service_api:update.",
        "schema": {"type": ["string", "null"]},
    },
    "auth_url": {
        "label": "OAuth URL (access-token endpoint)",
        "description": "Default: https://connect.visma.com/connect/token. "
        "Formerly token_url (still read).",
        "schema": {"type": ["string", "null"]},
    },
    "timeout": _TIMEOUT,
    "renewal_lead_seconds": _SKEW,
}

# ``port`` stays visible (a full URL in host wins over it; it only counts with a bare host name).
# Airflow 3.3.2's Test button sends ``port: 0`` for a connection without a port, which the API
# refuses (400 "host or port differs"); ``ukg_visma.ui.conn_test`` sends it on as ``null``.
UKG_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema"],
    "relabeling": {
        "port": "Port (only with a bare host name; leave empty)",
        "host": "API base URL",
        "login": "Client ID / service user",
        "password": "Client secret / password",
    },
    "placeholders": {
        "host": "https://service4.ultipro.com",
        "login": "OAuth client id (or basic service user)",
        "tenant_alias": "nordicmfg",
        "auth_mode": "oauth",
    },
}

VISMA_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema"],
    "relabeling": {
        "port": "Port (only with a bare host name; leave empty)",
        "host": "API base URL",
        "login": "Client ID",
        "password": "Client secret",
    },
    "placeholders": {
        "host": "https://api.finance.visma.net",
        "login": "Visma Developer Portal client id",
        "tenant_id": "company tenant id",
    },
}


def python_behaviour(behaviour: dict[str, Any]) -> dict[str, Any]:
    """``ui-field-behaviour`` (kebab-case keys) as the hook method returns it (snake_case)."""
    return {key.replace("-", "_"): value for key, value in behaviour.items()}


def form_widgets(conn_type: str, fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """wtforms widgets for pre-3.2 UIs; empty when the Flask UI stack is not installed.

    Airflow 3.3 never calls this (it reads ``conn-fields``), and its image ships without wtforms.
    """
    try:
        from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
        from wtforms import PasswordField, StringField
    except ImportError:
        return {}
    widgets: dict[str, Any] = {}
    for name, spec in fields.items():
        secret = spec["schema"].get("format") == "password"
        field_class, widget = (
            (PasswordField, BS3PasswordFieldWidget) if secret else (StringField, BS3TextFieldWidget)
        )
        widgets[name] = field_class(spec["label"], description=spec["description"], widget=widget())
    return widgets
