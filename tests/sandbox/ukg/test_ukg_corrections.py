"""UKG corrections contract: re-exported GL runs, voided runs, off-cycle runs, lying block counts.

Everything over real HTTP against a running sandbox: the admin routes make it happen, the real
paths (``/payroll/v2/general-ledger``, ``/payroll/v1/paygroup-payperiods``,
``/payroll/v1/pay-register``) are what a client sees: a re-export is a new ``glRunDateTime`` on
the GL lines, a void shows in the pay register (every check voided, plus voiding records).
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from ukg_helpers import API_KEY, BASIC, BLOCK_SIZE, EMPLOYEES, UkgClient, start

GL = "/payroll/v2/general-ledger"
PERIODS = "/payroll/v1/paygroup-payperiods"
REGISTER = "/payroll/v1/pay-register"
RUN = "NMF-202606-R1"
RUN_TIME = "2026-06-21T15:16:00Z"  # the scenario's glRunDateTime of June's run


def _lines(ukg, run_id: str) -> list[dict]:
    """Every line of the run's current version, block by block, as a client reads it."""
    first = ukg.get(GL, {"runId": run_id, "per_Page": 1000})
    assert first.status_code == 200, first.text
    lines = []
    for block in range(1, first.json()[0]["totalNrOfBlocks"] + 1):
        lines += ukg.all_pages(GL, {"runId": run_id, "blockId": block, "per_Page": 1000})
    return lines


def _body(line: dict) -> dict:
    """A line without the run header and block fields."""
    header = {"runId", "glRunDateTime", "blockId", "totalNrOfBlocks"}
    return {k: v for k, v in line.items() if k not in header}


def _sums(lines: list[dict]) -> tuple[str, str]:
    debit = sum((Decimal(str(x["debitAmt"])) for x in lines), Decimal(0))
    credit = sum((Decimal(str(x["creditAmt"])) for x in lines), Decimal(0))
    return str(debit), str(credit)


def _status(ukg, run_id: str, month: str) -> dict:
    """What a client can learn of a run from published operations only: its GL version (block 1
    of the export), its pay date in ``month`` (the pay period whose dates the run's lines give),
    and whether the pay register shows its checks voided."""
    head = ukg.get(GL, {"runId": run_id, "per_Page": 1})
    assert head.status_code == 200, head.text
    line = head.json()[0]
    periods = ukg.all_pages(PERIODS, {"payGroup": line["payGroup"]})
    mine = [
        p
        for p in periods
        if p["payDate"].startswith(month) and p["periodStartDate"] == line["periodStartDate"]
    ]
    checks = []
    for period in mine:
        found = ukg.all_pages(
            REGISTER, {"payGroup": line["payGroup"], "periodControl": period["periodControl"]}
        )
        checks += [c for c in found if c["checkId"].startswith(f"{run_id}-")]
    originals = [c for c in checks if not c["isVoidingRecord"]]
    voided = bool(originals) and all(c["isVoided"] for c in originals)
    return {
        "runId": run_id,
        "glRunDateTime": line["glRunDateTime"],
        "payDates": sorted({c["payDate"][:10] for c in originals}),
        "status": "Voided" if voided else "Completed",
        "voidedDateTime": originals[0]["voidDate"] if voided else None,
    }


def _post(ukg, path: str, body=None):
    return ukg.http.post(f"/_sandbox/{path}", json=body)


def _refused(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


def _own_lines(scale: int = 1) -> list[dict]:
    wage, ni = Decimal("100.10") * scale, Decimal("14.11") * scale
    tax = Decimal("30.00") * scale
    return [
        {"generalLedgerAccount": "5000-10-110", "baseSegment": "5000", "debitAmt": str(wage),
         "creditAmt": "0.00", "orgLevel2": "10", "orgLevel3": "110", "employeeNumber": "9"},
        {"generalLedgerAccount": "5400-10-110", "baseSegment": "5400", "debitAmt": str(ni),
         "creditAmt": "0.00", "orgLevel2": "10", "orgLevel3": "110", "employeeNumber": "9"},
        {"generalLedgerAccount": "2770", "baseSegment": "2770", "debitAmt": "0.00",
         "creditAmt": str(ni)},
        {"generalLedgerAccount": "2600", "baseSegment": "2600", "debitAmt": "0.00",
         "creditAmt": str(tax)},
        {"generalLedgerAccount": "2930", "baseSegment": "2930", "debitAmt": "0.00",
         "creditAmt": str(wage - tax)},
    ]  # fmt: skip


def _own_run(**extra) -> dict:
    return {"runId": "TEST-1", "periodStartDate": "2026-11-01", "periodEndDate": "2026-11-30",
            "payDate": "2026-11-25", "glRunDateTime": "2026-11-20T10:00:00Z",
            "lines": _own_lines(), "block_size": 2, **extra}  # fmt: skip


# ---- regenerate -------------------------------------------------------------------------------
def test_an_unchanged_re_export_of_a_scenario_run(ukg):
    before = _lines(ukg, RUN)
    answer = ukg.admin("POST", f"gl-runs/{RUN}/regenerate", {})
    debit, credit = _sums(before)
    assert answer["runId"] == RUN and answer["lines"] == len(before)
    assert answer["debit"] == debit == answer["credit"] == credit and answer["balanced"] is True
    assert answer["totalNrOfBlocks"] == -(-len(before) // BLOCK_SIZE)
    assert answer["blockSize"] == BLOCK_SIZE and answer["version"] == 2
    assert answer["previousGlRunDateTime"] == RUN_TIME
    stamp = answer["glRunDateTime"]
    assert stamp.endswith("Z") and stamp > RUN_TIME

    after = _lines(ukg, RUN)
    assert {x["glRunDateTime"] for x in after} == {stamp}
    assert [_body(x) for x in after] == [_body(x) for x in before]  # same runId, same lines
    june = _status(ukg, RUN, "2026-06")
    assert june["glRunDateTime"] == stamp and june["payDates"] == ["2026-06-25"]
    assert june["status"] == "Completed" and june["voidedDateTime"] is None
    most_recent = ukg.get(GL, {"mostRecent": "true"}).json()
    assert {x["runId"] for x in most_recent} == {RUN}  # the latest glRunDateTime of all runs

    versions = ukg.admin("GET", f"gl-runs/{RUN}/versions")
    assert versions["runId"] == RUN and versions["status"] == "Completed"
    assert [v["glRunDateTime"] for v in versions["versions"]] == [RUN_TIME, stamp]
    assert [v["current"] for v in versions["versions"]] == [False, True]
    assert [(v["lines"], v["debit"], v["credit"]) for v in versions["versions"]] == [
        (len(before), debit, credit)
    ] * 2
    assert "glLines" not in versions["versions"][0]


def test_a_re_export_with_changed_lines(ukg):
    ukg.admin("POST", "gl-runs", _own_run())
    net = {"generalLedgerAccount": "2930", "baseSegment": "2930", "debitAmt": "0.00",
           "creditAmt": "200.20"}  # fmt: skip
    changed = [*_own_lines(scale=2)[:3], net]
    answer = ukg.admin(
        "POST",
        "gl-runs/TEST-1/regenerate",
        {"glRunDateTime": "2026-11-22T08:30:00+01:00", "lines": changed, "block_size": 3},
    )
    assert answer == {
        "runId": "TEST-1", "lines": 4, "blockSize": 3, "totalNrOfBlocks": 2,
        "debit": "228.42", "credit": "228.42", "balanced": True,
        "glRunDateTime": "2026-11-22T07:30:00Z",
        "previousGlRunDateTime": "2026-11-20T10:00:00Z", "version": 2,
    }  # fmt: skip
    lines = _lines(ukg, "TEST-1")
    assert [_body(x)["creditAmt"] for x in lines] == [0, 0, 28.22, 200.2]  # JSON numbers
    assert {x["glRunDateTime"] for x in lines} == {"2026-11-22T07:30:00Z"}
    assert {x["totalNrOfBlocks"] for x in lines} == {2}
    run = _status(ukg, "TEST-1", "2026-11")
    assert run["glRunDateTime"] == "2026-11-22T07:30:00Z" and run["payDates"] == ["2026-11-25"]

    versions = ukg.admin("GET", "gl-runs/TEST-1/versions?lines=true")["versions"]
    assert [(v["version"], v["lines"], v["debit"], v["totalNrOfBlocks"]) for v in versions] == [
        (1, 5, "114.21", 3),
        (2, 4, "228.42", 2),
    ]
    assert versions[0]["glLines"] == _own_lines()
    assert versions[1]["glLines"] == changed

    third = ukg.admin("POST", "gl-runs/TEST-1/regenerate", {"emit": False})
    assert third["version"] == 3 and third["lines"] == 4 and third["blockSize"] == 3
    assert third["previousGlRunDateTime"] == "2026-11-22T07:30:00Z"


def test_a_re_export_raises_the_gl_export_event_unless_told_not_to(ukg):
    ukg.admin("POST", "gl-runs", _own_run(emit=False))
    seen = ukg.admin("GET", "webhook-deliveries")["count"]
    ukg.admin("POST", "gl-runs/TEST-1/regenerate", {})
    log = ukg.admin("GET", "webhook-deliveries")["deliveries"]
    assert [(d["eventType"], d["runId"]) for d in log[seen:]] == [
        ("PayrollGLExportCompletedEvent", "TEST-1")
    ]
    ukg.admin("POST", "gl-runs/TEST-1/regenerate", {"emit": False})
    assert ukg.admin("GET", "webhook-deliveries")["count"] == seen + 1


REFUSAL_IDS = [
    "unknown-run", "same-time", "earlier-time", "not-a-time", "bare-date", "no-lines",
    "not-objects", "bad-amount", "declared-0", "declared-string", "block-size-bool",
    "emit-string", "unknown-key",
]  # fmt: skip


@pytest.mark.parametrize(
    ("run_id", "body", "status", "words"),
    [
        ("NMF-209901-R1", {}, 404, ["NMF-209901-R1"]),
        (RUN, {"glRunDateTime": RUN_TIME}, 409, ["not later", RUN_TIME]),
        (RUN, {"glRunDateTime": "2026-06-01T00:00:00Z"}, 409, ["not later"]),
        (RUN, {"glRunDateTime": "tomorrow"}, 400, ["glRunDateTime"]),
        (RUN, {"glRunDateTime": "2026-12-01"}, 400, ["glRunDateTime", "date-time"]),
        (RUN, {"lines": []}, 400, ["lines"]),
        (RUN, {"lines": ["5000"]}, 400, ["lines"]),
        (RUN, {"lines": [{"debitAmt": "ten", "creditAmt": "0"}]}, 400, ["ten"]),
        (RUN, {"declared_blocks": 0}, 400, ["declared_blocks"]),
        (RUN, {"declared_blocks": "2"}, 400, ["declared_blocks"]),
        (RUN, {"block_size": True}, 400, ["block_size"]),
        (RUN, {"emit": "yes"}, 400, ["emit"]),
        (RUN, {"glRunDatetime": "2026-12-01T00:00:00Z"}, 400, ["glRunDatetime"]),
    ],
    ids=REFUSAL_IDS,
)
def test_regenerate_refusals(ukg, run_id, body, status, words):
    _refused(_post(ukg, f"gl-runs/{run_id}/regenerate", body), status, *words)
    if run_id == RUN:  # nothing changed
        assert len(ukg.admin("GET", f"gl-runs/{RUN}/versions")["versions"]) == 1


def test_versions_of_an_unknown_run(ukg):
    response = ukg.http.get("/_sandbox/gl-runs/NOPE/versions")
    _refused(response, 404, "NOPE")


# ---- void -------------------------------------------------------------------------------------
def test_a_voided_run_stays_readable_and_voiding_twice_is_fine(ukg):
    before = _lines(ukg, RUN)
    first = ukg.admin("POST", f"gl-runs/{RUN}/void")
    assert first["runId"] == RUN and first["status"] == "Voided"
    assert first["alreadyVoided"] is False and first["voidedDateTime"].endswith("Z")
    june = _status(ukg, RUN, "2026-06")
    assert june["status"] == "Voided" and june["voidedDateTime"] == first["voidedDateTime"]
    assert june["glRunDateTime"] == RUN_TIME
    assert _lines(ukg, RUN) == before  # the export stays readable, unchanged
    may = _status(ukg, "NMF-202605-R1", "2026-05")
    assert may["status"] == "Completed" and may["voidedDateTime"] is None

    again = ukg.admin("POST", f"gl-runs/{RUN}/void", {"voidedDateTime": "2026-12-24T12:00:00Z"})
    assert again == {**first, "alreadyVoided": True}  # idempotent: the first void time stays
    versions = ukg.admin("GET", f"gl-runs/{RUN}/versions")
    assert versions["status"] == "Voided" and versions["voidedDateTime"] == first["voidedDateTime"]
    state = {r["runId"]: r for r in ukg.admin("GET", "state")["glRuns"]}
    assert state[RUN]["voidedDateTime"] == first["voidedDateTime"]
    _refused(_post(ukg, f"gl-runs/{RUN}/regenerate", {}), 409, "voided", RUN)


def test_void_with_a_time_and_refusals(ukg):
    ukg.admin("POST", "gl-runs", _own_run())
    voided = ukg.admin("POST", "gl-runs/TEST-1/void", {"voidedDateTime": "2026-11-28T09:00:00Z"})
    assert voided["voidedDateTime"] == "2026-11-28T09:00:00Z"
    run = _status(ukg, "TEST-1", "2026-11")
    assert (run["status"], run["voidedDateTime"]) == ("Voided", "2026-11-28T09:00:00Z")
    _refused(_post(ukg, "gl-runs/NOPE/void"), 404, "NOPE")
    _refused(_post(ukg, f"gl-runs/{RUN}/void", {"voidedDateTime": "soon"}), 400, "voidedDateTime")
    _refused(_post(ukg, f"gl-runs/{RUN}/void", {"reason": "x"}), 400, "reason")
    assert _status(ukg, RUN, "2026-06")["status"] == "Completed"


def test_replacing_a_run_starts_it_afresh(ukg):
    ukg.admin("POST", "gl-runs", _own_run())
    ukg.admin("POST", "gl-runs/TEST-1/regenerate", {"emit": False})
    ukg.admin("POST", "gl-runs/TEST-1/void")
    ukg.admin("POST", "gl-runs", _own_run(replace=True, emit=False))
    versions = ukg.admin("GET", "gl-runs/TEST-1/versions")
    assert versions["status"] == "Completed" and len(versions["versions"]) == 1
    assert _status(ukg, "TEST-1", "2026-11")["status"] == "Completed"


def test_reset_forgets_versions_and_voids(ukg):
    ukg.admin("POST", f"gl-runs/{RUN}/regenerate", {"emit": False})
    ukg.admin("POST", f"gl-runs/{RUN}/void")
    ukg.admin("POST", "reset", {"seed": 42, "employees": EMPLOYEES})
    versions = ukg.admin("GET", f"gl-runs/{RUN}/versions")
    assert versions["status"] == "Completed"
    assert [v["glRunDateTime"] for v in versions["versions"]] == [RUN_TIME]


def test_versions_and_voids_survive_a_restart(tmp_path):
    first = UkgClient(start(tmp_path))
    try:
        stamp = first.admin("POST", f"gl-runs/{RUN}/regenerate", {"emit": False})["glRunDateTime"]
        first.admin("POST", "gl-runs/NMF-202605-R1/void")
        before = _lines(first, RUN)
    finally:
        first.server.stop()
        first.app.sandbox.store.close()
    second = UkgClient(start(tmp_path))
    try:
        assert _lines(second, RUN) == before
        assert {x["glRunDateTime"] for x in before} == {stamp}
        versions = second.admin("GET", f"gl-runs/{RUN}/versions")["versions"]
        assert [v["glRunDateTime"] for v in versions] == [RUN_TIME, stamp]
        assert _status(second, "NMF-202605-R1", "2026-05")["status"] == "Voided"
    finally:
        second.server.stop()
        second.app.sandbox.store.close()


# ---- off-cycle runs ---------------------------------------------------------------------------
def test_off_cycle_runs_in_a_month_with_the_regular_run(ukg):
    regular = _lines(ukg, RUN)
    for run_id, run_type, pay_day in [
        ("NMF-202606-B1", "Bonus", "2026-06-12"),
        ("NMF-202606-T1", "Termination", "2026-06-25"),
        ("NMF-202606-X1", "OffCycle", "2026-06-30"),
    ]:
        added = ukg.admin(
            "POST",
            "gl-runs",
            {"runId": run_id, "runType": run_type, "periodStartDate": "2026-06-01",
             "periodEndDate": "2026-06-30", "payDate": pay_day,
             "glRunDateTime": f"{pay_day}T09:00:00Z", "lines": _own_lines(), "emit": False},
        )  # fmt: skip
        assert added["balanced"] is True and added["lines"] == 5
    periods = ukg.all_pages(PERIODS, {"payGroup": "NO-M", "startPerControl": "202606010",
                                      "endPerControl": "202606309"})  # fmt: skip
    assert [(p["payDate"][:10], p["payDateSeq"], p["periodType"]) for p in periods] == [
        ("2026-06-12", 1, "S"),
        ("2026-06-25", 2, "R"),  # the termination run shares the regular pay date
        ("2026-06-30", 3, "S"),
    ]
    assert {(p["periodStartDate"], p["periodEndDate"]) for p in periods} == {
        ("2026-06-01T00:00:00", "2026-06-30T00:00:00")
    }
    statuses = {r: _status(ukg, r, "2026-06") for r in (RUN, "NMF-202606-B1", "NMF-202606-X1")}
    assert {r: (s["status"], s["payDates"]) for r, s in statuses.items()} == {
        RUN: ("Completed", ["2026-06-25"]),
        "NMF-202606-B1": ("Completed", ["2026-06-12"]),
        "NMF-202606-X1": ("Completed", ["2026-06-30"]),
    }
    bonus = _lines(ukg, "NMF-202606-B1")
    assert [Decimal(str(x["debitAmt"])) for x in bonus] == [
        Decimal(x["debitAmt"]) for x in _own_lines()
    ]
    assert {x["runId"] for x in bonus} == {"NMF-202606-B1"}
    assert not any("payDate" in x for x in bonus)
    assert _lines(ukg, RUN) == regular  # the regular run is untouched
    state = {r["runId"]: r for r in ukg.admin("GET", "state")["glRuns"]}
    assert state["NMF-202606-T1"]["runType"] == "Termination"


@pytest.mark.parametrize("run_type", ["", 7, None])
def test_run_type_must_be_a_name(ukg, run_type):
    _refused(_post(ukg, "gl-runs", _own_run(runType=run_type)), 400, "runType")


# ---- an export that lies about its block count ------------------------------------------------
def test_declared_blocks_understate_the_real_ones(ukg):
    added = ukg.admin("POST", "gl-runs", _own_run(declared_blocks=1))
    assert added["totalNrOfBlocks"] == 3 and added["declaredBlocks"] == 1
    first = ukg.get(GL, {"runId": "TEST-1"}).json()
    assert [x["totalNrOfBlocks"] for x in first] == [1, 1]  # the lie
    second = ukg.get(GL, {"runId": "TEST-1", "blockId": 2}).json()
    third = ukg.get(f"{GL}/TEST-1", {"blockId": 3}).json()
    assert len(second) == 2 and len(third) == 1  # the real blocks are still served
    assert {x["totalNrOfBlocks"] for x in second + third} == {1}
    assert _sums(first + second + third) == ("114.21", "114.21")
    beyond = ukg.get(GL, {"runId": "TEST-1", "blockId": 4})
    _refused(beyond, 404, "TEST-1", "Block 4")
    state = {r["runId"]: r for r in ukg.admin("GET", "state")["glRuns"]}
    assert state["TEST-1"]["declaredBlocks"] == 1 and state["TEST-1"]["totalNrOfBlocks"] == 3


def test_declared_blocks_can_overstate_too(ukg):
    ukg.admin("POST", "gl-runs", _own_run(declared_blocks=5, block_size=10))
    assert {x["totalNrOfBlocks"] for x in ukg.get(GL, {"runId": "TEST-1"}).json()} == {5}
    _refused(ukg.get(GL, {"runId": "TEST-1", "blockId": 2}), 404, "TEST-1")


def test_a_scenario_run_re_exported_with_a_lying_block_count(ukg):
    real = ukg.admin("POST", f"gl-runs/{RUN}/regenerate", {"declared_blocks": 1, "emit": False})
    assert real["totalNrOfBlocks"] >= 3 and real["declaredBlocks"] == 1
    block1 = ukg.get(GL, {"runId": RUN, "per_Page": 1000}).json()
    assert {x["totalNrOfBlocks"] for x in block1} == {1} and len(block1) == BLOCK_SIZE
    block2 = ukg.get(GL, {"runId": RUN, "blockId": 2, "per_Page": 1000}).json()
    assert len(block2) == BLOCK_SIZE and {x["totalNrOfBlocks"] for x in block2} == {1}
    honest = ukg.admin("POST", f"gl-runs/{RUN}/regenerate", {"emit": False})
    assert "declaredBlocks" not in honest  # a new export does not inherit the lie
    again = ukg.get(GL, {"runId": RUN}).json()
    assert {x["totalNrOfBlocks"] for x in again} == {real["totalNrOfBlocks"]}
    versions = ukg.admin("GET", f"gl-runs/{RUN}/versions")["versions"]
    assert [v["declaredBlocks"] for v in versions] == [None, 1, None]


@pytest.mark.parametrize("declared", [0, -2, "3", 1.5, True])
def test_declared_blocks_refusals(ukg, declared):
    _refused(_post(ukg, "gl-runs", _own_run(declared_blocks=declared)), 400, "declared_blocks")


def test_default_re_export_times_always_move_forward(ukg):
    stamps = [
        ukg.admin("POST", f"gl-runs/{RUN}/regenerate", {"emit": False})["glRunDateTime"]
        for _ in range(3)
    ]
    assert RUN_TIME < stamps[0] < stamps[1] < stamps[2]  # within one second: one second apart
    versions = ukg.admin("GET", f"gl-runs/{RUN}/versions")["versions"]
    assert [v["glRunDateTime"] for v in versions] == [RUN_TIME, *stamps]


def test_through_the_session_fixture(sandbox):
    """``sandbox.ukg_admin`` reaches the same routes on the ``python -m sandbox`` process."""
    sandbox.reset(seed=42, employees=150)
    answer = sandbox.ukg_admin(
        "POST", f"gl-runs/{RUN}/regenerate", {"glRunDateTime": "2026-11-21T08:00:00Z"}
    )
    assert answer["previousGlRunDateTime"] == RUN_TIME and answer["version"] == 2
    sandbox.ukg_admin("POST", "gl-runs/NMF-202605-R1/void")
    headers = {"Authorization": BASIC, "US-Customer-Api-Key": API_KEY}
    head = httpx.get(f"{sandbox.ukg_url}{GL}/{RUN}", params={"per_Page": 1}, headers=headers)
    assert head.json()[0]["glRunDateTime"] == "2026-11-21T08:00:00Z"
    may = httpx.get(
        f"{sandbox.ukg_url}{REGISTER}",
        params={"payGroup": "NO-M", "payDate": "2026-05-22", "per_Page": 2000},
        headers=headers,
    ).json()
    assert may and all(c["isVoided"] for c in may if not c["isVoidingRecord"])
    assert any(c["isVoidingRecord"] for c in may)
    assert (
        httpx.get(f"{sandbox.ukg_url}/payroll/v1/payroll-runs", headers=headers).status_code == 404
    )
    versions = sandbox.ukg_admin("GET", f"gl-runs/{RUN}/versions")["versions"]
    assert [v["glRunDateTime"] for v in versions] == [RUN_TIME, "2026-11-21T08:00:00Z"]
