"""Provider metadata: how Airflow learns this package's connection types and their UI forms."""

from __future__ import annotations

from ukg_visma import __version__


def get_provider_info() -> dict:
    return {
        "package-name": "ukg-visma",
        "name": "UKG Pro → Visma.net ERP",
        "description": "Payroll GL and employee sync from UKG Pro into Visma.net ERP.",
        "versions": [__version__],
        "connection-types": [],
    }
