"""Cost-centre alignment end to end over real HTTP against both sandbox servers (issue #8).

The task bodies run in-process exactly as the DAG chains them (plan → apply_to_visma →
apply_to_ukg → verify); the DAG wiring itself is proven in tests/dags/test_alignment_dag.py.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from alignment_helpers import (
    last_seq,
    run_alignment,
    ukg_codes,
    visma_departments,
    visma_values,
    writes,
)
from sandbox_fixture import configure

from ukg_visma.alignment.inputs import read_visma_segments
from ukg_visma.audit.records import fetch_records
from ukg_visma.audit.store import get_engine
from ukg_visma.gl.catalog import VismaCatalog
from ukg_visma.hooks import PermissionDeniedError, UkgHook, VismaHook
from ukg_visma.mappings import GENERATED_COST_CENTERS, load_mappings
from ukg_visma.settings import load_settings
from ukg_visma.tasks.alignment import steps as alignment

pytestmark = pytest.mark.e2e

FRESH = {"scenario": "manufacturer", "seed": 42, "employees": 300, "cost_centers": 40}


def _put_visma_values(items: list[dict]) -> None:
    """Change Visma's segment 2 the way a finance user would (a locked PUT)."""
    VismaHook().update_segment_values(2, lambda _: {"segmentValues": items})


def _value(op: str, value: str, description: str, active: bool = True) -> dict:
    return {
        "operation": op,
        "value": value,
        "description": {"value": description},
        "active": {"value": active},
    }


# -- the field names of the real answers (valueId, period) -------------------------------------
def test_real_answers_are_read_as_valueid_and_period(sandbox, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=42, employees=50)
    configure(monkeypatch, sandbox, tmp_path)
    visma = VismaHook()
    dimension = visma.get_json("/v1/dimension/SUBACCOUNT")
    raw = dimension["segments"][1]["segmentValues"][0]
    assert "valueId" in raw and "value" not in raw  # the answer's shape, not an assumption

    segments = read_visma_segments(dimension)
    assert set(segments[1].values) == {"00", "10", "20", "30", "40", "50"}
    assert segments[2].values["110"].description == "Production Moss"
    assert segments[2].values["199"].active is False
    assert "360" not in segments[2].values

    periods = visma.get_json("/v1/financialPeriod")
    assert "period" in periods[0] and "periodId" not in periods[0]
    catalog = VismaCatalog.from_api(
        accounts=visma.get_json("/v1/account"),
        dimension=dimension,
        projects=visma.projects(),
        periods=periods,
    )
    assert catalog.segments[2].values["110"].active
    assert not catalog.segments[2].values["199"].active
    assert len(catalog.periods) == 24
    assert not catalog.periods["202603"].open and catalog.periods["202604"].open


# -- a fresh Visma against 40 UKG cost centres ---------------------------------------------------
def test_fresh_visma_is_aligned_in_one_run_and_the_second_run_changes_nothing(
    sandbox, monkeypatch, tmp_path
):
    sandbox.reset(**FRESH, visma_segments="empty", org_level_writes=True)
    mappings = configure(monkeypatch, sandbox, tmp_path)
    manual_before = (mappings / "cost_centers.csv").read_bytes()
    assert visma_values(sandbox, 1) == {} and visma_values(sandbox, 2) == {}
    cost_centres, departments = ukg_codes(sandbox, 3), ukg_codes(sandbox, 2)
    assert len(cost_centres) == 41  # 40 + the drift cost centre 360

    dry = run_alignment("dry", dry_run=True)
    assert writes(sandbox, "visma") == [] and writes(sandbox, "ukg") == []
    assert dry["plan"]["counts"]["visma_inserts"] == 46
    assert dry["plan"]["counts"]["departments_to_create"] == 41
    assert not (mappings / GENERATED_COST_CENTERS).exists()
    assert "planned (dry run" in Path(dry["plan"]["report"]["markdown"]).read_text()

    out = run_alignment("first")
    # both sides hold the same set, with UKG's names, all active
    for segment, ukg in ((1, departments), (2, cost_centres)):
        values = visma_values(sandbox, segment)
        assert set(values) == set(ukg)
        assert all(values[c]["description"] == ukg[c]["description"] for c in ukg)
        assert all(v["active"] for v in values.values())
    assert ukg_codes(sandbox, 3) == cost_centres  # UKG untouched
    visma_writes = writes(sandbox, "visma")
    puts = [c for c in visma_writes if c["method"] == "PUT"]
    assert sorted(c["path"] for c in puts) == [
        "/v1/dimension/SUBACCOUNT/1",
        "/v1/dimension/SUBACCOUNT/2",
    ]  # one batched PUT per segment
    assert all(c["status"] == 204 for c in puts)
    assert writes(sandbox, "ukg") == []  # write_cost_centers_to_ukg is off by default

    # one Visma department per cost centre, naming its department and cost-centre values
    depts = visma_departments(sandbox)
    for code in cost_centres:
        sub = {s["segmentId"]: s["segmentValue"] for s in depts[code]["expenseSubaccount"]}
        assert sub[2] == code
        # the department its employees sit in; 360 has none today: segment 1's default
        assert sub[1] == ("00" if code == "360" else f"{code[1]}0"), code
    assert out["visma"]["departments_created"] == 41

    # the mapping is complete; hand-made rows untouched, the rest generated
    assert (mappings / "cost_centers.csv").read_bytes() == manual_before
    loaded = load_mappings()
    for level, codes in ((2, departments), (3, cost_centres)):
        assert {c for (lvl, c) in loaded.segments if lvl == level} == set(codes)
    generated = (mappings / GENERATED_COST_CENTERS).read_text()
    gen_rows = list(csv.DictReader(line for line in generated.splitlines() if line[:1] != "#"))
    assert len(gen_rows) == 46 - 20 and {r["origin"] for r in gen_rows} == {"generated"}
    assert out["result"]["unmapped_after"] == 0

    # the report and the audit
    report = Path(out["result"]["report"]).read_text()
    assert "Created in Visma: 46" in report and "nothing left to write" in report
    assert "department `360` 'Commissioning Mo i Rana': segment 1 00, segment 2 360 (no " in report
    engine = get_engine()
    rows = fetch_records(engine, run_id="alignment:first", source_kind="org_value")
    assert len(rows) == 46 and {r["status"] for r in rows} == {"created"}
    row = next(r for r in rows if r["source_key"] == "org_level_3:360")
    assert row["target_key"] == "SUBACCOUNT/2/360"
    departments_audit = fetch_records(
        engine, run_id="alignment:first", source_kind="visma_department"
    )
    assert len(departments_audit) == 41

    # a second run: nothing written anywhere, mapping file unchanged
    seq_visma, seq_ukg = last_seq(sandbox, "visma"), last_seq(sandbox, "ukg")
    generated_before = (mappings / GENERATED_COST_CENTERS).read_bytes()
    again = run_alignment("second")
    assert writes(sandbox, "visma", since=seq_visma) == []
    assert writes(sandbox, "ukg", since=seq_ukg) == []
    assert again["plan"]["counts"]["unchanged"] == 46
    assert again["result"]["mapping_rows_added"] == 0
    assert (mappings / GENERATED_COST_CENTERS).read_bytes() == generated_before


# -- conflicts, Visma-only values, the UKG switch ----------------------------------------------
def test_conflicts_are_reported_not_overwritten_and_ukg_gets_no_write(
    sandbox, monkeypatch, tmp_path
):
    # the UKG API user could write (sandbox switch on): only the setting keeps UKG untouched
    sandbox.reset(**FRESH, org_level_writes=True)
    mappings = configure(monkeypatch, sandbox, tmp_path)
    _put_visma_values(
        [
            _value("Update", "110", "Produksjon Moss"),  # renamed in Visma
            _value("Update", "120", "Maintenance Moss", active=False),  # closed in Visma
            _value("Insert", "390", "Pilot line Mo i Rana"),  # only Visma has it
        ]
    )
    ukg_before = ukg_codes(sandbox, 3)
    seq = last_seq(sandbox, "visma")

    out = run_alignment("conflicts")
    values = visma_values(sandbox, 2)
    assert values["110"]["description"] == "Produksjon Moss"
    assert values["120"]["active"] is False
    assert ukg_codes(sandbox, 3) == ukg_before and "390" not in ukg_before
    assert writes(sandbox, "ukg") == []
    assert out["ukg"] == {"ukg_writes": 0, "enabled": False}
    assert out["result"]["open_conflicts"] == 2
    # the 25 extra cost centres and 360 were created; 110/120 were not in any PUT body
    assert {"111", "360", "351"} <= set(values)
    assert len(writes(sandbox, "visma", since=seq)) == 1 + 26  # one PUT, one department each

    report = Path(out["result"]["report"]).read_text()
    assert "code 110: UKG 'Production Moss' vs Visma 'Produksjon Moss' → unresolved" in report
    assert "code 120: active UKG True vs Visma False → unresolved" in report
    assert "## For HR to create or change in UKG" in report and "`390`" in report
    table_path = Path(out["result"]["report"]).with_suffix(".csv")
    table = list(csv.DictReader(io.StringIO(table_path.read_text())))
    actions = {(r["code"], r["action"]) for r in table}
    assert {("110", "conflict"), ("120", "conflict"), ("390", "for_hr")} <= actions

    rows = {
        r["source_key"]: r
        for r in fetch_records(get_engine(), run_id="alignment:conflicts", source_kind="org_value")
    }
    assert rows["org_level_3:110"]["status"] == "conflict"
    assert "Produksjon Moss" in rows["org_level_3:110"]["error"]
    assert rows["org_level_3:390"]["status"] == "for_hr"
    # a conflicting code is still mapped (same code both sides); a value for HR is not yet
    mapped = load_mappings(mappings).segments
    assert (3, "110") in mapped and (3, "390") not in mapped


def test_with_ukg_writes_on_ukg_receives_the_visma_only_values(sandbox, monkeypatch, tmp_path):
    sandbox.reset(**FRESH, org_level_writes=True)
    mappings = configure(
        monkeypatch, sandbox, tmp_path, alignment={"write_cost_centers_to_ukg": True}
    )
    _put_visma_values(
        [_value("Insert", "390", "Pilot line Mo i Rana"), _value("Insert", "391", "Test bench")]
    )
    out = run_alignment("ukg-on")
    created = ukg_codes(sandbox, 3)
    assert created["390"]["description"] == "Pilot line Mo i Rana" and created["390"]["isActive"]
    assert created["391"]["glSegment"] == "391"
    posts = writes(sandbox, "ukg")
    assert [(c["method"], c["path"], c["status"]) for c in posts] == [
        ("POST", "/configuration/v1/org-levels", 207)
    ]  # both in one array POST (published), one 207
    assert out["ukg"] == {"ukg_writes": 2}
    assert {(3, "390"), (3, "391")} <= set(load_mappings(mappings).segments)
    # no employee sits in 390/391 yet: their department falls back to segment 1's default
    department = visma_departments(sandbox)["390"]
    assert {s["segmentId"]: s["segmentValue"] for s in department["expenseSubaccount"]} == {
        1: "00",
        2: "390",
    }
    seq_ukg, seq_visma = last_seq(sandbox, "ukg"), last_seq(sandbox, "visma")
    run_alignment("ukg-on-again")
    assert writes(sandbox, "ukg", since=seq_ukg) == []
    assert writes(sandbox, "visma", since=seq_visma) == []


def test_an_org_level_ukg_refuses_is_a_finding_naming_it_and_is_not_re_posted(
    sandbox, monkeypatch, tmp_path
):
    """One array POST; UKG's 207 refuses 392 (description over the published 25 characters)
    and creates 390: the outcome names 392 and why, and nothing is POSTed again."""
    sandbox.reset(**FRESH, org_level_writes=True)
    configure(monkeypatch, sandbox, tmp_path, alignment={"write_cost_centers_to_ukg": True})
    _put_visma_values(
        [_value("Insert", "390", "Pilot line Mo i Rana"),
         _value("Insert", "392", "Commissioning and test bench Mo i Rana")]
    )  # fmt: skip
    settings = load_settings()
    run = alignment.AlignmentRun(run_key="refused", dry_run=False)
    ukg, visma, engine = UkgHook(), VismaHook(), get_engine()
    ref = alignment.plan(ukg, visma, engine, run, settings)
    alignment.apply_to_visma(visma, ref, run)
    out = alignment.apply_to_ukg(ukg, ref, run, settings)
    assert out["ukg_writes"] == 1
    (finding,) = out["ukg_refused"]
    assert finding.startswith("org level 3 code 392: description: ") and "25" in finding
    codes = ukg_codes(sandbox, 3)
    assert "390" in codes and "392" not in codes
    posts = writes(sandbox, "ukg")
    assert [(c["method"], c["status"]) for c in posts] == [("POST", 207)]


def test_ukg_writes_on_without_ukg_permission_fails_at_once(sandbox, monkeypatch, tmp_path):
    sandbox.reset(**FRESH, org_level_writes=False)
    configure(monkeypatch, sandbox, tmp_path, alignment={"write_cost_centers_to_ukg": True})
    _put_visma_values([_value("Insert", "390", "Pilot line Mo i Rana")])
    settings = load_settings()
    run = alignment.AlignmentRun(run_key="denied", dry_run=False)
    ukg, visma, engine = UkgHook(), VismaHook(), get_engine()
    ref = alignment.plan(ukg, visma, engine, run, settings)
    alignment.apply_to_visma(visma, ref, run)
    with pytest.raises(PermissionDeniedError):
        alignment.apply_to_ukg(ukg, ref, run, settings)
    assert [c["status"] for c in writes(sandbox, "ukg")] == [403]
    assert "390" not in ukg_codes(sandbox, 3)


def test_a_412_a_lost_answer_and_a_task_retry_write_each_value_once(sandbox, monkeypatch, tmp_path):
    sandbox.reset(**FRESH, visma_segments="empty")
    configure(monkeypatch, sandbox, tmp_path)
    sandbox.faults(
        "visma",
        [
            # someone else saved segment 2 just before our PUT: re-read, re-apply
            {"method": "PUT", "path": "^/v1/dimension/SUBACCOUNT/2$", "status": 412, "times": 1},
            # Visma creates the department, the answer never arrives
            {
                "method": "POST",
                "path": "^/v1/department$",
                "drop_response_after_commit": True,
                "times": 1,
            },
        ],
    )
    settings = load_settings()
    run = alignment.AlignmentRun(run_key="faults", dry_run=False)
    visma, engine = VismaHook(), get_engine()
    ref = alignment.plan(UkgHook(), visma, engine, run, settings)
    first = alignment.apply_to_visma(visma, ref, run)
    assert first == {
        "segment_puts": 2,
        "segment_values_written": 46,
        "departments_created": 41,
        "departments_present": 0,
    }
    seq = last_seq(sandbox, "visma")
    # the task is retried with the same plan (e.g. the worker died before reporting success)
    retried = alignment.apply_to_visma(visma, ref, run)
    assert retried["segment_puts"] == 0 and retried["departments_created"] == 0
    assert retried["departments_present"] == 41
    assert writes(sandbox, "visma", since=seq) == []

    puts = [c for c in writes(sandbox, "visma") if c["path"] == "/v1/dimension/SUBACCOUNT/2"]
    assert [c["status"] for c in puts] == [412, 204]
    posts = [c for c in writes(sandbox, "visma") if c["path"] == "/v1/department"]
    assert len(posts) == 41 and sum(c["dropped"] for c in posts) == 1
    assert len(visma_departments(sandbox)) == 5 + 41
    summary = alignment.verify(UkgHook(), visma, engine, ref, run, settings)
    assert summary["unmapped_after"] == 0


def test_alignment_errors_fail_at_once_under_the_retry_policy():
    """A retry cannot fix them: the DAGs' policy fails ``NotRetryable`` without retrying."""
    from ukg_visma.alignment import AlignmentInputError, PlanApplyError
    from ukg_visma.errors import NotRetryable
    from ukg_visma.tasks.runtime import retry_policy

    rule = retry_policy().rules[0]
    for error in (AlignmentInputError, PlanApplyError):
        assert issubclass(error, NotRetryable) and rule.matches(error("x"))
    assert rule.matches(alignment.AlignmentNotConvergedError("x"))
    assert str(rule.action).lower().endswith("fail")
