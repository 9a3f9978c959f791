"""Independent published-only check: the DAGs against the UKG sandbox, every UKG request the
sandbox received validated against UKG's **published** OpenAPI (``tests/published``: paths,
methods, query parameter names — not the package's own models or route constants), and the
results judged from Visma's state (and UKG's own GL versions), never from our audit store.

- payroll: a month with a regular and an off-cycle run, a changed re-export (one adjustment)
  and a voided run (reversed once);
- employee sync: hires, terminations (change feed), rehires and transfers (webhooks, read by id:
  the feed budget is spent), with UKG's view of the feed budget kept;
- cost-centre alignment: its org-level read (published without paging), a dry run and an applied
  run with the opt-in UKG writes (one array POST, one whole-body PUT), judged from Visma's
  segment values and UKG's org levels;
- ``ukg-visma ping`` and the hooks' ``test_connection()`` (the UI's Test button), OAuth and Basic.

Visma's requests of the same runs are held to Visma's published operations the same way.
"""

from __future__ import annotations

import json
import random
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "published"))
sys.path.insert(0, str(ROOT / "ukg_visma" / "tasks" / "employee_sync"))
from dag_loader import load_dag  # noqa: E402
from employee_sync_helpers import (  # noqa: E402
    assert_converged,
    change_ukg,
    new_hire,
    receiver,
    rehire,
    subscribe,
    termination,
    transfer,
    ukg_employees,
    visma_employees,
)
from ledger_truth import (  # noqa: E402
    OFF_CYCLE,
    PERIOD,
    REGULAR,
    assert_one_live_batch_per_key,
    key_of,
    ours,
    per_account,
    ukg_latest_per_account,
    visma_net,
)
from payroll_helpers import run_period, task_states  # noqa: E402
from published_contract import VISMA_PUBLISHED, unpublished  # noqa: E402
from sandbox_fixture import configure  # noqa: E402

pytestmark = pytest.mark.e2e


def _ukg_seq(sandbox, server: str = "ukg") -> int:
    calls = sandbox.calls(server)
    return calls[-1]["seq"] if calls else 0


def _visma_unpublished(sandbox, since: int) -> list[str]:
    """Visma's side of the same check: every request Visma received since ``since``."""
    return unpublished(sandbox.calls("visma", since=since), VISMA_PUBLISHED)


def _bumped(sandbox, run_id: str, ore: int) -> list[dict]:
    info = sandbox.ukg_admin("GET", f"/_sandbox/gl-runs/{run_id}/versions?lines=true")
    lines = [dict(x) for x in info["versions"][-1]["glLines"]]
    wages = next(i for i, x in enumerate(lines) if x["baseSegment"] == "5000")
    net = next(i for i, x in enumerate(lines) if x["baseSegment"] == "2930")
    lines[wages]["debitAmt"] = str(Decimal(str(lines[wages]["debitAmt"])) + Decimal(ore) / 100)
    lines[net]["creditAmt"] = str(Decimal(str(lines[net]["creditAmt"])) + Decimal(ore) / 100)
    return lines


def test_the_payroll_dag_uses_only_published_ukg_operations(payroll):
    start, visma_start = _ukg_seq(payroll), _ukg_seq(payroll, "visma")
    # a month: the regular and the off-cycle run
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])
    # a changed re-export: Visma ends at UKG's latest version
    payroll.ukg_admin(
        "POST",
        f"/_sandbox/gl-runs/{REGULAR}/regenerate",
        {"emit": False, "lines": _bumped(payroll, REGULAR, 4_200)},
    )
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])
    # a void: the off-cycle run leaves Visma's net
    payroll.ukg_admin("POST", f"/_sandbox/gl-runs/{OFF_CYCLE}/void", {})
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR])
    assert any(":REV-" in key_of(b) for b in ours(payroll))
    assert_one_live_batch_per_key(payroll)

    calls = payroll.calls("ukg", since=start)
    assert {c["path"] for c in calls} >= {"/payroll/v2/general-ledger"}
    assert unpublished(calls) == []
    assert _visma_unpublished(payroll, visma_start) == []


def test_the_employee_sync_dag_uses_only_published_ukg_operations(
    sandbox, airflow_db, monkeypatch, tmp_path
):
    from test_employee_sync_e2e import Runs

    sandbox.reset(scenario="manufacturer", seed=19, employees=120, gl_runs=False)
    configure(monkeypatch, sandbox, tmp_path)  # the default feed budget
    start, visma_start = _ukg_seq(sandbox), _ukg_seq(sandbox, "visma")
    runs = Runs()
    dagrun, states = runs.run()  # the initial load
    assert str(dagrun.state) == "success", states
    rng = random.Random(4)
    people = [e for e in ukg_employees(sandbox).values()
              if e["employeeStatus"] == "A" and e["emailAddress"]]  # fmt: skip
    leavers, movers = people[:5], people[5:10]

    hires = [new_hire(f"96{i:04d}", "110") for i in range(5)] + [new_hire("000961", "120")]
    change_ukg(sandbox, hires + [termination(e) for e in leavers])
    dagrun, states = runs.run()  # polls the change feed (no webhooks yet)
    assert str(dagrun.state) == "success", states
    visma = visma_employees(sandbox)
    assert all(visma[h["employeeNumber"].lstrip("0")]["status"] == "Active" for h in hires)
    assert all(visma[e["employeeNumber"]]["status"] == "Inactive" for e in leavers)

    with receiver(f"sqlite:///{tmp_path}/audit.db") as url:
        subscribe(sandbox, url)
        change_ukg(sandbox, [rehire(e) for e in leavers] + [transfer(e, rng) for e in movers])
        dagrun, states = runs.run()  # inside 3 h: no feed poll; the events are read by id
        sandbox.ukg_admin("DELETE", "webhooks")
    assert str(dagrun.state) == "success", states
    ukg, visma = assert_converged(sandbox)
    assert all(visma[e["employeeNumber"]]["status"] == "Active" for e in leavers)
    for e in movers:
        assert visma[e["employeeNumber"]]["department"] == ukg[e["employeeId"]]["orgLevel3Code"]

    feed = sandbox.ukg_admin("GET", "feed-calls")
    assert feed["count"] == 1 and feed["violations"] == []  # UKG's view of the budget
    calls = sandbox.calls("ukg", since=start)
    assert unpublished(calls) == []
    assert _visma_unpublished(sandbox, visma_start) == []


ORG_LEVELS = "/configuration/v1/org-levels"


def _segment_values(sandbox, segment: str) -> dict[str, dict]:
    values = sandbox.visma_state()["segments"]["SUBACCOUNT"][segment]["segmentValues"]
    return {v["valueId"]: v for v in values}


def test_the_alignment_dag_uses_only_published_ukg_operations(
    sandbox, airflow_db, monkeypatch, tmp_path
):
    """Dry run, then an applied run with UKG writes on and Visma winning conflicts: Visma gets
    UKG's cost centres, UKG gets Visma's new one (array POST) and Visma's name of 110 (PUT)."""
    from ukg_visma.hooks import VismaHook

    sandbox.reset(
        scenario="manufacturer", seed=42, employees=300, cost_centers=40, org_level_writes=True
    )
    configure(
        monkeypatch,
        sandbox,
        tmp_path,
        alignment={"write_cost_centers_to_ukg": True, "conflict_winner": "visma"},
    )
    start, visma_start = _ukg_seq(sandbox), _ukg_seq(sandbox, "visma")
    visma_side = [
        {"operation": "Insert", "value": "390", "description": {"value": "Pilot line Mo i Rana"},
         "active": {"value": True}},
        {"operation": "Update", "value": "110", "description": {"value": "Production Moss (V)"}},
    ]  # fmt: skip
    VismaHook().update_segment_values(2, lambda _: {"segmentValues": visma_side})
    dag = load_dag("ukg_visma_cost_center_alignment")

    dry = dag.test()
    assert str(dry.state) == "success", task_states(dry)
    assert [c for c in sandbox.calls("ukg", since=start) if c["method"] != "GET"
            and "access_token" not in c["path"]] == []  # fmt: skip
    applied = dag.test(run_conf={"dry_run": False})
    assert str(applied.state) == "success", task_states(applied)

    # judged from the two services: Visma holds every UKG cost centre, UKG holds Visma's
    ukg = {o["code"]: o for o in sandbox.ukg_state()["orgLevels"] if o["level"] == 3}
    visma = _segment_values(sandbox, "2")
    assert set(ukg) <= set(visma) and len(ukg) == 40 + 1 + 1  # 40, the drift 360, and 390
    assert ukg["390"]["description"] == "Pilot line Mo i Rana"
    assert ukg["110"]["description"] == visma["110"]["description"] == "Production Moss (V)"

    calls = sandbox.calls("ukg", since=start)
    writes = [(c["method"], c["path"], c["status"]) for c in calls
              if c["method"] in {"POST", "PUT"} and "access_token" not in c["path"]]  # fmt: skip
    assert writes == [("POST", ORG_LEVELS, 207), ("PUT", f"{ORG_LEVELS}/3/110", 200)]
    assert unpublished(calls) == []
    assert _visma_unpublished(sandbox, visma_start) == []
    reads = [c for c in calls if c["method"] == "GET" and c["path"] == ORG_LEVELS]
    assert reads and all(c["query"] == "" for c in reads)  # published without paging


def test_ping_and_test_connection_use_only_published_ukg_operations(
    sandbox, monkeypatch, tmp_path, capsys
):
    """``ukg-visma ping`` and ``UkgHook.test_connection()`` (the UI's Test button), in OAuth
    and in Basic mode: the probe is a published read, sent bare."""
    from ukg_visma.cli import main
    from ukg_visma.hooks import UkgHook

    sandbox.reset()
    configure(monkeypatch, sandbox, tmp_path)
    creds = sandbox.credentials["ukg"]
    conn = json.loads(sandbox.connections_env()["AIRFLOW_CONN_UKG_DEFAULT"])
    basic = {**conn, "login": creds["basic_user"], "password": creds["basic_password"],
             "extra": {**conn["extra"], "auth_mode": "basic"}}  # fmt: skip
    monkeypatch.setenv("AIRFLOW_CONN_UKG_BASIC", json.dumps(basic))
    start, visma_start = _ukg_seq(sandbox), _ukg_seq(sandbox, "visma")

    assert main(["ping"]) == 0, capsys.readouterr().out
    assert main(["ping", "--conn", "ukg_basic"]) == 0, capsys.readouterr().out
    for conn_id in ("ukg_default", "ukg_basic"):
        ok, message = UkgHook(ukg_conn_id=conn_id).test_connection()
        assert ok, message

    calls = sandbox.calls("ukg", since=start)
    assert unpublished(calls) == []
    assert _visma_unpublished(sandbox, visma_start) == []
    probes = [c for c in calls if c["path"] == ORG_LEVELS]
    assert len(probes) == 4 and all(c["status"] == 200 and c["query"] == "" for c in probes)
