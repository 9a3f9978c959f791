"""Admin routes for payroll corrections: re-export (regenerate) a run's GL, void a run, versions.

What they stand in for: in a real tenant payroll corrects a run and generates its GL export again
(same ``runId``, a new ``glRunDateTime`` — hence the GL endpoint's ``mostRecent``), or voids the
run. The sandbox keeps every earlier version (admin ``GET .../versions``); the real API serves the
current one. Helpers shared with ``POST /_sandbox/gl-runs`` (line cleaning, totals, the lying
block count) live here too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Body

from sandbox.ukg.errors import UkgError, bad_request
from sandbox.ukg.state import RUN_HEADER, SCENARIO_LINES, UkgState, parse_moment, utc_stamp
from sandbox.ukg.webhooks import WebhookEmitter

GL_EXPORT_EVENT = "PayrollGLExportCompletedEvent"
REGENERATE_KEYS = {"glRunDateTime", "lines", "emit", "wait", "declared_blocks", "block_size"}
VOID_KEYS = {"voidedDateTime"}


def amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        raise bad_request("lines", f"'{value}' is not an amount") from None


def clean_lines(lines: Any) -> list[dict[str, Any]]:
    """GL lines as given, minus the run header and block fields (the server adds those)."""
    if not isinstance(lines, list) or not lines or not all(isinstance(x, dict) for x in lines):
        raise bad_request("lines", "lines is a non-empty list of GL line objects")
    for line in lines:  # refuse bad amounts before anything is stored
        amount(line.get("debitAmt"))
        amount(line.get("creditAmt"))
    skip = set(RUN_HEADER) | {"blockId", "totalNrOfBlocks"}
    return [{k: v for k, v in line.items() if k not in skip} for line in lines]


def positive_int(body: dict[str, Any], field: str) -> int | None:
    """An optional whole number >= 1 (booleans and strings are refused)."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad_request(field, f"{field} must be a whole number of at least 1, not {value!r}")
    return value


def flag(body: dict[str, Any], field: str, default: bool) -> bool:
    value = body.get(field, default)
    if not isinstance(value, bool):
        raise bad_request(field, f"{field} must be true or false, not {value!r}")
    return value


def blocks(count: int, block_size: int) -> int:
    return max(1, -(-count // block_size))


def totals(state: UkgState, run: dict[str, Any]) -> dict[str, Any]:
    """What ``POST /_sandbox/gl-runs`` answers about a run (line count, blocks, sums)."""
    lines = run["lines"]
    times = int(run.get("repeat") or 1)  # served ``repeat`` times over (payroll.served_lines)
    debit = times * sum((amount(x.get("debitAmt")) for x in lines), Decimal(0))
    credit = times * sum((amount(x.get("creditAmt")) for x in lines), Decimal(0))
    size = state.block_size(run)
    answer = {
        "runId": run["runId"],
        "lines": len(lines) * times,
        "blockSize": size,
        "totalNrOfBlocks": blocks(len(lines) * times, size),
        "debit": str(debit),
        "credit": str(credit),
        "balanced": debit == credit,
    }
    if run.get("declaredBlocks"):
        answer["declaredBlocks"] = run["declaredBlocks"]
    return answer


def _object(body: Any, allowed: set[str]) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("body", "the body is a JSON object")
    unknown = set(body) - allowed
    if unknown:
        raise bad_request("body", f"unknown keys {sorted(unknown)}; allowed {sorted(allowed)}")
    return body


def _stamp(body: dict[str, Any], field: str, after: float | None = None) -> tuple[str, float]:
    """An ISO date-time from the body as ``(UTC ISO string with Z, epoch)``.

    Default: now (whole seconds, like every sandbox stamp) — or, when now is not later than
    ``after`` (two re-exports within one second, or a clock behind the scenario's dates), one
    second after ``after``.
    """
    raw = body.get(field)
    if raw is None:
        moment = float(int(datetime.now(UTC).timestamp()))
        if after is not None and moment <= after:
            moment = float(int(after) + 1)
        return utc_stamp(datetime.fromtimestamp(moment, UTC)), moment
    if not isinstance(raw, str) or len(raw.strip()) <= 10:
        raise bad_request(field, f"{field} must be an ISO 8601 date-time, not {raw!r}")
    moment = parse_moment(raw, field)
    return utc_stamp(datetime.fromtimestamp(moment, UTC)), moment


def corrections_router(state: UkgState, hooks: WebhookEmitter) -> APIRouter:
    """The routes, mounted under ``/_sandbox`` by :func:`sandbox.ukg.admin.ukg_admin_router`."""
    router = APIRouter(tags=["sandbox admin (UKG corrections)"])

    def known(run_id: str) -> dict[str, Any]:
        record = state.record(run_id)
        if record is None:
            raise UkgError(404, f"Run {run_id} does not exist.")
        return record

    @router.post("/gl-runs/{run_id}/regenerate")
    def regenerate(
        run_id: str, body: Annotated[dict[str, Any] | None, Body()] = None
    ) -> dict[str, Any]:
        body = _object(body, REGENERATE_KEYS)
        if body.get("glRunDateTime") is not None:
            _stamp(body, "glRunDateTime")  # a malformed time is a 400 before anything else
        lines = clean_lines(body["lines"]) if "lines" in body else None
        declared = positive_int(body, "declared_blocks")
        block_size = positive_int(body, "block_size")
        emit, wait = flag(body, "emit", True), flag(body, "wait", True)
        with state.transaction():
            current = known(run_id)
            voided = state.voided(run_id)
            if voided is not None:
                detail = f"Run {run_id} was voided at {voided}; a voided run is not re-exported."
                raise UkgError(409, detail)
            previous = current["glRunDateTime"]
            earlier = parse_moment(previous, "glRunDateTime")
            stamp, moment = _stamp(body, "glRunDateTime", after=earlier)
            if moment <= earlier:
                raise UkgError(
                    409,
                    f"glRunDateTime {stamp} is not later than the current version's {previous} "
                    f"of run {run_id}; send a later glRunDateTime.",
                )
            record = {k: v for k, v in current.items() if k not in ("declaredBlocks", "lines")}
            record["glRunDateTime"] = stamp
            if lines is not None:
                record.pop("linesFrom", None)
                record.pop("employeeCount", None)  # counted from the new lines
                record["lines"] = lines
            elif current.get("linesFrom") != SCENARIO_LINES:
                record["lines"] = current["lines"]
            if block_size is not None:
                record["blockSize"] = block_size
            if declared is not None:
                record["declaredBlocks"] = declared
            state.add_version(record)
            version = state.version_count(run_id)
        if emit:
            payload = {"CoId": record["coId"], "RunId": run_id}
            hooks.emit([hooks.event(GL_EXPORT_EVENT, "Update", payload)], wait=wait)
        run = state.run(run_id)
        assert run is not None
        return {
            **totals(state, run),
            "glRunDateTime": stamp,
            "previousGlRunDateTime": previous,
            "version": version,
        }

    @router.get("/gl-runs/{run_id}/versions")
    def versions(run_id: str, lines: bool = False) -> dict[str, Any]:
        known(run_id)
        found = state.versions(run_id)
        out = []
        for number, run in enumerate(found, start=1):
            item = {
                "version": number,
                "glRunDateTime": run["glRunDateTime"],
                "runType": run.get("runType", "Regular"),
                "current": number == len(found),
                **{k: v for k, v in totals(state, run).items() if k != "runId"},
            }
            item.setdefault("declaredBlocks", None)
            if lines:
                item["glLines"] = run["lines"]
            out.append(item)
        voided = state.voided(run_id)
        return {
            "runId": run_id,
            "status": "Voided" if voided else "Completed",
            "voidedDateTime": voided,
            "versions": out,
        }

    @router.post("/gl-runs/{run_id}/void")
    def void(run_id: str, body: Annotated[dict[str, Any] | None, Body()] = None) -> dict[str, Any]:
        body = _object(body, VOID_KEYS)
        stamp, _ = _stamp(body, "voidedDateTime")
        known(run_id)
        voided_at, already = state.void(run_id, stamp)
        return {
            "runId": run_id,
            "status": "Voided",
            "voidedDateTime": voided_at,
            "alreadyVoided": already,
        }

    return router
