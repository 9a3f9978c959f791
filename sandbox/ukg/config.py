"""What a UKG sandbox is started with, and the fixed credentials it accepts (contracts §2)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TENANT_ALIAS = "nordicmfg"
CLIENT_ID = "ukg-sandbox-client"
CLIENT_SECRET = "ukg-sandbox-secret"
CUSTOMER_API_KEY = "NMF01"
BASIC_USER = "svc_payroll"
BASIC_PASSWORD = "svc-sandbox-password"
DEFAULT_BLOCK_SIZE = 2000


@dataclass
class UkgConfig:
    """Start-up settings; ``data_dir=None`` keeps all state in memory (nothing survives a restart).

    ``scenario``/``seed``/``employees``/``options`` are used only when the data dir holds no state
    yet (a restart keeps what was there). ``rate_limit_per_minute=None`` = unlimited.
    ``org_level_writes`` is the switch that lets POST/PUT on org levels through (else 403).
    """

    data_dir: str | Path | None = None
    scenario: str = "manufacturer"
    seed: int = 42
    employees: int = 1200
    options: dict[str, Any] = field(default_factory=dict)
    token_lifetime: int = 3600
    latency_ms: int = 0
    rate_limit_per_minute: int | None = None
    block_size: int = DEFAULT_BLOCK_SIZE
    org_level_writes: bool = False

    @classmethod
    def of(cls, config: UkgConfig | dict[str, Any] | None) -> UkgConfig:
        if config is None:
            return cls()
        if isinstance(config, UkgConfig):
            return config
        return cls(**config)


def credentials(base_url: str) -> dict[str, Any]:
    """Body of ``GET /_sandbox/credentials``: what to paste into an Airflow connection."""
    conn = {
        "conn_type": "ukg",
        "host": base_url,
        "login": CLIENT_ID,
        "password": CLIENT_SECRET,
        "extra": {
            "tenant_alias": TENANT_ALIAS,
            "customer_api_key": CUSTOMER_API_KEY,
            "auth_mode": "oauth",
        },
    }
    return {
        "server": "ukg",
        "base_url": base_url,
        "token_url": f"{base_url}/signin/oauth2/t/{TENANT_ALIAS}/access_token",
        "tenant_alias": TENANT_ALIAS,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "customer_api_key": CUSTOMER_API_KEY,
        "basic_user": BASIC_USER,
        "basic_password": BASIC_PASSWORD,
        "connection": conn,
        "env": {"AIRFLOW_CONN_UKG_DEFAULT": json.dumps(conn, separators=(",", ":"))},
    }
