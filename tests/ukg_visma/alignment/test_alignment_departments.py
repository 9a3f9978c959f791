"""Which Visma departments alignment creates (one per cost centre), on API-shaped bodies."""

from __future__ import annotations

from alignment_data import DEPARTMENTS, segment_value, ukg_item, ukg_levels, visma_body

from ukg_visma.alignment import apply_plan, plan_alignment
from ukg_visma.alignment.departments import department_segments, plan_departments

CENTRES = {"110": "Production Moss", "120": "Maintenance Moss", "130": "Logistics Moss"}


def _employee(number: str, dept: str, centre: str, status: str = "A") -> dict:
    return {
        "employeeNumber": number,
        "employeeStatus": status,
        "orgLevel2Code": dept,
        "orgLevel3Code": centre,
    }


def _plan(settings, ukg, visma, departments=(), employees=(), mapping=None):
    plan = plan_alignment(ukg, visma, settings, mapping)
    ukg_after, visma_after = apply_plan(plan, ukg, visma)
    return plan_departments(
        plan, ukg_after, visma_after, list(departments), list(employees), settings, mapping
    )


def test_segments_are_the_finest_level_and_the_one_above(make_settings) -> None:
    cost_centre, department = department_segments(make_settings())
    assert (cost_centre.ukg_level, cost_centre.segment_id) == (3, 2)
    assert (department.ukg_level, department.segment_id) == (2, 1)


def test_department_comes_from_where_the_active_employees_sit(make_settings) -> None:
    employees = [
        _employee("1", "10", "110"),
        _employee("2", "10", "110"),
        _employee("3", "20", "110"),
        _employee("4", "30", "110", status="T"),  # leavers do not count
        _employee("5", "30", "120", status="T"),
        _employee("6", "30", "130"),
        _employee("7", "20", "130"),  # a tie: the lower code wins, whatever the row order
    ]
    result = _plan(make_settings(), ukg_levels(CENTRES), visma_body(), employees=employees)
    by_id = {c.department_id: c for c in result.creates}
    assert set(by_id) == set(CENTRES)
    assert (by_id["110"].department_value, by_id["110"].department_guessed) == ("10", False)
    assert (by_id["120"].department_value, by_id["120"].department_guessed) == ("00", True)
    assert by_id["130"].department_value == "20"
    assert by_id["110"].body() == {
        "departmentId": "110",
        "description": {"value": "Production Moss"},
        "expenseSubaccount": [
            {"segmentId": 1, "segmentValue": "10"},
            {"segmentId": 2, "segmentValue": "110"},
        ],
    }
    assert [c.department_id for c in result.guessed] == ["120"]


def test_existing_departments_are_kept_and_a_different_subaccount_is_reported(
    make_settings,
) -> None:
    existing = [
        {
            "departmentId": "110",
            "expenseSubaccount": [
                {"segmentId": 1, "segmentValue": "10"},
                {"segmentId": 2, "segmentValue": "110"},
            ],
        },
        {
            "departmentId": "120",
            "expenseSubaccount": [
                {"segmentId": 1, "segmentValue": "20"},
                {"segmentId": 2, "segmentValue": "130"},  # another cost centre's value
            ],
        },
    ]
    employees = [_employee("1", "10", "110"), _employee("2", "20", "120")]
    result = _plan(
        make_settings(), ukg_levels(CENTRES), visma_body(), existing, employees=employees
    )
    assert [c.department_id for c in result.creates] == ["130"]
    assert result.existing == ("110", "120")
    (mismatch,) = result.mismatches
    assert mismatch.department_id == "120" and "segment 2 130, not segment 2 120" in (
        mismatch.message
    )


def test_no_department_for_values_that_cannot_post(make_settings) -> None:
    ukg = [*ukg_levels(CENTRES), ukg_item(3, "140", "Quality Moss", active=False)]
    visma = visma_body(
        [segment_value(c, d) for c, d in DEPARTMENTS.items()],
        [segment_value("130", "Logistics Moss", active=False)],  # a conflict, left inactive
    )
    result = _plan(make_settings(), ukg, visma)
    assert [c.department_id for c in result.creates] == ["110", "120"]


def test_a_hand_made_row_sends_the_department_to_its_visma_value(make_settings) -> None:
    mapping = {(3, "110"): "120"}  # finance posts UKG 110 on Visma 120
    visma = visma_body(
        [segment_value(c, d) for c, d in DEPARTMENTS.items()],
        [segment_value("120", "Maintenance Moss")],
    )
    ukg = ukg_levels({"110": "Production Moss", "120": "Maintenance Moss"})
    result = _plan(make_settings(), ukg, visma, mapping=mapping)
    assert [c.department_id for c in result.creates] == ["120"]
