"""Configuration of the Visma sandbox and the fixed credentials it accepts (contracts §2)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLIENT_ID = "visma-sandbox-client"
CLIENT_SECRET = "visma-sandbox-secret"
TENANT_ID = "nordicmfg-erp"
SCOPES = (
    "vismanet_erp_service_api:read",
    "vismanet_erp_service_api:create",
    "vismanet_erp_service_api:update",
    "vismanet_erp_service_api:delete",
)


@dataclass
class VismaConfig:
    """Everything ``create_app`` needs; all fields have sandbox defaults.

    - ``data_dir``: where ``visma.sqlite3`` lives (None = in memory, lost on restart).
    - ``token_lifetime``: seconds, the ``expires_in`` of issued tokens.
    - ``rate_limit_per_minute``: the quota behind ``X-RateLimit-*`` and 429 (None = unlimited).
    - ``max_page_size``: journal-line page size cap of ``GET /v2/journaltransaction``.
    - ``employee_max_page_size``: page size cap of ``GET /v1/employee``.
    - ``max_journal_lines``: refuse bigger journals with 400 (None = no limit).
    - ``initial_reset``: a reset body applied at start when the data dir holds no state yet
      (e.g. ``{"scenario": "manufacturer", "seed": 42, "employees": 1200}``).
    """

    data_dir: Path | str | None = None
    token_lifetime: int = 3600
    latency_ms: int = 0
    rate_limit_per_minute: int | None = 6000
    max_page_size: int = 1000
    employee_max_page_size: int = 1000
    max_journal_lines: int | None = None
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    tenant_id: str = TENANT_ID
    scopes: tuple[str, ...] = SCOPES
    initial_reset: dict[str, Any] | None = field(default=None)

    @property
    def db_path(self) -> Path | None:
        return Path(self.data_dir) / "visma.sqlite3" if self.data_dir is not None else None


def credentials(config: VismaConfig, base_url: str) -> dict[str, Any]:
    """The body of ``GET /_sandbox/credentials``: ids, secrets and a ready Airflow connection."""
    connection = {
        "conn_type": "visma_net",
        "host": base_url,
        "login": config.client_id,
        "password": config.client_secret,
        "extra": {
            "tenant_id": config.tenant_id,
            "scopes": " ".join(config.scopes[:3]),
            "auth_url": f"{base_url}/connect/token",
        },
    }
    return {
        "server": "visma",
        "base_url": base_url,
        "token_url": f"{base_url}/connect/token",
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "tenant_id": config.tenant_id,
        "scopes": list(config.scopes),
        "connection": connection,
        "env": {"AIRFLOW_CONN_VISMA_DEFAULT": json.dumps(connection)},
    }
