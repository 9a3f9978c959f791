"""Visma-only admin routes: ``POST /_sandbox/reset`` (load a scenario or given data),
``POST /_sandbox/employees`` (create many employees at once, as ``POST /v1/employee`` would, for
test set-ups that need thousands) and ``GET /_sandbox/state`` (what the server holds, for
assertions).

Why reset also clears faults and the call log: a test that starts with ``reset`` expects a
known server, not rules or counts left behind by the previous test.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from fastapi import APIRouter, Request

from sandbox.common import SandboxRuntime, StateStore
from sandbox.visma.employees import create_employee
from sandbox.visma.errors import VismaError
from sandbox.visma.journal_model import render
from sandbox.visma.journals import PREFERENCES, RELEASED, VARIANTS, release_status, variant
from sandbox.visma.ledger import Ledger
from sandbox.visma.loader import load
from sandbox.visma.reference import segment_dto

SCENARIOS = ("manufacturer",)
_OWN_KEYS = {"scenario", "visma"}
_PREFERENCES = {"post_on_release", "release_status"}


def scenario_data(body: dict[str, Any]) -> dict[str, Any]:
    """The ``.visma`` part of ``sandbox.scenario.build(...)`` for a reset body.

    Keys other than ``scenario``/``visma`` go to ``build`` (only those it accepts, unless it
    takes ``**options``), so test variants such as ``visma_segments`` pass straight through.
    """
    name = body.get("scenario", "manufacturer")
    if name not in SCENARIOS:
        raise VismaError(f"Unknown scenario '{name}'; known: {', '.join(SCENARIOS)}.")
    build = importlib.import_module("sandbox.scenario").build
    options = {k: v for k, v in body.items() if k not in _OWN_KEYS}
    params = inspect.signature(build).parameters.values()
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        accepted = {p.name for p in params}
        options = {k: v for k, v in options.items() if k in accepted}
    elif "gl_runs" not in options:
        options["gl_runs"] = False  # the Visma company does not depend on payroll runs
    try:
        built = build(**options)
    except (TypeError, ValueError) as exc:
        raise VismaError(f"Invalid scenario options: {exc}") from None
    visma = built["visma"] if isinstance(built, dict) else built.visma
    return dict(visma)


def reset(store: StateStore, body: dict[str, Any]) -> dict[str, Any]:
    data = body["visma"] if isinstance(body.get("visma"), dict) else scenario_data(body)
    load(store, data, empty_segments=body.get("visma_segments") == "empty")
    store.clear(PREFERENCES)  # a reset is a new tenant: Visma's default preferences
    return counts(store)


def counts(store: StateStore) -> dict[str, int]:
    return {
        ns: store.count(ns)
        for ns in ("accounts", "segments", "projects", "periods", "departments", "employees")
    } | {"journals": store.count("journals"), "subaccounts": store.count("subaccounts")}


def state(store: StateStore) -> dict[str, Any]:
    ledger = Ledger.load(store)
    segments: dict[str, dict[str, Any]] = {}
    for key, seg in store.items("segments"):
        dimension, seg_id = key.split(":", 1)
        segments.setdefault(dimension, {})[seg_id] = segment_dto(seg)
    return {
        "counts": counts(store),
        "journals": [render(batch, ledger) for batch in store.values("journals")],
        "segments": segments,
        "employees": store.values("employees"),
        "accounts": store.values("accounts"),
        "projects": store.values("projects"),
        "financialPeriods": store.values("periods"),
        "departments": store.values("departments"),
        "subaccounts": store.values("subaccounts"),
    }


def visma_admin_router(runtime: SandboxRuntime) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"])

    @router.post("/reset")
    async def reset_route(request: Request) -> dict[str, Any]:
        raw = await request.body()
        body = await request.json() if raw.strip() else {}
        if not isinstance(body, dict):
            raise VismaError("The reset body must be a JSON object.")
        result = reset(runtime.store, body)
        runtime.faults.clear()
        runtime.calls.clear()
        runtime.limiter.reset()
        return {"status": "ok", "counts": result}

    @router.post("/employees")
    async def employees_route(request: Request) -> dict[str, Any]:
        """``{"employees": [EmployeeCreateDTO + optional "lastModifiedDateTime"], ...}``: each
        checked and stored exactly as ``POST /v1/employee`` does, all or none; no call is logged."""
        body = await request.json()
        items = body.get("employees") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise VismaError('The body must be {"employees": [EmployeeCreateDTO, ...]}.')
        with runtime.store.atomic():
            for item in items:
                create_employee(runtime.store, item, modified=item.get("lastModifiedDateTime"))
        return {"status": "ok", "created": len(items)}

    @router.post("/gl-preferences")
    async def gl_preferences_route(request: Request) -> dict[str, Any]:
        """``{"post_on_release": false}`` and/or ``{"release_status": "Released"}``: what a
        release leaves on this tenant. ``post_on_release`` is the GL preference "Automatically
        post on release" (off: ``Unposted`` until someone posts it in Visma); ``release_status``
        names any released status of the published enum (``Posted``, ``Unposted``,
        ``Released``, ``Completed``, ``PartiallyReleased``) and wins; ``null`` clears it."""
        body = await request.json()
        if not isinstance(body, dict) or not body or set(body) - _PREFERENCES:
            raise VismaError(
                'The body must be {"post_on_release": true|false, "release_status": ...}.'
            )
        if "post_on_release" in body and not isinstance(body["post_on_release"], bool):
            raise VismaError("post_on_release must be true or false.")
        status = body.get("release_status")
        if status is not None and status not in RELEASED:
            raise VismaError(f"release_status must be one of {', '.join(RELEASED)} (or null).")
        with runtime.store.atomic():
            prefs = dict(runtime.store.get(PREFERENCES, "gl") or {}) | body
            runtime.store.put(PREFERENCES, "gl", prefs)
        return {
            "status": "ok",
            "post_on_release": bool(prefs.get("post_on_release", True)),
            "release_status": release_status(runtime.store),
        }

    @router.post("/financial-periods/{period}")
    async def financial_period_route(period: str, request: Request) -> dict[str, Any]:
        """``{"closed": true|false}``: a controller closes (or reopens) ``period`` in General
        ledger in Visma's UI — no published API does that; posting into it is then refused."""
        body = await request.json()
        if (
            not isinstance(body, dict)
            or set(body) != {"closed"}
            or not isinstance(body["closed"], bool)
        ):
            raise VismaError('The body must be {"closed": true|false}.')
        with runtime.store.atomic():
            record = runtime.store.get("periods", period)
            if record is None:
                raise VismaError(f"Financial period {period} does not exist.", code="12010")
            record = {**record, "closedInGeneralLedger": body["closed"]}
            runtime.store.put("periods", period, record)
        return {"period": period, "closedInGeneralLedger": body["closed"]}

    @router.post("/api-variants")
    async def api_variants_route(request: Request) -> dict[str, Any]:
        """``{"journal_list_wrapped": true, "create_location": true}``: answers where tenants
        differ from the published contract — the journal listing wrapped as ``{"metadata",
        "value"}`` instead of a bare array; a ``Location`` on the journal create's 201. Absent
        keys stay as they are; a reset returns to the published answers (both false)."""
        body = await request.json()
        if (
            not isinstance(body, dict)
            or not body
            or set(body) - set(VARIANTS)
            or not all(isinstance(v, bool) for v in body.values())
        ):
            raise VismaError(f"The body must map some of {', '.join(VARIANTS)} to true|false.")
        with runtime.store.atomic():
            current = dict(runtime.store.get(PREFERENCES, "api") or {}) | body
            runtime.store.put(PREFERENCES, "api", current)
        return {"status": "ok"} | {name: variant(runtime.store, name) for name in VARIANTS}

    @router.get("/state")
    def state_route() -> dict[str, Any]:
        return state(runtime.store)

    return router
