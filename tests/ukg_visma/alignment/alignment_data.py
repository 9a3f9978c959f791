"""Builders for the two sides' raw bodies, shaped like the APIs (contracts.md §1).

A plain module (not a conftest) so that the tests import the builders by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEPARTMENTS = {
    "10": "Production",
    "20": "Maintenance",
    "30": "Logistics",
    "40": "Quality",
    "50": "Administration",
}
PLANTS = {"1": "Moss", "2": "Raufoss", "3": "Mo i Rana", "4": "Verdal"}


def forty_cost_centres() -> dict[str, str]:
    """4 plants × 10 cost centres; 3-digit codes, the first digit is the plant (110…424)."""
    out = {}
    for plant, name in PLANTS.items():
        for n in range(10):
            dept = DEPARTMENTS[f"{n % 5 + 1}0"]
            out[f"{plant}{n // 5 + 1}{n % 5}"] = f"{dept} {name} {n // 5 + 1}"
    return out


def ukg_item(level: int, code: str, description: str, active: bool = True) -> dict[str, Any]:
    return {
        "level": level,
        "code": code,
        "description": description,
        "glSegment": code,
        "isActive": active,
    }


def ukg_levels(
    cost_centres: dict[str, str], departments: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    items = [ukg_item(1, code, name) for code, name in (("MOS", "Moss"), ("RAU", "Raufoss"))]
    items += [
        ukg_item(2, c, d) for c, d in (DEPARTMENTS if departments is None else departments).items()
    ]
    items += [ukg_item(3, c, d) for c, d in cost_centres.items()]
    return items


def segment_value(value: str, description: str, active: bool = True) -> dict[str, Any]:
    return {
        "value": value,
        "description": description,
        "active": active,
        "lastModifiedDateTime": "2025-12-01T09:00:00",
    }


def visma_body(
    departments: Iterable[dict[str, Any]] = (),
    cost_centres: Iterable[dict[str, Any]] = (),
    *,
    with_defaults: bool = True,
) -> dict[str, Any]:
    """``GET /v1/dimension/SUBACCOUNT``; a fresh company holds only the defaults."""
    dept = [segment_value("00", "None")] if with_defaults else []
    cc = [segment_value("000", "None")] if with_defaults else []
    return {
        "id": "SUBACCOUNT",
        "description": "Subaccount",
        "length": 5,
        "segments": [
            {
                "segmentId": 1,
                "description": "Department",
                "length": 2,
                "validate": True,
                "segmentValues": [*dept, *departments],
            },
            {
                "segmentId": 2,
                "description": "Cost centre",
                "length": 3,
                "validate": True,
                "segmentValues": [*cc, *cost_centres],
            },
        ],
    }
