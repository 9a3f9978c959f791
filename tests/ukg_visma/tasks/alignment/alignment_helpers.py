"""Running the alignment task bodies in-process against the sandbox, and reading both sides back.

A plain module (not a conftest) so that the tests import the helpers by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[4]
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def run_alignment(run_key: str, *, dry_run: bool = False) -> dict[str, Any]:
    """plan → apply_to_visma → apply_to_ukg → verify, as the DAG chains them."""
    from ukg_visma.audit.store import get_engine
    from ukg_visma.hooks import UkgHook, VismaHook
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks.alignment import steps as alignment

    settings = load_settings()
    run = alignment.AlignmentRun(run_key=run_key, dry_run=dry_run)
    ukg, visma, engine = UkgHook(), VismaHook(), get_engine()
    ref = alignment.plan(ukg, visma, engine, run, settings)
    applied_visma = alignment.apply_to_visma(visma, ref, run)
    applied_ukg = alignment.apply_to_ukg(ukg, ref, run, settings)
    result = alignment.verify(ukg, visma, engine, ref, run, settings)
    return {"plan": ref, "visma": applied_visma, "ukg": applied_ukg, "result": result}


def writes(sandbox: Any, server: str, since: int = 0) -> list[dict[str, Any]]:
    """Every write the server received (token requests are not writes to the data)."""
    return [
        c
        for c in sandbox.calls(server, since=since)
        if c["method"] in WRITE_METHODS and "token" not in c["path"]
    ]


def last_seq(sandbox: Any, server: str) -> int:
    calls = sandbox.calls(server)
    return calls[-1]["seq"] if calls else 0


def visma_values(sandbox: Any, segment_id: int) -> dict[str, dict[str, Any]]:
    seg = sandbox.visma_state()["segments"]["SUBACCOUNT"][str(segment_id)]
    return {v["valueId"]: v for v in seg["segmentValues"]}


def ukg_codes(sandbox: Any, level: int) -> dict[str, dict[str, Any]]:
    return {o["code"]: o for o in sandbox.ukg_state()["orgLevels"] if o["level"] == level}


def visma_departments(sandbox: Any) -> dict[str, dict[str, Any]]:
    return {d["departmentId"]: d for d in sandbox.visma_state()["departments"]}
