from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ukg_visma.employees.diff import classify
from ukg_visma.employees.models import EmployeeSnapshot
from ukg_visma.employees.visma_payload import (
    MissingEmail,
    UnmappedCostCentre,
    apply_change,
    create_body,
    department_body,
    mutator,
    needs_update,
    unmapped_changes,
)


def put(visma: dict, body: dict) -> dict:
    """What Visma does with an EmployeeUpdateDto: named fields change, the rest stays."""
    out = copy.deepcopy(visma)
    for key, value in body.items():
        if key == "contact":
            out.setdefault("contact", {}).update({k: v["value"] for k, v in value.items()})
        else:
            out[key] = value["value"]
    return out


def visma_employee(**overrides) -> dict:
    base = {
        "employeeId": 17,
        "employeeNumber": "1001",
        "employeeName": "Kari Nordmann",
        "status": "Active",
        "department": "110",
        "contact": {"firstName": "Kari", "lastName": "Nordmann", "email": "kari@example.no"},
        "timeStamp": "AAAAAAE=",
    }
    return base | overrides


def test_create_body_uses_visma_field_names(snap):
    body = create_body(
        snap(emailAddress="kari@example.no"), employee_class="EMPL", branch="1", calendar="NO"
    )
    assert body == {
        "employeeCd": {"value": "1001"},
        "status": {"value": "Active"},
        "department": {"value": "110"},
        "contact": {
            "firstName": {"value": "Kari"},
            "lastName": {"value": "Nordmann"},
            "email": {"value": "kari@example.no"},
        },
        "employeeClass": {"value": "EMPL"},
        "branch": {"value": "1"},
        "calendar": {"value": "NO"},
    }


def test_create_body_maps_the_cost_centre_and_refuses_an_unmapped_one(snap):
    with_email = snap(emailAddress="kari@example.no")
    assert create_body(with_email, cc_mapping={"110": "911"})["department"] == {"value": "911"}
    with pytest.raises(MissingEmail, match=r"employee 1001: .*contact\.email"):
        create_body(snap(), cc_mapping={"110": "911"})  # no e-mail in UKG: named, never sent
    with pytest.raises(UnmappedCostCentre, match="'360'"):
        create_body(snap(orgLevel3Code="360", emailAddress="k@x.no"), cc_mapping={"110": "110"})


def test_termination_deactivates_and_never_deletes(snap, at):
    prev = snap()
    change = classify(
        prev, snap(employeeStatus="T", terminationDate="2026-05-31", dateTimeChanged=at(1))
    )
    body = apply_change(visma_employee(), change)
    assert body == {
        "status": {"value": "Inactive"},
        "contact": {"lastName": {"value": "Nordmann"}},
    }  # contact: required
    assert "delete" not in str(body).lower()


def test_rehire_reactivates_the_same_visma_employee(snap, at):
    prev = snap(employeeStatus="T", terminationDate="2026-02-28")
    change = classify(
        prev,
        snap(
            lastHireDate="2026-06-01",
            terminationDate="2026-02-28",
            orgLevel3Code="120",
            dateTimeChanged=at(5),
        ),
    )
    body = apply_change(visma_employee(status="Inactive"), change)
    assert body == {
        "status": {"value": "Active"},
        "department": {"value": "120"},
        "contact": {"lastName": {"value": "Nordmann"}},
    }


def test_transfer_moves_department_only(snap, at):
    change = classify(snap(), snap(orgLevel3Code="230", orgLevel1Code="RAU", dateTimeChanged=at(1)))
    assert apply_change(visma_employee(), change) == {
        "department": {"value": "230"},
        "contact": {
            "lastName": {"value": "Nordmann"}
        },  # EmployeeUpdateDto requires contact: the name Visma holds
    }


def test_finance_payment_hold_is_respected_for_employed_people(snap, at):
    change = classify(snap(), snap(jobCode="X", dateTimeChanged=at(1)))
    assert apply_change(visma_employee(status="OnHold"), change) == {}


def test_noop_and_stale_changes_produce_no_body(snap, at):
    assert apply_change(visma_employee(status="Inactive"), classify(snap(), snap())) == {}
    stale = classify(snap(dateTimeChanged=at(3)), snap(employeeStatus="T", dateTimeChanged=at(1)))
    assert apply_change(visma_employee(), stale) == {}


def test_unmapped_cost_centre_is_mapping_drift_but_termination_still_applies(snap, at):
    mapping = {"110": "110", "120": "120"}
    moved = classify(snap(), snap(orgLevel3Code="360", dateTimeChanged=at(1)))
    with pytest.raises(UnmappedCostCentre):
        apply_change(visma_employee(), moved, cc_mapping=mapping)
    gone = classify(snap(), snap(employeeStatus="T", orgLevel3Code="360", dateTimeChanged=at(1)))
    assert apply_change(visma_employee(), gone, cc_mapping=mapping) == {
        "status": {"value": "Inactive"},
        "contact": {"lastName": {"value": "Nordmann"}},
    }
    assert unmapped_changes([moved, gone], mapping) == [moved]


def test_concurrent_writer_keeps_its_field(snap, at):
    """A 412 re-read brings another writer's change; re-applying ours must not undo it.

    (Names, status and department are UKG-owned and always follow UKG; other fields are not ours.)
    """
    change = classify(snap(), snap(employeeStatus="T", dateTimeChanged=at(1)))
    mutate = mutator(change)
    first_read = visma_employee()
    _ = mutate(first_read)  # PUT refused with 412: someone else wrote in between
    someone_else = put(
        first_read,
        {"contact": {"email": {"value": "kari.n@example.no"}}, "employeeClass": {"value": "MGR"}},
    )
    final = put(someone_else, mutate(someone_else))
    assert final["status"] == "Inactive"
    assert final["contact"]["email"] == "kari.n@example.no"
    assert final["employeeClass"] == "MGR"


def test_department_body_carries_the_subaccount_values():
    assert department_body("110", "10", "Production Moss") == {
        "departmentId": "110",
        "description": {"value": "Production Moss"},
        "expenseSubaccount": [
            {"segmentId": 1, "segmentValue": "10"},
            {"segmentId": 2, "segmentValue": "110"},
        ],
    }


codes = st.sampled_from(["110", "120", "210", "350"])
statuses = st.sampled_from(["A", "L", "T"])
names = st.sampled_from(["Kari", "Ola", "Åse", None])
visma_status = st.sampled_from(["Active", "Inactive", "OnHold", "HoldPayments", None])


@given(
    prev_status=statuses,
    cur_status=statuses,
    prev_cc=codes,
    cur_cc=codes,
    first=names,
    last=names,
    v_status=visma_status,
    v_dept=st.sampled_from(["110", "999", None]),
    v_last=names,
)
def test_apply_change_is_idempotent(
    prev_status, cur_status, prev_cc, cur_cc, first, last, v_status, v_dept, v_last
):
    base = {
        "employeeId": "E",
        "employeeNumber": "1",
        "dateTimeChanged": "2026-05-01T08:00:00Z",
    }
    prev = EmployeeSnapshot.model_validate(
        base | {"employeeStatus": prev_status, "orgLevel3Code": prev_cc}
    )
    cur = EmployeeSnapshot.model_validate(
        base
        | {
            "employeeStatus": cur_status,
            "orgLevel3Code": cur_cc,
            "firstName": first,
            "lastName": last,
            "dateTimeChanged": "2026-05-01T09:00:00Z",
        }
    )
    change = classify(prev, cur)
    visma = {
        "employeeNumber": "1",
        "status": v_status,
        "department": v_dept,
        "contact": {"lastName": v_last},
    }
    body = apply_change(visma, change)
    after = put(visma, body)
    assert apply_change(after, change) == {}
    assert not needs_update(after, change)
    if change.applies:
        if cur_status == "T":
            assert after["status"] == "Inactive"
        else:
            assert after["status"] in {"Active", "OnHold", "HoldPayments"}
            assert after["department"] == cur_cc
