"""Provider metadata: how Airflow learns this package's connection types and their UI forms."""

from __future__ import annotations

from ukg_visma import __version__
from ukg_visma.hooks.forms import (
    UKG_CONN_FIELDS,
    UKG_FIELD_BEHAVIOUR,
    VISMA_CONN_FIELDS,
    VISMA_FIELD_BEHAVIOUR,
)


def get_provider_info() -> dict:
    return {
        "package-name": "ukg-visma",
        "name": "UKG Pro → Visma.net ERP",
        "description": "Payroll GL and employee sync from UKG Pro into Visma.net ERP.",
        "versions": [__version__],
        "connection-types": [
            {
                "hook-class-name": "ukg_visma.hooks.ukg.UkgHook",
                "hook-name": "UKG Pro",
                "connection-type": "ukg",
                "ui-field-behaviour": UKG_FIELD_BEHAVIOUR,
                "conn-fields": UKG_CONN_FIELDS,
            },
            {
                "hook-class-name": "ukg_visma.hooks.visma.VismaHook",
                "hook-name": "Visma.net ERP",
                "connection-type": "visma_net",
                "ui-field-behaviour": VISMA_FIELD_BEHAVIOUR,
                "conn-fields": VISMA_CONN_FIELDS,
            },
        ],
        # Hook-level lineage (ukg_visma.lineage): how the OpenLineage provider names these assets.
        "asset-uris": [
            {
                "schemes": ["ukg", "visma"],
                "handler": "ukg_visma.lineage_openlineage.sanitize_uri",
                "to_openlineage_converter": "ukg_visma.lineage_openlineage.to_dataset",
            }
        ],
    }
