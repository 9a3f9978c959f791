from __future__ import annotations

import pytest

from ukg_visma.employees.diff import ChangeKind, classify, merge_changes


def test_first_sight_active_is_a_hire(snap):
    c = classify(None, snap())
    assert c.kind is ChangeKind.HIRE
    assert c.visma_action == "upsert"


def test_first_sight_on_leave_is_a_hire(snap):
    c = classify(None, snap(employeeStatus="L"))
    assert c.kind is ChangeKind.HIRE
    assert "leave" in c.reason


def test_first_sight_of_an_already_terminated_employee_creates_nothing(snap):
    c = classify(None, snap(employeeStatus="T", terminationDate="2025-12-31", isActive=False))
    assert c.kind is ChangeKind.TERMINATION
    assert c.visma_action == "deactivate_if_exists"
    assert c.applies


def test_termination(snap, at):
    prev = snap()
    cur = snap(
        employeeStatus="T", terminationDate="2026-05-31", isActive=False, dateTimeChanged=at(1)
    )
    c = classify(prev, cur)
    assert c.kind is ChangeKind.TERMINATION
    assert c.visma_action == "upsert"
    assert {"employeeStatus", "terminationDate", "isActive"} <= set(c.changed_fields)


def test_rehire_after_termination(snap, at):
    prev = snap(employeeStatus="T", terminationDate="2026-02-28", isActive=False)
    cur = snap(
        employeeStatus="A",
        lastHireDate="2026-06-01",
        terminationDate="2026-02-28",  # UKG keeps the last termination date
        dateTimeChanged=at(24),
    )
    c = classify(prev, cur)
    assert c.kind is ChangeKind.REHIRE
    assert c.visma_action == "upsert"
    assert "2026-06-01" in c.reason and "2026-02-28" in c.reason


def test_reversed_termination_is_a_rehire_with_its_own_reason(snap, at):
    prev = snap(employeeStatus="T", terminationDate="2026-05-31", isActive=False)
    cur = snap(dateTimeChanged=at(2), terminationDate=None)
    c = classify(prev, cur)
    assert c.kind is ChangeKind.REHIRE
    assert "reversed" in c.reason


def test_termination_missed_between_polls_is_seen_as_rehire(snap, at):
    prev = snap(lastHireDate="2020-03-01")
    cur = snap(lastHireDate="2026-06-01", terminationDate="2026-04-30", dateTimeChanged=at(9))
    c = classify(prev, cur)
    assert c.kind is ChangeKind.REHIRE
    assert "missed" in c.reason


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("orgLevel3Code", "120"),
        ("orgLevel2Code", "20"),
        ("orgLevel1Code", "RAU"),
        ("orgLevel4Code", "X1"),
        ("jobCode", "TECH2"),
    ],
)
def test_transfer(snap, at, field, value):
    c = classify(snap(), snap(**{field: value, "dateTimeChanged": at(1)}))
    assert c.kind is ChangeKind.TRANSFER
    assert field in c.changed_fields
    assert field in c.reason


def test_leave_and_return(snap, at):
    active, leave = snap(), snap(employeeStatus="L", dateTimeChanged=at(1))
    assert classify(active, leave).kind is ChangeKind.LEAVE
    back = snap(dateTimeChanged=at(2))
    assert classify(leave, back).kind is ChangeKind.RETURN_FROM_LEAVE


@pytest.mark.parametrize(
    ("field", "value"),
    [("lastName", "Hansen"), ("projectCode", "PRJ1001"), ("workLocation", "Oslo")],
)
def test_other_fields_are_an_update(snap, at, field, value):
    c = classify(snap(), snap(**{field: value, "dateTimeChanged": at(1)}))
    assert c.kind is ChangeKind.UPDATE
    assert c.changed_fields == (field,)


def test_terminated_employee_with_corrected_termination_date_stays_inactive(snap, at):
    prev = snap(employeeStatus="T", terminationDate="2026-05-31", isActive=False)
    cur = snap(
        employeeStatus="T", terminationDate="2026-05-15", isActive=False, dateTimeChanged=at(1)
    )
    c = classify(prev, cur)
    assert c.kind is ChangeKind.UPDATE
    assert c.visma_action == "deactivate_if_exists"


def test_identical_snapshot_is_a_noop(snap):
    c = classify(snap(), snap())
    assert c.kind is ChangeKind.NOOP
    assert not c.applies
    assert c.visma_action == "none"


def test_newer_stamp_without_a_used_change_is_a_noop(snap, at):
    c = classify(snap(), snap(dateTimeChanged=at(1), unrelatedNewField="x"))
    assert c.kind is ChangeKind.NOOP
    assert c.reason == "no field the sync uses changed"


def test_out_of_order_snapshot_is_stale_and_ignored(snap, at):
    """The feed has no change stamp: order is when the sync *read* a snapshot (``seenAt``). A
    snapshot read before the known state (a pending one from an earlier run) is stale."""
    known = snap(employeeStatus="T", terminationDate="2026-05-31", seenAt=at(5))
    late = snap(seenAt=at(1))  # an "active" snapshot read before the known termination
    c = classify(known, late)
    assert c.kind is ChangeKind.STALE
    assert not c.applies
    assert "before the known state" in c.reason


def test_classify_refuses_two_different_employees(snap):
    with pytest.raises(ValueError, match="same employee"):
        classify(snap(), snap(employeeId="other"))


def test_merge_keeps_newest_and_records_the_superseded(snap, at):
    hire = snap(employeeId="N1", employeeNumber="2001", dateTimeChanged=at(1))
    moved = snap(employeeId="N1", employeeNumber="2001", orgLevel3Code="120", dateTimeChanged=at(3))
    named = snap(
        employeeId="N1",
        employeeNumber="2001",
        orgLevel3Code="120",
        lastName="Berg",
        dateTimeChanged=at(2),
    )
    other_prev = snap(employeeId="K1")
    other_now = snap(
        employeeId="K1", employeeStatus="T", terminationDate="2026-05-31", dateTimeChanged=at(4)
    )
    changes = merge_changes([moved, other_now, hire, named], {"K1": other_prev})
    assert [c.employee_id for c in changes] == ["K1", "N1"]
    k1, n1 = changes
    assert k1.kind is ChangeKind.TERMINATION and k1.superseded == ()
    assert n1.kind is ChangeKind.HIRE
    assert n1.current == moved
    assert n1.superseded == (hire, named)
    assert n1.audit_detail()["superseded"] == [
        hire.dateTimeChanged.isoformat(),
        named.dateTimeChanged.isoformat(),
    ]


def test_merge_is_independent_of_arrival_order(snap, at):
    snaps = [
        snap(orgLevel3Code=cc, dateTimeChanged=at(h))
        for h, cc in [(1, "120"), (2, "130"), (3, "140")]
    ]
    known = {"5f3a-0001": snap()}
    results = {
        merge_changes(order, known)[0].current.orgLevel3Code
        for order in (snaps, snaps[::-1], [snaps[1], snaps[2], snaps[0]])
    }
    assert results == {"140"}


def test_merge_ties_go_to_the_later_input(snap, at):
    a = snap(orgLevel3Code="120", dateTimeChanged=at(1))
    b = snap(orgLevel3Code="130", dateTimeChanged=at(1))
    assert merge_changes([a, b], {})[0].current.orgLevel3Code == "130"
    assert merge_changes([b, a], {})[0].current.orgLevel3Code == "120"


def test_merge_of_a_window_entirely_older_than_known_is_stale(snap, at):
    known = {"5f3a-0001": snap(dateTimeChanged=at(10))}
    changes = merge_changes(
        [snap(jobCode="X", dateTimeChanged=at(1)), snap(jobCode="Y", dateTimeChanged=at(2))], known
    )
    assert changes[0].kind is ChangeKind.STALE
    assert changes[0].current.jobCode == "Y"
