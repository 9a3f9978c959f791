"""Every validation rule, with its exact message and the source rows it names."""

from __future__ import annotations

import copy

import pytest
from gl_factory import MAPPINGS, SETTINGS, export, gl_line, two_employees

from ukg_visma.gl.catalog import VismaCatalog
from ukg_visma.gl.transform import transform
from ukg_visma.gl.validate import JournalValidationError, validate
from ukg_visma.mappings import parse_mappings
from ukg_visma.settings import DEFAULT_MAPPINGS_DIR

A, C, P = (
    "include/mappings/accounts.csv",
    "include/mappings/cost_centers.csv",
    "include/mappings/projects.csv",
)


def _value(value, active=True):
    return {"value": value, "description": f"value {value}", "active": active}


API = {
    "accounts": [
        {"accountCD": cd, "description": cd, "type": t, "active": True}
        for cd, t in [
            ("5000", "Expense"), ("5020", "Expense"), ("5090", "Expense"), ("5400", "Expense"),
            ("5405", "Expense"), ("5420", "Expense"), ("2600", "Liability"), ("2770", "Liability"),
            ("2780", "Liability"), ("2930", "Liability"), ("2940", "Liability"),
            ("2990", "Liability"), ("1920", "Asset"),
        ]
    ]
    + [
        {"accountCD": "5010", "active": False, "type": "Expense"},
        {"accountCD": "1500", "active": True, "controlAccountModule": "AR"},
        {"accountCD": "7700", "active": True, "allowManualEntry": False},
        {"accountCD": "7710", "active": True, "currency": "EUR"},
    ],
    "dimension": {
        "id": "SUBACCOUNT",
        "segments": [
            {"segmentId": 1, "description": "Department", "length": 2, "validate": True,
             "segmentValues": [_value(v) for v in ("00", "10", "20", "30", "40", "50")]},
            {"segmentId": 2, "description": "Cost centre", "length": 3, "validate": True,
             "segmentValues": [_value(v) for v in ("000", "110", "120", "210", "220")]
             + [_value("199", active=False)]},
        ],
    },
    "projects": [
        {"projectID": "P1001", "status": "Active",
         "tasks": [{"taskId": "01", "status": "Active"},
                   {"taskId": "02", "status": "In planning"}]},
        {"projectId": "P1002", "status": "Active",
         "tasks": [{"taskId": "01"}, {"taskId": "02", "status": "Completed"}]},
        {"projectID": "P1004", "status": "Completed", "tasks": [{"taskId": "01"}]},
    ],
    "periods": [
        {"periodId": "202603", "active": True, "closedInGeneralLedger": True},
        {"periodId": "202610", "active": True, "closedInGeneralLedger": False},
        {"periodId": "202611", "active": True, "closedInGeneralLedger": False},
        {"period": "202612", "active": False, "closedInGeneralLedger": False},
    ],
}  # fmt: skip


def _catalog(api=API):
    return VismaCatalog.from_api(**api)


def _mappings():
    texts = {
        name: (DEFAULT_MAPPINGS_DIR / f"{name}.csv").read_text()
        for name in ("accounts", "cost_centers", "projects")
    }
    texts["accounts"] += (
        "5010,5010,org,old fixed salary\n1500,1500,none,receivables\n7700,7700,org,other\n"
        "7710,7710,org,euro costs\n9999,9999,org,does not exist\n"
    )
    texts["cost_centers"] += "3,199,2,199,Closed line Moss,manual\n3,999,2,999,nowhere,manual\n"
    texts["projects"] += (
        "PRJ2000,P2000,01,missing\nPRJ1004,P1004,01,closed\nPRJ1005,P1001,09,no task\n"
        "PRJ1006,P1002,02,task closed\nPRJ1007,P1001,02,task in planning\n"
    )
    return parse_mappings(segments=SETTINGS.segments, **texts)


BAD = [
    gl_line("5000", debit="1.00", dept="10", cc="360", employee="E01"),
    gl_line("5000", debit="2.00", project="PRJ1099", employee="E02"),
    gl_line("4444", debit="3.00", employee="E03"),
    gl_line("5010", debit="4.00", employee="E04"),
    gl_line("1500", debit="5.00", employee="E05"),
    gl_line("7700", debit="6.00", employee="E06"),
    gl_line("7710", debit="7.00", employee="E07"),
    gl_line("9999", debit="8.00", employee="E08"),
    gl_line("5000", debit="9.00", cc="199", employee="E09"),
    gl_line("5000", debit="10.00", cc="999", employee="E10"),
    gl_line("5000", debit="11.00", dept=None, employee="E11"),
    gl_line("5000", debit="12.00", project="PRJ2000", employee="E12"),
    gl_line("5000", debit="13.00", project="PRJ1004", employee="E13"),
    gl_line("5000", debit="14.00", project="PRJ1005", employee="E14"),
    gl_line("5000", debit="15.00", project="PRJ1006", employee="E15"),
    gl_line("2600", credit="15.00", project="PRJ1001", employee="E16"),
    gl_line("5000", debit="16.00", project="PRJ1007", employee="E17"),  # in planning: fine
    gl_line("2930", credit="121.00", employee="E18"),
]


@pytest.fixture(scope="module")
def bad_report():
    result = transform(export(BAD), _mappings(), SETTINGS)
    return validate(result.mapped, result.journals, _catalog(), "2026-10", settings=SETTINGS)


EXPECTED = [
    ("account_unmapped", "UKG account 4444",
     f"UKG account 4444 has no Visma account mapping — add it to {A}", [3]),
    ("org_level_blank", "department missing",
     "UKG lines on expense accounts have no department (orgLevel2) — set the employees' org "
     "levels in UKG and re-run the GL export", [11]),
    ("segment_unmapped", "cost centre 360",
     f"cost centre 360 from UKG has no Visma segment value — add it to {C} or run the "
     "alignment DAG", [1]),
    ("project_unmapped", "project PRJ1099",
     f"project PRJ1099 from UKG has no Visma project mapping — add it to {P} (create the project "
     "in Visma first if it is missing)", [2]),
    ("account_inactive", "Visma account 5010",
     f"Visma account 5010 is inactive — reactivate it in Visma or map UKG account 5010 to another "
     f"account in {A}", [4]),
    ("account_control", "Visma account 1500",
     "Visma account 1500 is a control account (AR) and takes no manual journal lines — map UKG "
     f"account 1500 to another account in {A}", [5]),
    ("account_no_manual_entry", "Visma account 7700",
     "Visma account 7700 does not allow manual entries — allow manual entries on it in Visma or "
     f"map UKG account 7700 to another account in {A}", [6]),
    ("account_currency", "Visma account 7710",
     "Visma account 7710 only takes EUR amounts, the journals are in NOK — map UKG account 7710 "
     f"to another account in {A}", [7]),
    ("account_missing", "Visma account 9999",
     "Visma account 9999 does not exist — create it in Visma or correct the row for UKG account "
     f"9999 in {A}", [8]),
    ("segment_value_inactive", "cost centre 199",
     "cost centre 199 is inactive in Visma (SUBACCOUNT segment 2) — reactivate it in Visma or "
     f"change the value mapped from UKG cost centre 199 in {C}", [9]),
    ("segment_value_missing", "cost centre 999",
     "cost centre 999 does not exist in Visma (SUBACCOUNT segment 2) — create it in Visma or run "
     f"the alignment DAG; it is mapped from UKG cost centre 999 in {C}", [10]),
    ("project_missing", "Visma project P2000",
     "Visma project P2000 does not exist — create it in Visma or correct the row for UKG project "
     f"PRJ2000 in {P}", [12]),
    ("project_closed", "Visma project P1004",
     "Visma project P1004 is not open (status Completed) — reopen it in Visma or map UKG project "
     f"PRJ1004 to an open project in {P}", [13]),
    ("task_missing", "task P1001/09",
     f"Visma project P1001 has no task 09 — correct the task for UKG project PRJ1005 in {P} or "
     "create the task in Visma", [14]),
    ("task_closed", "task P1002/02",
     "task 02 of Visma project P1002 is not open (status Completed) — reopen the task in Visma "
     f"or map UKG project PRJ1006 to an open task in {P}", [15]),
    ("project_ignored", "projects on balance-sheet lines",
     "UKG lines on balance-sheet accounts carry a project, which is not posted — nothing to do, "
     f"unless the account should carry projects: then set its dimensions to org in {A}", [16]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "subject", "message", "lines"), EXPECTED, ids=[e[0] for e in EXPECTED]
)
def test_each_rule_names_its_rows_and_the_fix(bad_report, rule, subject, message, lines):
    (finding,) = [f for f in bad_report.findings if f.rule == rule]
    assert finding.subject == subject
    assert finding.message == message
    assert finding.count == len(lines)
    assert finding.rows["source_key"].tolist() == [f"NMF-202610-R1/1/{n}" for n in lines]
    assert finding.rows["system_id"].tolist() == [str(n) for n in lines]
    assert finding.severity == ("warning" if rule == "project_ignored" else "error")


def test_one_finding_per_problem_and_nothing_else(bad_report):
    assert sorted(f.rule for f in bad_report.findings) == sorted(e[0] for e in EXPECTED)
    assert not bad_report.ok and len(bad_report.errors) == 15 and len(bad_report.warnings) == 1
    assert bad_report.findings[-1].rule == "project_ignored"  # errors first


def test_rows_carry_the_ukg_identity_of_the_line(bad_report):
    (finding,) = [f for f in bad_report.findings if f.rule == "segment_unmapped"]
    row = finding.rows.iloc[0].to_dict()
    assert row == {
        "source_key": "NMF-202610-R1/1/1", "run_id": "NMF-202610-R1", "ukg_account": "5000",
        "org_level1": "MOS", "org_level2": "10", "org_level3": "360", "org_level4": "",
        "project": "", "system_id": "1", "debit": "1.00", "credit": "0.00",
    }  # fmt: skip


def test_csv_and_markdown_reports(bad_report):
    lines = bad_report.to_csv().splitlines()
    assert lines[0] == (
        "severity,rule,subject,message,source_key,run_id,ukg_account,org_level1,org_level2,"
        "org_level3,org_level4,project,system_id,debit,credit"
    )
    assert len(lines) == 1 + 16
    assert any(
        ln.startswith("error,segment_unmapped,cost centre 360,") and "/1/1," in ln for ln in lines
    )
    md = bad_report.to_markdown()
    assert md.startswith("## Validation of pay period 2026-10: FAILED (15 error(s), 1 warning(s))")
    assert "### 3. cost centre 360 (segment_unmapped)" in md
    with pytest.raises(JournalValidationError) as info:
        bad_report.raise_for_errors()
    assert "pay period 2026-10 failed validation with 15 error(s); nothing was posted" in str(
        info.value
    )
    assert info.value.report is bad_report


def _clean(period="2026-10", api=API, body=None):
    result = transform(export(body or two_employees()), MAPPINGS, SETTINGS)
    return validate(result.mapped, result.journals, _catalog(api), period, settings=SETTINGS)


def test_a_clean_period_validates():
    report = _clean()
    assert report.ok and report.findings == ()
    assert report.to_markdown().startswith("## Validation of pay period 2026-10: OK")
    report.raise_for_errors()


@pytest.mark.parametrize(
    ("period", "rule", "message"),
    [
        ("2026-03", "period_closed",
         "financial period 202603 is closed in the general ledger — reopen financial period "
         "202603 in Visma (General ledger › Financial periods), or set payroll.closed_period: "
         "post_to_next_open_period in settings.yaml"),
        ("2027-01", "period_missing",
         "financial period 202701 does not exist in Visma — create the financial year in Visma "
         "before posting"),
        ("2026-12", "period_inactive",
         "financial period 202612 is not active in Visma — activate the period in Visma"),
    ],
)  # fmt: skip
def test_the_period_must_exist_and_be_open(period, rule, message):
    report = _clean(period)
    assert not report.ok
    (finding,) = [f for f in report.findings if f.rule == rule]
    assert finding.message == message and finding.count == 9 and finding.rows.empty
    assert report.to_csv().splitlines()[1].startswith(f"error,{rule},financial period ")


def test_pay_date_outside_the_period_is_a_warning():
    report = _clean("2026-11")
    assert report.ok
    (finding,) = report.findings
    assert finding.rule == "pay_date_outside_period" and finding.severity == "warning"
    assert finding.message == (
        "journal nordicmfg:NMF:NMF-202610-R1:20261019T152000Z:0 has pay date 2026-10-23, outside "
        "pay period 2026-11 — check that the run belongs to this period, or set the posting date "
        "override"
    )


def test_every_journal_must_balance():
    report = _clean(body=[gl_line("5000", debit="100.00"), gl_line("2930", credit="99.99")])
    (finding,) = report.findings
    assert finding.rule == "journal_unbalanced"
    assert finding.message == (
        "journal nordicmfg:NMF:NMF-202610-R1:20261019T152000Z:0 does not balance: debit 100.00, "
        "credit 99.99 — UKG run NMF-202610-R1 for company NMF on pay date 2026-10-23 does not "
        "balance; correct it in UKG and re-run the GL export"
    )


def test_default_values_length_and_missing_segment():
    api = copy.deepcopy(API)
    segs = api["dimension"]["segments"]
    segs[0]["segmentValues"] = [v for v in segs[0]["segmentValues"] if v["value"] != "00"]
    segs[1]["length"] = 4
    report = _clean(api=api)
    by_rule = {f.rule: f for f in report.findings}
    assert by_rule["segment_value_missing"].message == (
        "department 00 does not exist in Visma (SUBACCOUNT segment 1) — create it in Visma or run "
        "the alignment DAG; it is the default department of balance-sheet lines (settings.yaml)"
    )
    assert by_rule["segment_value_missing"].count == 5  # the five balance-sheet lines
    length = [f for f in report.findings if f.rule == "segment_value_length"]
    assert {f.subject for f in length} == {"cost centre 000", "cost centre 110", "cost centre 220"}
    assert length[0].message.startswith(
        "cost centre 000 does not fit Visma SUBACCOUNT segment 2 (length 4) — correct the value"
    )
    api["dimension"]["segments"] = segs[:1]
    (missing,) = [f for f in _clean(api=api).findings if f.rule == "segment_missing"]
    assert missing.message == (
        "Visma SUBACCOUNT has no segment 2 (Cost centre) — correct segments in "
        "include/mappings/settings.yaml"
    )
    assert missing.count == 9


def test_catalog_reads_both_field_spellings_and_the_scenario_shape():
    cat = _catalog()
    assert cat.projects["P1002"].tasks["02"].status == "Completed"
    assert cat.periods["202612"].active is False
    assert cat.accounts["1500"].control_module == "AR"
    wrapped = VismaCatalog.from_api(
        accounts=[], dimension={"SUBACCOUNT": API["dimension"]}, projects=[], periods=[]
    )
    assert set(wrapped.segments) == {1, 2} and not wrapped.segments[2].values["199"].active
    as_list = VismaCatalog.from_api(
        accounts=[], dimension=API["dimension"]["segments"], projects=[], periods=[]
    )
    assert as_list.segments[1].length == 2


def test_a_closed_period_moves_to_the_next_open_one_only_when_settings_say_so():
    moved = SETTINGS.model_copy(
        update={
            "payroll": SETTINGS.payroll.model_copy(
                update={"closed_period": "post_to_next_open_period"}
            )
        }
    )
    result = transform(export(two_employees()), MAPPINGS, moved)
    report = validate(result.mapped, result.journals, _catalog(API), "2026-03", settings=moved)
    (finding,) = [f for f in report.findings if f.rule == "period_moved"]
    assert finding.severity == "warning" and "next open period 202610" in finding.message
    assert not [f for f in report.findings if f.rule == "period_closed"]
