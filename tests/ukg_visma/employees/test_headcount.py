from __future__ import annotations

from ukg_visma.employees.headcount import headcount_diff, mismatches


def _ukg(snap, number, cc, status="A"):
    return snap(
        employeeId=f"id-{number}", employeeNumber=number, orgLevel3Code=cc, employeeStatus=status
    )


def _visma(number, dept, status="Active"):
    return {"employeeNumber": number, "department": dept, "status": status}


def test_equal_sides_match(snap):
    ukg = [
        _ukg(snap, "1", "110"),
        _ukg(snap, "2", "110", "L"),
        _ukg(snap, "3", "120"),
        _ukg(snap, "4", "120", "T"),
    ]
    visma = [
        _visma("1", "110"),
        _visma("2", "110", "OnHold"),
        _visma("3", "120"),
        _visma("4", "120", "Inactive"),
    ]
    frame = headcount_diff(ukg, visma, None)
    assert frame[["cost_centre", "ukg_active", "visma_active", "difference"]].values.tolist() == [
        ["110", 2, 2, 0],
        ["120", 1, 1, 0],
    ]
    assert frame["matches"].all()
    assert mismatches(frame).empty


def test_difference_names_the_employees_that_explain_it(snap):
    ukg = [_ukg(snap, "1", "110"), _ukg(snap, "2", "110"), _ukg(snap, "3", "120")]
    visma = [
        _visma("1", "110"),
        _visma("2", "110", "Inactive"),
        _visma("3", "130"),
        _visma("9", "120"),
    ]
    frame = headcount_diff(ukg, visma, None).set_index("cost_centre")
    assert frame.loc["110", "difference"] == 1
    assert frame.loc["110", "missing_in_visma"] == ["2"]
    assert frame.loc["130", "unexpected_in_visma"] == ["3"]
    # Equal counts, different people: still a mismatch.
    assert frame.loc["120", "difference"] == 0
    assert frame.loc["120", "missing_in_visma"] == ["3"]
    assert frame.loc["120", "unexpected_in_visma"] == ["9"]
    assert not frame.loc["120", "matches"]
    assert len(mismatches(frame.reset_index())) == 3


def test_mapping_and_unmapped_cost_centres(snap):
    ukg = [
        _ukg(snap, "1", "110"),
        _ukg(snap, "2", "360"),
        snap(employeeId="x", employeeNumber="3", orgLevel3Code=None),
    ]
    visma = [_visma("1", "A110")]
    frame = headcount_diff(ukg, visma, {"110": "A110"}).set_index("cost_centre")
    assert frame.loc["A110", "matches"]
    assert frame.loc["unmapped UKG 360", "missing_in_visma"] == ["2"]
    assert frame.loc["(none)", "ukg_active"] == 1


def test_accepts_raw_snapshot_dicts_and_empty_inputs(snap):
    assert headcount_diff([], [], None).empty
    frame = headcount_diff([snap().to_json()], [_visma("1001", "110")])
    assert frame["matches"].all()
