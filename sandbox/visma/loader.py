"""Load a customer's Visma data (the scenario's ``.visma`` part) into the store, as the real DTOs.

Why a translation step: ``sandbox/scenario.py`` writes plain data close to the notes
(``value``, ``periodId``, ``lastModifiedDateTime``), while the real API names some fields
differently (``valueId``, ``period``, ``lastModified`` — checked against the OpenAPI document).
The loader accepts either spelling and stores exactly what the real service would answer.
"""

from __future__ import annotations

from typing import Any

from sandbox.common import StateStore
from sandbox.visma.errors import VismaError
from sandbox.visma.util import new_timestamp, now_text

NAMESPACES = (
    "accounts",
    "dimensions",
    "segments",
    "departments",
    "projects",
    "periods",
    "employees",
    "subaccounts",
    "journals",
)
_COUNTERS = (
    "batchNumber",
    "subaccountId",
    "employeeId",
    "contactId",
    "segmentValueId",
    "segmentInternalId",
    "accountID",
    "projectInternalId",
)


def _date_time(value: Any) -> Any:
    """``2026-01-01`` → ``2026-01-01T00:00:00`` (the API always answers date-times)."""
    if isinstance(value, str) and len(value) == 10:
        return f"{value}T00:00:00"
    return value


def _account(store: StateStore, item: dict[str, Any], now: str) -> dict[str, Any]:
    control = item.get("controlAccountModule")
    return {
        "accountID": item.get("accountID") or store.next_id("accountID", start=1000),
        "accountCD": str(item["accountCD"]),
        "accountGroupCD": item.get("accountGroupCD"),
        "accountClass": item.get("accountClass"),
        "type": item.get("type"),
        "active": bool(item.get("active", True)),
        "description": item.get("description", ""),
        "accountClassDescription": item.get("accountClassDescription"),
        "useDefaultSub": bool(item.get("useDefaultSub", False)),
        "postOption": item.get("postOption", "Detail"),
        "currency": item.get("currency"),
        "taxCategory": item.get("taxCategory"),
        "cashAccount": bool(item.get("cashAccount", False)),
        "publicCode1": item.get("publicCode1"),
        "lastModifiedDateTime": item.get("lastModifiedDateTime") or now,
        "controlAccountModule": control,
        "allowManualEntry": bool(item.get("allowManualEntry", not control)),
        "timeStamp": new_timestamp(store),
    }


def _segment(store: StateStore, item: dict[str, Any], now: str, empty: bool) -> dict[str, Any]:
    stamp = new_timestamp(store)
    values: dict[str, Any] = {}
    for raw in [] if empty else item.get("segmentValues", []):
        value = str(raw.get("valueId", raw.get("value")))
        values[value] = {
            "internalId": str(store.next_id("segmentValueId")),
            "segmentId": int(item["segmentId"]),
            "valueId": value,
            "description": raw.get("description", ""),
            "publicId": None,
            "active": bool(raw.get("active", True)),
            "timeStamp": stamp,
            "lastModified": raw.get("lastModified") or raw.get("lastModifiedDateTime") or now,
            "mappedSegValue": None,
        }
    return {
        "internalId": str(store.next_id("segmentInternalId")),
        "segmentId": int(item["segmentId"]),
        "description": item.get("description", ""),
        "length": int(item["length"]),
        "publicId": None,
        "timeStamp": stamp,
        "lastModified": item.get("lastModified") or now,
        "validate": bool(item.get("validate", True)),
        "isAutoNumber": False,
        "values": values,
    }


def _project(store: StateStore, item: dict[str, Any], now: str) -> dict[str, Any]:
    tasks = [
        {
            "taskId": str(task["taskId"]),
            "description": task.get("description", ""),
            "status": task.get("status", "Active"),
            "restrictEmployees": False,
            "timeStamp": new_timestamp(store),
        }
        for task in item.get("tasks", [])
    ]
    return {
        "internalID": item.get("internalID")
        or item.get("internalId")
        or store.next_id("projectInternalId", start=10),
        "projectID": str(item["projectID"]),
        "customer": item.get("customer"),
        "hold": bool(item.get("hold", False)),
        "status": item.get("status", "Active"),
        "description": item.get("description", ""),
        "startDate": _date_time(item.get("startDate")),
        "endDate": _date_time(item.get("endDate")),
        "restrictEmployees": False,
        "restrictEquipment": False,
        "lastModifiedDateTime": item.get("lastModifiedDateTime") or now,
        "tasks": tasks,
        "publicId": None,
        "systemTemplate": False,
        "timeStamp": new_timestamp(store),
        "note": None,
    }


def _period(item: dict[str, Any]) -> dict[str, Any]:
    period = str(item.get("period") or item["periodId"])
    closed_gl = bool(item.get("closedInGeneralLedger", False))
    return {
        "year": int(item.get("year") or period[:4]),
        "period": period,
        "startDate": _date_time(item.get("startDate")),
        "endDate": _date_time(item.get("endDate")),
        "description": item.get("description", ""),
        "active": bool(item.get("active", True)),
        "closedInSupplierLedger": bool(item.get("closedInSupplierLedger", closed_gl)),
        "closedInCustomerLedger": bool(item.get("closedInCustomerLedger", closed_gl)),
        "closedInInventoryManagement": bool(item.get("closedInInventoryManagement", closed_gl)),
        "closedInGeneralLedger": closed_gl,
        "closedInCashManagement": bool(item.get("closedInCashManagement", closed_gl)),
        "closedInFixedAssets": bool(item.get("closedInFixedAssets", closed_gl)),
    }


def _department(store: StateStore, item: dict[str, Any], now: str) -> dict[str, Any]:
    return {
        "departmentId": str(item.get("departmentId") or item["id"]),
        "publicId": None,
        "description": item.get("description", ""),
        "expenseAccount": item.get("expenseAccount"),
        "expenseSubaccount": item.get("expenseSubaccount"),
        "lastModifiedDateTime": item.get("lastModifiedDateTime") or now,
        "timeStamp": new_timestamp(store),
    }


def load(store: StateStore, visma: dict[str, Any], *, empty_segments: bool = False) -> None:
    """Replace all Visma state with ``visma`` (accounts, dimensions, projects, periods, …)."""
    now = now_text()
    try:
        with store.atomic():
            for ns in NAMESPACES:
                store.clear(ns)
            for counter in _COUNTERS:
                store.reset_id(counter)
            for item in visma.get("accounts", []):
                record = _account(store, item, now)
                store.put("accounts", record["accountCD"], record)
            for dim_id, dim in visma.get("dimensions", {}).items():
                segments = [_segment(store, seg, now, empty_segments) for seg in dim["segments"]]
                for seg in segments:
                    store.put("segments", f"{dim_id}:{seg['segmentId']}", seg)
                store.put(
                    "dimensions",
                    dim_id,
                    {
                        "id": dim.get("id", dim_id),
                        "length": int(dim.get("length") or sum(s["length"] for s in segments)),
                        "description": dim.get("description", ""),
                        "segmentIds": [seg["segmentId"] for seg in segments],
                    },
                )
            for item in visma.get("projects", []):
                record = _project(store, item, now)
                store.put("projects", record["projectID"], record)
            for item in visma.get("financialPeriods", []):
                record = _period(item)
                store.put("periods", record["period"], record)
            for item in visma.get("departments", []):
                record = _department(store, item, now)
                store.put("departments", record["departmentId"], record)
            for item in visma.get("employees", []):
                record = {**item, "timeStamp": new_timestamp(store)}
                record.setdefault("lastModifiedDateTime", now)
                store.put("employees", str(record["employeeNumber"]), record)
    except (KeyError, TypeError, ValueError) as exc:
        raise VismaError(f"Invalid Visma data for reset: {exc!r}", code="12090") from None
