"""Running the employee sync in-process against the sandbox, with a real webhook receiver.

A plain module (not a conftest) so that the task tests and the DAG test import it by name.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import random
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
import yaml

ROOT = Path(__file__).resolve().parents[4]
SECRET = "employee-sync-webhook-secret-0123"
COST_CENTRES = {  # cost centre -> (plant, department)
    f"{p}{d}0": (plant, f"{d}0")
    for p, plant in (("1", "MOS"), ("2", "RAU"), ("3", "MOR"))
    for d in "12345"
}


def configure(monkeypatch: Any, sandbox: Any, tmp_path: Path, **employee_sync: Any) -> Path:
    """Connections to the sandbox, a private audit DB and a private copy of the mappings;
    ``employee_sync`` keys override that section of the copy's settings.yaml."""
    from ukg_visma.hooks.auth import clear_token_cache
    from ukg_visma.hooks.retry import reset_pacers

    for name, value in sandbox.connections_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("UKG_VISMA_AUDIT_URL", f"sqlite:///{tmp_path}/audit.db")
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "include" / "mappings", mappings)
    if employee_sync:
        path = mappings / "settings.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["employee_sync"] = {**data.get("employee_sync", {}), **employee_sync}
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("UKG_VISMA_MAPPINGS_DIR", str(mappings))
    clear_token_cache()
    reset_pacers()
    return mappings


def engine() -> Any:
    from ukg_visma.audit.store import get_engine

    return get_engine()


def sync(run_key: str, **ctx: Any) -> dict[str, Any]:
    """One sync run (extract → apply → headcount) in this process with fresh hooks and the
    settings and mappings as they are now, as the DAG's three tasks would run it."""
    from ukg_visma.hooks import UkgHook, VismaHook
    from ukg_visma.mappings import load_mappings
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks.employee_sync import apply, extract, verify
    from ukg_visma.tasks.employee_sync.context import SyncContext

    run = SyncContext(run_key=run_key, **ctx)
    ukg, visma, audit = UkgHook(), VismaHook(), engine()
    extracted = extract.extract(ukg, audit, run, load_settings())
    settings = load_settings()
    applied = apply.apply(visma, audit, run, settings, load_mappings(settings=settings), extracted)
    settings = load_settings()
    checked = verify.verify(
        ukg, visma, audit, run, settings, load_mappings(settings=settings), extracted, applied
    )
    return {"extracted": extracted, "applied": applied, "checked": checked}


# -- the two sides ---------------------------------------------------------------------------------
def visma_employees(sandbox: Any) -> dict[str, dict[str, Any]]:
    """Visma's employees by number, from the sandbox's state (not through the connector)."""
    found = sandbox.visma_state()["employees"]
    numbers = collections.Counter(e["employeeNumber"] for e in found)
    assert all(n == 1 for n in numbers.values()), "duplicate Visma employee numbers"
    return {e["employeeNumber"]: e for e in found}


def ukg_employees(sandbox: Any) -> dict[str, dict[str, Any]]:
    """UKG's employees by employee id, read over the API with a plain client."""
    import httpx

    creds = sandbox.credentials["ukg"]
    headers = {"US-Customer-Api-Key": creds["customer_api_key"]}
    auth = (creds["basic_user"], creds["basic_password"]) if "basic_user" in creds else None
    if auth is None:
        token = httpx.post(
            f"{sandbox.ukg_url}/signin/oauth2/t/{creds['tenant_alias']}/access_token",
            json={
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "grant_type": "client_credentials",
            },
        ).json()["access_token"]
        headers["Authorization"] = f"Bearer {token}"
    out: dict[str, dict[str, Any]] = {}
    page = 1
    with httpx.Client(base_url=sandbox.ukg_url, headers=headers, auth=auth, timeout=60) as http:
        while True:
            items = http.get(
                "/personnel/v1/employment-details", params={"page": page, "per_page": 200}
            ).json()
            out.update({e["employeeId"]: e for e in items})
            if len(items) < 200:
                return out
            page += 1


def expected_visma(ukg: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """employee number -> (department, status) Visma must show for everyone employed in UKG."""
    return {
        e["employeeNumber"]: (e["orgLevel3Code"], "Active")
        for e in ukg.values()
        if e["employeeStatus"] in ("A", "L")
    }


def assert_converged(sandbox: Any) -> tuple[dict, dict]:
    """Every employed UKG person is Active in Visma in the right department; every terminated
    person Visma knows is Inactive; nobody is in Visma twice or without a UKG record."""
    ukg = ukg_employees(sandbox)
    visma = visma_employees(sandbox)
    wrong = {
        number: (visma.get(number, {}).get("department"), visma.get(number, {}).get("status"))
        for number, want in expected_visma(ukg).items()
        if (visma.get(number, {}).get("department"), visma.get(number, {}).get("status")) != want
    }
    assert not wrong, f"{len(wrong)} employee(s) differ in Visma: {dict(list(wrong.items())[:10])}"
    by_number = {e["employeeNumber"]: e for e in ukg.values()}
    for number, emp in visma.items():
        assert number in by_number, f"Visma employee {number} has no UKG record"
        if by_number[number]["employeeStatus"] == "T":
            assert emp["status"] == "Inactive", (number, emp["status"])
    return ukg, visma


# -- making changes in UKG -------------------------------------------------------------------------
def new_hire(number: str, cost_centre: str = "110", **extra: Any) -> dict[str, Any]:
    plant, department = COST_CENTRES.get(cost_centre, ("MOR", "10"))
    return {
        "employeeNumber": number,
        "firstName": "Test",
        "lastName": f"Hire {number}",
        "companyId": "C0001",
        "employeeStatus": "A",
        "orgLevel1Code": plant,
        "orgLevel2Code": department,
        "orgLevel3Code": cost_centre,
        "jobCode": "OPR1",
        "lastHireDate": "2026-11-02",
        "originalHireDate": "2026-11-02",
        **extra,
    }


def termination(employee: dict[str, Any], day: str = "2026-11-15") -> dict[str, Any]:
    return {"employeeId": employee["employeeId"], "employeeStatus": "T", "terminationDate": day}


def rehire(employee: dict[str, Any], day: str = "2026-11-25") -> dict[str, Any]:
    return {
        "employeeId": employee["employeeId"],
        "employeeStatus": "A",
        "lastHireDate": day,
    }


def transfer(employee: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    choices = [cc for cc in COST_CENTRES if cc != employee["orgLevel3Code"]]
    cc = rng.choice(choices)
    plant, department = COST_CENTRES[cc]
    return {
        "employeeId": employee["employeeId"],
        "orgLevel1Code": plant,
        "orgLevel2Code": department,
        "orgLevel3Code": cc,
    }


def change_ukg(sandbox: Any, employees: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    """POST /_sandbox/employees: the changes happen in UKG now (or at ``changed_at``)."""
    return sandbox.ukg_admin("POST", "employees", {"employees": employees, "wait": True, **body})


# -- the webhook receiver --------------------------------------------------------------------------
@contextlib.contextmanager
def receiver(audit_url: str, secret: str = SECRET) -> Iterator[str]:
    """The real receiver app on a free port, writing into ``audit_url``'s inbox; yields its URL."""
    from ukg_visma.audit.store import get_engine
    from ukg_visma.webhooks.receiver import PATH, create_app

    app = create_app(lambda: secret, lambda: get_engine(audit_url))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "receiver did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}{PATH}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def subscribe(sandbox: Any, url: str, **options: Any) -> None:
    sandbox.ukg_admin("POST", "webhooks", {"url": url, "secret": SECRET, **options})


def deliveries(sandbox: Any) -> list[dict[str, Any]]:
    return sandbox.ukg_admin("GET", "webhook-deliveries")["deliveries"]


def visma_calls(sandbox: Any, since: int = 0) -> list[dict[str, Any]]:
    """Real API calls to Visma after ``since`` (the token endpoint is not the API)."""
    return [c for c in sandbox.calls("visma", since=since) if "token" not in c["path"]]


def last_seq(sandbox: Any, server: str) -> int:
    calls = sandbox.calls(server)
    return calls[-1]["seq"] if calls else 0


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
