"""UKG-only admin routes under ``/_sandbox/``: reset, GL runs, employee changes, webhooks, state.

These stand in for what happens inside a real tenant (a payroll run finishing, HR hiring someone)
so that tests can make it happen on demand. The shared routes (faults, calls, config,
credentials) come from ``sandbox.common``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body

from sandbox.common import ADMIN_PREFIX, SandboxRuntime
from sandbox.ukg.corrections import (
    GL_EXPORT_EVENT,
    clean_lines,
    corrections_router,
    flag,
    positive_int,
    totals,
)
from sandbox.ukg.errors import UkgError, bad_request
from sandbox.ukg.feed_calls import feed_calls
from sandbox.ukg.payroll import served_lines
from sandbox.ukg.personnel import STORED_FIELDS
from sandbox.ukg.state import UkgState, parse_moment, utc_stamp
from sandbox.ukg.webhooks import WebhookConfig, WebhookEmitter

PAY_PERIOD_KEYS = {
    "payGroup",
    "payDate",
    "isPeriodClosed",
    "dateTimePeriodClosed",
    "periodStartDate",
    "periodEndDate",
    "periodType",
}
SNAPSHOT_FIELDS = set(STORED_FIELDS) | {"firstName", "lastName"}
_ORG = ("orgLevel1Code", "orgLevel2Code", "orgLevel3Code", "orgLevel4Code")
_DEFAULTS: dict[str, Any] = {
    "companyId": "C0001",
    "employeeStatus": "A",
    "terminationDate": None,
    "orgLevel4Code": None,
    "projectCode": None,
    "payGroup": "NO-M",
    "workLocation": None,
}


def classify(old: dict[str, Any] | None, new: dict[str, Any]) -> list[tuple[str, str]]:
    """The webhook events one snapshot change raises (several when several things changed)."""
    if old is None:
        return [("EmployeeHireEvent", "Insert")]
    events = []
    before, after = old.get("employeeStatus"), new.get("employeeStatus")
    if before == "T" and after in ("A", "L"):
        events.append(("EmployeeRehireEvent", "Update"))
    elif before != "T" and after == "T":
        events.append(("EmployeeTerminationEvent", "Update"))
    elif before != after:
        events.append(("EmployeeStatusChangeEvent", "Update"))
    if any(old.get(k) != new.get(k) for k in _ORG):
        events.append(("EmployeeOrgLevelChangeEvent", "Update"))
    if old.get("jobCode") != new.get("jobCode"):
        events.append(("EmployeeJobChangeEvent", "Update"))
    return events or [("EmployeeChangeEvent", "Update")]


def _snapshot(state: UkgState, item: Any, stamp: str) -> tuple[dict[str, Any] | None, dict]:
    if not isinstance(item, dict):
        raise bad_request("employees", "each employee is a JSON object")
    unknown = set(item) - SNAPSHOT_FIELDS
    if unknown:
        raise bad_request("employees", f"unknown snapshot fields {sorted(unknown)}")
    if "employeeNumber" in item and not _filled(item["employeeNumber"]):
        # UKG requires an employee number on every employee: it cannot hold null or blank.
        raise UkgError(
            422,
            "employeeNumber: must be a non-blank string",
            errors={"employeeNumber": ["An employee number is required."]},
        )
    old = state.employee(item["employeeId"]) if item.get("employeeId") else None
    if old is None and not item.get("employeeId") and item.get("employeeNumber"):
        old = next(
            (e for e in state.employees() if e["employeeNumber"] == item["employeeNumber"]), None
        )
    if old is None:
        for field in ("employeeNumber", "firstName", "lastName"):
            if not item.get(field):
                raise bad_request(field, f"{field} is required for a new employee")
    new = {**_DEFAULTS, **(old or {}), **item}
    for one, other in (("lastHireDate", "dateOfLastHire"), ("dateOfLastHire", "lastHireDate")):
        if one in item and other not in item:  # one fact, stored under both names
            new[other] = item[one]
    new["employeeId"] = new.get("employeeId") or str(uuid.uuid4())
    if new["employeeStatus"] not in ("A", "L", "T"):
        raise bad_request("employeeStatus", "must be A, L or T")
    new["isActive"] = new["employeeStatus"] != "T"
    new["dateTimeChanged"] = stamp
    # No ``emailAddress`` given (and none stored): the scenario's name-based address is served;
    # an explicit null or "" is an employee without e-mail.
    ordered = {k: new.get(k) for k in _field_order() if k != "emailAddress" or k in new}
    return old, ordered


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _field_order() -> list[str]:
    order = list(STORED_FIELDS)
    order[3:3] = ["firstName", "lastName"]
    return order


def ukg_admin_router(runtime: SandboxRuntime, state: UkgState, hooks: WebhookEmitter) -> APIRouter:
    router = APIRouter(prefix=ADMIN_PREFIX, tags=["sandbox admin (UKG)"])
    router.include_router(corrections_router(state, hooks))

    @router.post("/reset")
    def reset(body: Annotated[dict[str, Any] | None, Body()] = None) -> dict[str, Any]:
        hooks.reset()
        runtime.faults.clear()
        runtime.calls.clear()
        return state.reset(body or {})

    @router.post("/gl-runs", status_code=201)
    def add_gl_run(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        for field in ("runId", "periodStartDate", "periodEndDate", "payDate", "lines"):
            if not body.get(field):
                raise bad_request(field, f"{field} is required")
        clean = clean_lines(body["lines"])
        run_type = body.get("runType", "Regular")
        if not isinstance(run_type, str) or not run_type.strip():
            raise bad_request("runType", f"runType is a non-empty string, not {run_type!r}")
        declared = positive_int(body, "declared_blocks")
        # the lines served this many times over, made per request (a cheap million-line run)
        repeat = positive_int(body, "repeat")
        emit, wait = flag(body, "emit", True), flag(body, "wait", True)
        if state.run(body["runId"]) is not None and not body.get("replace"):
            raise UkgError(409, f"Run {body['runId']} exists; send replace=true to overwrite.")
        header = {
            "runId": body["runId"],
            "glRunDateTime": body.get("glRunDateTime") or utc_stamp(),
            "coId": body.get("coId", "C0001"),
            "companyCode": body.get("companyCode", "NMF"),
            "payGroup": body.get("payGroup", "NO-M"),
            "periodStartDate": body["periodStartDate"],
            "periodEndDate": body["periodEndDate"],
            "payPeriodEndDate": body.get("payPeriodEndDate") or body["periodEndDate"],
            "payDate": body["payDate"],  # the sandbox's own: served by paygroup-payperiods only
        }
        if body.get("userWhoRanThisGl"):
            header["userWhoRanThisGl"] = str(body["userWhoRanThisGl"])
        block_size = int(body.get("block_size") or state.meta["block_size"])
        if block_size < 1:
            raise bad_request("block_size", "must be at least 1")
        run = {**header, "runType": run_type, "blockSize": block_size, "lines": clean}
        if declared is not None:
            run["declaredBlocks"] = declared
        if repeat is not None and repeat > 1:
            run["repeat"] = repeat
        state.add_run(run)
        if emit:
            payload = {"CoId": header["coId"], "RunId": header["runId"]}
            hooks.emit([hooks.event(GL_EXPORT_EVENT, "Insert", payload)], wait=wait)
        return totals(state, run)

    @router.post("/pay-periods")
    def set_pay_period(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """Set the closure state of a pay period (``paygroup-payperiods``), or add one.

        ``{"payGroup", "payDate", "isPeriodClosed", "dateTimePeriodClosed"?,
        "periodStartDate"?, "periodEndDate"?, "periodType"?}`` → the period as served.
        A pay date no period has yet needs ``periodStartDate`` and ``periodEndDate``.
        """
        unknown = set(body) - PAY_PERIOD_KEYS
        if unknown:
            raise bad_request("body", f"unknown keys {sorted(unknown)}")
        for field in ("payGroup", "payDate"):
            if not isinstance(body.get(field), str) or not body[field].strip():
                raise bad_request(field, f"{field} is required")
        pay_date = body["payDate"][:10]
        parse_moment(pay_date, "payDate")
        exists = any(
            p["payGroup"] == body["payGroup"] and p["payDate"][:10] == pay_date
            for p in state.pay_periods()
        )
        if not exists and not (body.get("periodStartDate") and body.get("periodEndDate")):
            raise bad_request(
                "periodStartDate", "a new pay period needs periodStartDate and periodEndDate"
            )
        fields: dict[str, Any] = {"payGroup": body["payGroup"], "payDate": pay_date}
        if "isPeriodClosed" in body:
            fields["isPeriodClosed"] = flag(body, "isPeriodClosed", False)
            fields["closedAt"] = body.get("dateTimePeriodClosed") or utc_stamp()
        for field in ("periodStartDate", "periodEndDate", "periodType"):
            if body.get(field):
                fields[field] = str(body[field])
        state.set_pay_period(body["payGroup"], pay_date, fields)
        return next(
            p
            for p in state.pay_periods()
            if p["payGroup"] == body["payGroup"] and p["payDate"][:10] == pay_date
        )

    @router.post("/employees")
    def upsert_employees(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        items = body.get("employees")
        if not isinstance(items, list) or not items:
            raise bad_request("employees", "employees is a non-empty list of snapshots")
        if body.get("changed_at"):
            moment = parse_moment(body["changed_at"], "changed_at")
        else:
            moment = datetime.now(UTC).timestamp()
        stamp = utc_stamp(datetime.fromtimestamp(moment, UTC))
        prepared = [_snapshot(state, item, stamp) for item in items]  # validate all first
        events, saved = [], []
        for old, new in prepared:
            kinds = classify(old, new)
            state.save_employee(new, moment, kinds[0][0])
            saved.append(new)
            payload = {"CoId": new["companyId"], "EeId": new["employeeId"]}
            events += [hooks.event(kind, op, payload, stamp) for kind, op in kinds]
        if body.get("emit", True):
            hooks.emit(events, wait=bool(body.get("wait", True)))
        return {"employees": saved, "events": events}

    @router.post("/webhooks")
    def configure_webhooks(config: WebhookConfig) -> dict[str, Any]:
        return hooks.configure(config)

    @router.get("/webhooks")
    def webhook_config() -> dict[str, Any]:
        return hooks.describe()

    @router.delete("/webhooks")
    def remove_webhooks() -> dict[str, Any]:
        hooks.remove()
        return hooks.describe()

    @router.get("/webhook-deliveries")
    def deliveries(since: int = 0) -> dict[str, Any]:
        found = hooks.deliveries(since)
        return {"count": len(found), "deliveries": found}

    @router.get("/feed-calls")
    def change_feed_calls() -> dict[str, Any]:
        """Every change-feed poll since the last reset and the budget it broke, if any
        (``sandbox.ukg.feed_calls``), from the call log: what UKG saw, not what the client says."""
        return feed_calls(runtime.calls.list())

    @router.get("/switches")
    def switches() -> dict[str, Any]:
        return state.switches()

    @router.post("/switches")
    def set_switches(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return state.set_switches(body)

    @router.get("/gl-events")
    def gl_events(period: str | None = None) -> dict[str, Any]:
        """The ``PayrollGLExportCompletedEvent`` UKG sent when it exported each run (of the pay
        month ``period``, ``YYYY-MM``, by pay date; all runs without it), stamped at the run's
        ``glRunDateTime`` with a stable ``EventId``. The scenario's history happened before any
        subscription existed: a test hands these to the webhook inbox as the receiver would have
        stored them. They name run ids only, as UKG's events do."""
        events = [
            {
                **hooks.event(
                    GL_EXPORT_EVENT,
                    "Insert",
                    {"CoId": r.get("coId", "C0001"), "RunId": r["runId"]},
                    when=r["glRunDateTime"],
                ),
                "EventId": f"gl-{r['runId']}-{r['glRunDateTime']}",
            }
            for r in state.runs()
            if period is None or str(r["payDate"]).startswith(period)
        ]
        return {"count": len(events), "events": events}

    @router.get("/state")
    def snapshot() -> dict[str, Any]:
        runs = state.runs()
        return {
            "scenario": state.meta,
            "broken": state.scenario.broken if state.scenario else {},
            "employees": len(state.employees()),
            "orgLevels": state.org_levels(),
            "orgLevelWrites": state.org_writes(),
            "glRuns": [
                {
                    "runId": r["runId"],
                    "payDate": r["payDate"],
                    "runType": r.get("runType", "Regular"),
                    "glRunDateTime": r["glRunDateTime"],
                    "lines": len(served_lines(r)),
                    "totalNrOfBlocks": max(1, -(-len(served_lines(r)) // state.block_size(r))),
                    "declaredBlocks": r.get("declaredBlocks"),
                    "versions": state.version_count(r["runId"]),
                    "voidedDateTime": state.voided(r["runId"]),
                }
                for r in runs
            ],
            "switches": state.switches(),
            "webhook": hooks.describe(),
        }

    return router
