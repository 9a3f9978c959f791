"""Running the employee sync in-process against the sandbox, with a real webhook receiver.

A plain module (not a conftest) so that the task tests and the DAG test import it by name.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[4]
SECRET = "employee-sync-webhook-secret-0123"
COST_CENTRES = {  # cost centre -> (plant, department)
    f"{p}{d}0": (plant, f"{d}0")
    for p, plant in (("1", "MOS"), ("2", "RAU"), ("3", "MOR"))
    for d in "12345"
}


# These tests run in seconds what a deployment runs hours apart (a burst, then the next scheduled
# run, …): each of their runs may poll UKG's change feed. The feed's call budget (8 a day, 3 h
# apart) has tests of its own, with the default settings (test_employee_sync_feed_budget.py).
RUNS_HOURS_APART = {"feed_min_hours_apart": 0, "feed_max_calls_per_day": 10_000}


def canonical(number: str) -> str:
    """An employee number as Visma's ``employeeCd`` holds it: all digits → no leading zeros."""
    text = str(number).strip()
    return str(int(text)) if text.isdigit() else text


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


def seed_initial_load(sandbox: Any, *, stamped_before: dt.timedelta = dt.timedelta(hours=1)) -> int:
    """The state a first sync leaves behind, seeded without one HTTP call per employee.

    UKG's employees are read and parsed by the sync's own readers; each employed one is created
    in Visma through the admin route (the same checks as ``POST /v1/employee``, the body built by
    ``create_body`` as the sync builds it), stamped one second apart, the last ``stamped_before``
    ago,
    and stored as the sync's known state. The real first sync then runs: it finds nothing to
    change, reads Visma once into its mirror and sets the watermark. Returns the Visma employees.

    Why the old stamps: the mirror re-reads from its cursor minus an overlap of seconds; a load
    made just now would put a machine-speed-dependent number of employees in that overlap.
    """
    from ukg_visma.audit import employees as state
    from ukg_visma.employees.quarantine import parse_snapshots
    from ukg_visma.employees.visma_payload import create_body, missing_email
    from ukg_visma.hooks import UkgHook
    from ukg_visma.mappings import load_mappings
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks.employee_sync.apply import COST_CENTRE_LEVEL, _known_state
    from ukg_visma.tasks.employee_sync.extract import read_all_employees

    settings = load_settings()
    cc_mapping = load_mappings(settings=settings).segment_values(COST_CENTRE_LEVEL)
    snapshots, rejected = parse_snapshots(read_all_employees(UkgHook()))
    assert not rejected, rejected[:3]
    # Visma cannot hold an employee UKG has no e-mail for: those stay unknown (the sync
    # quarantines them by name).
    snapshots = [s for s in snapshots if not missing_email(s)]
    employed = [s for s in snapshots if s.employeeStatus != "T"]
    # one second apart, the newest ``stamped_before`` ago (never in the future: Visma's clock)
    first = dt.datetime.now(dt.UTC).replace(tzinfo=None) - stamped_before
    first -= dt.timedelta(seconds=len(employed))
    bodies = [
        {
            **create_body(
                s,
                cc_mapping=cc_mapping,
                employee_class=settings.employee_sync.visma_employee_class,
                branch=settings.company.visma_branch,
                calendar=settings.employee_sync.visma_calendar,
            ),
            "lastModifiedDateTime": (first + dt.timedelta(seconds=i)).isoformat(
                timespec="milliseconds"
            ),
        }
        for i, s in enumerate(employed)
    ]
    sandbox.visma_admin("POST", "employees", {"employees": bodies})
    state.put_snapshots(engine(), [_known_state(s) for s in snapshots])
    result = sync("initial-load")
    assert result["extracted"]["queued"] == 0, result["extracted"]
    assert result["applied"]["mirror"] == {"read": len(employed), "full": True}
    return len(employed)


# -- the two sides ---------------------------------------------------------------------------------
def visma_employees(sandbox: Any) -> dict[str, dict[str, Any]]:
    """Visma's employees by number, from the sandbox's state (not through the connector)."""
    found = sandbox.visma_state()["employees"]
    numbers = collections.Counter(e["employeeNumber"] for e in found)
    assert all(n == 1 for n in numbers.values()), "duplicate Visma employee numbers"
    return {e["employeeNumber"]: e for e in found}


def ukg_employees(sandbox: Any) -> dict[str, dict[str, Any]]:
    """UKG's employees by employee id, read over the API with a plain client from the published
    employment-details (``employeeID``, ``employeeStatusCode``, ``per_Page``); each record also
    carries ``employeeId`` and ``employeeStatus`` (the same values) for the tests' comparisons."""
    import httpx

    headers, auth = sandbox.ukg_client_auth()
    out: dict[str, dict[str, Any]] = {}
    page = 1
    with httpx.Client(base_url=sandbox.ukg_url, headers=headers, auth=auth, timeout=60) as http:
        emails = {}
        while True:
            persons = http.get(
                "/personnel/v1/person-details", params={"page": page, "per_Page": 200}
            ).json()
            emails.update({p["employeeId"]: p["emailAddress"] for p in persons})
            if len(persons) < 200:
                break
            page += 1
        page = 1
        while True:
            items = http.get(
                "/personnel/v1/employment-details", params={"page": page, "per_Page": 200}
            ).json()
            for e in items:
                assert isinstance(e["employeeNumber"], str), e  # a string in EmpEmploymentDetails
                out[e["employeeID"]] = {
                    **e,
                    # the contract's rule (docs/contracts.md §4), written out here on its own:
                    # Visma's employeeCd is the number without leading zeros
                    "ukgEmployeeNumber": e["employeeNumber"],
                    "employeeNumber": canonical(e["employeeNumber"]),
                    "employeeId": e["employeeID"],
                    "employeeStatus": e["employeeStatusCode"],
                    "emailAddress": emails.get(e["employeeID"]),
                }
            if len(items) < 200:
                return out
            page += 1


def expected_visma(
    ukg: dict[str, dict[str, Any]], visma: dict[str, dict[str, Any]] | None = None
) -> dict[str, tuple[str, str]]:
    """employee number -> (department, status) Visma must show for everyone employed in UKG —
    except those UKG has no e-mail for whom Visma does not hold: Visma cannot create them
    (``contact.email`` is required), so they are quarantined (``no_email_in_ukg``)."""
    return {
        e["employeeNumber"]: (e["orgLevel3Code"], "Active")
        for e in ukg.values()
        if e["employeeStatus"] in ("A", "L")
        and (e.get("emailAddress") or (visma is not None and e["employeeNumber"] in visma))
    }


def no_email_in_ukg(ukg: dict[str, dict[str, Any]], visma: dict[str, dict[str, Any]]) -> set[str]:
    """Employed UKG employees without an e-mail that Visma does not hold (must be quarantined)."""
    return {
        e["employeeNumber"]
        for e in ukg.values()
        if e["employeeStatus"] in ("A", "L")
        and not e.get("emailAddress")
        and e["employeeNumber"] not in visma
    }


def assert_converged(sandbox: Any) -> tuple[dict, dict]:
    """Every employed UKG person is Active in Visma in the right department; every terminated
    person Visma knows is Inactive; nobody is in Visma twice or without a UKG record."""
    ukg = ukg_employees(sandbox)
    visma = visma_employees(sandbox)
    wrong = {
        number: (visma.get(number, {}).get("department"), visma.get(number, {}).get("status"))
        for number, want in expected_visma(ukg, visma).items()
        if (visma.get(number, {}).get("department"), visma.get(number, {}).get("status")) != want
    }
    assert not wrong, f"{len(wrong)} employee(s) differ in Visma: {dict(list(wrong.items())[:10])}"
    from ukg_visma.audit import employees as state

    quarantined = {q["employee_number"] for q in state.list_rejections(engine())}
    assert no_email_in_ukg(ukg, visma) <= quarantined, "an employee without e-mail is not named"
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
    from sandbox.common import ServerThread
    from ukg_visma.audit.store import get_engine
    from ukg_visma.webhooks.receiver import PATH, create_app

    app = create_app(lambda: secret, lambda: get_engine(audit_url))
    with ServerThread(app) as server:
        yield server.url + PATH


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
