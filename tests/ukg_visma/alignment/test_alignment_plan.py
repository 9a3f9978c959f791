"""Planning rules of the cost-centre alignment (issue #8), on API-shaped bodies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alignment_data import (
    DEPARTMENTS,
    forty_cost_centres,
    segment_value,
    ukg_item,
    ukg_levels,
    visma_body,
)

from ukg_visma.alignment import AlignmentInputError, plan_alignment
from ukg_visma.mappings import load_mappings


def both_sides_agree(cost_centres: dict[str, str]) -> dict:
    return visma_body(
        [segment_value(c, d) for c, d in DEPARTMENTS.items()],
        [segment_value(c, d) for c, d in cost_centres.items()],
    )


def test_fresh_visma_gets_every_ukg_value_in_batched_insert_bodies(make_settings) -> None:
    centres = forty_cost_centres()
    plan = plan_alignment(ukg_levels(centres), visma_body(), make_settings(), batch_size=15)

    counts = plan.counts()
    assert counts["visma_inserts"] == 45 and counts["visma_updates"] == 0
    assert not plan.ukg_changes and not plan.for_hr and not plan.conflicts and not plan.issues
    batches = plan.visma_batches()
    assert [(b.segment_id, len(b.body["segmentValues"])) for b in batches] == [
        (1, 5),
        (2, 15),
        (2, 15),
        (2, 10),
    ]
    first = batches[1].body["segmentValues"][0]
    assert first == {
        "operation": "Insert",
        "value": "110",
        "description": {"value": centres["110"]},
        "active": {"value": True},
    }
    inserted = {
        item["value"] for b in batches if b.segment_id == 2 for item in b.body["segmentValues"]
    }
    assert inserted == set(centres), "every cost centre once, and never the default 000"
    assert {(m.ukg_level, m.ukg_code) for m in plan.mapped} == {
        *((2, c) for c in DEPARTMENTS),
        *((3, c) for c in centres),
    }
    assert all(m.segment_value == m.ukg_code for m in plan.mapped)


def test_org_level_one_is_not_aligned_and_defaults_are_never_copied(make_settings) -> None:
    plan = plan_alignment(
        ukg_levels({"110": "Production Moss"}),
        both_sides_agree({"110": "Production Moss"}),
        make_settings(write_to_ukg=True),
    )
    assert plan.is_empty and plan.unchanged == 6
    assert not any(c.code in {"MOS", "RAU", "00", "000"} for c in plan.ukg_changes)


@pytest.mark.parametrize("write_to_ukg", [False, True], ids=["flag-off", "flag-on"])
def test_visma_only_value_goes_to_ukg_only_with_the_flag(make_settings, write_to_ukg) -> None:
    visma = both_sides_agree({"110": "Production Moss", "120": "Maintenance Moss"})
    plan = plan_alignment(
        ukg_levels({"110": "Production Moss"}), visma, make_settings(write_to_ukg=write_to_ukg)
    )
    if write_to_ukg:
        assert [c.body() for c in plan.ukg_changes] == [
            {
                "level": 3,
                "code": "120",
                "description": "Maintenance Moss",
                "glSegment": "120",
                "isActive": True,
            }
        ]
        assert not plan.for_hr and plan.has_writes
        assert (3, "120") in {(m.ukg_level, m.ukg_code) for m in plan.mapped}
    else:
        assert plan.ukg_changes == [] and not plan.has_writes
        assert [(c.operation, c.level, c.code) for c in plan.for_hr] == [("Insert", 3, "120")]
        assert (3, "120") not in {(m.ukg_level, m.ukg_code) for m in plan.mapped}


def conflicting_sides() -> tuple[list[dict], dict]:
    ukg = ukg_levels({"110": "Production Moss", "120": "Maintenance Moss"})
    visma = visma_body(
        [segment_value(c, d) for c, d in DEPARTMENTS.items()],
        [segment_value("110", "Prod. Moss (old)"), segment_value("120", "Maintenance Moss", False)],
    )
    return ukg, visma


def test_conflicts_are_reported_and_never_overwritten_without_a_winner(make_settings) -> None:
    ukg, visma = conflicting_sides()
    plan = plan_alignment(ukg, visma, make_settings(write_to_ukg=True, winner="none"))

    assert not plan.has_writes, "a conflict without a winner must not write to either side"
    by_code = {c.code: c for c in plan.conflicts}
    assert by_code["110"].fields == ("description",) and by_code["120"].fields == ("active",)
    assert {c.resolution for c in plan.conflicts} == {"unresolved"}
    assert "UKG 'Production Moss' vs Visma 'Prod. Moss (old)'" in by_code["110"].message
    assert {"110", "120"} <= {m.ukg_code for m in plan.mapped}, "the value exists: it can post"


def test_ukg_wins_updates_visma(make_settings) -> None:
    ukg, visma = conflicting_sides()
    plan = plan_alignment(ukg, visma, make_settings(winner="ukg"))
    assert [c.put_item() for c in plan.visma_changes] == [
        {
            "operation": "Update",
            "value": "110",
            "description": {"value": "Production Moss"},
            "active": {"value": True},
        },
        {
            "operation": "Update",
            "value": "120",
            "description": {"value": "Maintenance Moss"},
            "active": {"value": True},
        },
    ]
    assert not plan.ukg_changes and {c.resolution for c in plan.conflicts} == {"update_visma"}


@pytest.mark.parametrize("write_to_ukg", [False, True], ids=["flag-off", "flag-on"])
def test_visma_wins_updates_ukg_only_with_the_flag(make_settings, write_to_ukg) -> None:
    ukg, visma = conflicting_sides()
    plan = plan_alignment(ukg, visma, make_settings(write_to_ukg=write_to_ukg, winner="visma"))
    assert not plan.visma_changes
    changes = plan.ukg_changes if write_to_ukg else plan.for_hr
    assert [(c.operation, c.code, c.description, c.active) for c in changes] == [
        ("Update", "110", "Prod. Moss (old)", True),
        ("Update", "120", "Maintenance Moss", False),
    ]
    expected = "update_ukg" if write_to_ukg else "for_hr"
    assert {c.resolution for c in plan.conflicts} == {expected}
    assert plan.has_writes is write_to_ukg


@pytest.mark.parametrize("code", ["1100", "11"], ids=["too-long", "too-short"])
def test_code_of_the_wrong_length_is_an_issue_not_a_write(make_settings, code) -> None:
    plan = plan_alignment(ukg_levels({code: "Odd code"}), visma_body(), make_settings())
    assert [(i.kind, i.code) for i in plan.issues] == [("code_length", code)]
    assert "holds exactly 3" in plan.issues[0].message
    assert "cost_centers.csv" in plan.issues[0].fix
    assert code not in {c.value for c in plan.visma_changes}
    assert code not in {m.ukg_code for m in plan.mapped}


def test_hand_made_row_covers_a_long_code(make_settings) -> None:
    mapping = {(3, "1100"): "110"}
    visma = both_sides_agree({"110": "Production Moss"})
    plan = plan_alignment(
        ukg_levels({"1100": "Production Moss (new)"}), visma, make_settings(), mapping
    )
    assert plan.is_empty, "mapped to an existing value: no issue, no write, no UKG create"


def test_hand_made_row_to_a_missing_or_inactive_value_is_an_issue(make_settings) -> None:
    visma = visma_body(cost_centres=[segment_value("199", "Closed line Moss", False)])
    mapping = {(3, "110"): "777", (3, "120"): "199"}
    plan = plan_alignment(
        ukg_levels({"110": "Production Moss", "120": "Maintenance Moss"}, {}),
        visma,
        make_settings(write_to_ukg=True),
        mapping,
    )
    assert [(i.kind, i.code) for i in plan.issues] == [
        ("mapped_value_missing", "110"),
        ("mapped_value_inactive", "120"),
    ]
    assert not plan.has_writes, "777 is not invented in Visma; 199 is not copied to UKG"


def test_inactive_values_present_on_one_side_only_are_skipped(make_settings) -> None:
    ukg = [*ukg_levels({}), ukg_item(3, "130", "Logistics Moss", active=False)]
    visma = both_sides_agree({"199": "Closed line Moss"})
    visma["segments"][1]["segmentValues"][-1]["active"] = False
    plan = plan_alignment(ukg, visma, make_settings(write_to_ukg=True))
    assert {(s.side, s.code) for s in plan.skipped} == {("ukg", "130"), ("visma", "199")}
    assert not plan.has_writes


def test_duplicate_ukg_codes(make_settings) -> None:
    same = ukg_item(3, "110", "Production Moss")
    other = ukg_item(3, "120", "Maintenance Moss")
    changed = ukg_item(3, "120", "Maintenance Moss NEW")
    plan = plan_alignment([same, same, other, changed], visma_body(), make_settings())
    assert [c.value for c in plan.visma_changes] == ["110"], "identical duplicates collapse"
    assert [(i.kind, i.code) for i in plan.issues] == [("duplicate_code", "120")]


def test_level_spelled_as_org_level_text(make_settings) -> None:
    items = [{**ukg_item(3, "110", "Production Moss"), "level": "orgLevel3"}]
    plan = plan_alignment(items, visma_body(), make_settings())
    assert [c.value for c in plan.visma_changes] == ["110"]


@pytest.mark.parametrize("level", [3.0, Decimal("3.0"), Decimal("3"), "3.0"], ids=repr)
def test_level_as_a_json_number_with_a_fraction(make_settings, level) -> None:
    """UKG publishes ``level`` as a number; the hooks read ``3.0`` as ``Decimal("3.0")``."""
    items = [{**ukg_item(3, "110", "Production Moss"), "level": level}]
    plan = plan_alignment(items, visma_body(), make_settings())
    assert [c.value for c in plan.visma_changes] == ["110"]
    with pytest.raises(AlignmentInputError, match="not a level number"):
        plan_alignment([{**items[0], "level": 3.5}], visma_body(), make_settings())


def test_long_descriptions_compare_as_visma_stores_them(make_settings) -> None:
    name = "Production and assembly line number one, Moss plant, north hall"
    assert len(name) > 60
    visma = visma_body(cost_centres=[segment_value("110", name[:60])])
    plan = plan_alignment(ukg_levels({"110": name}, {}), visma, make_settings())
    assert plan.is_empty


def test_inputs_that_cannot_be_planned(make_settings) -> None:
    body = visma_body()
    del body["segments"][1]
    with pytest.raises(AlignmentInputError, match=r"no segment 2 \(Cost centre\)"):
        plan_alignment(ukg_levels({}), body, make_settings())
    body = visma_body()
    body["segments"][1]["length"] = 4
    with pytest.raises(AlignmentInputError, match="4 characters long"):
        plan_alignment(ukg_levels({}), body, make_settings())
    with pytest.raises(AlignmentInputError, match="not a level number"):
        plan_alignment(
            [{**ukg_item(3, "110", "x"), "level": "plant"}], visma_body(), make_settings()
        )


def test_the_scenario_customer_with_the_repository_mapping(make_settings) -> None:
    """contracts.md §1: 360 exists in UKG only, 199 is inactive in Visma only."""
    centres = {
        f"{plant}{dept}0": f"{name} {plant}"
        for plant in "123"
        for dept, name in zip("12345", DEPARTMENTS.values(), strict=True)
    }
    mappings = load_mappings()
    ukg = ukg_levels({**centres, "360": "Commissioning Mo i Rana"})
    visma = both_sides_agree({**centres, "199": "Closed line Moss"})
    visma["segments"][1]["segmentValues"][-1]["active"] = False
    plan = plan_alignment(ukg, visma, make_settings(), mappings)
    assert [(c.operation, c.value) for c in plan.visma_changes] == [("Insert", "360")]
    assert [(s.side, s.code) for s in plan.skipped] == [("visma", "199")]
    assert plan.unchanged == 20 and not plan.for_hr and not plan.issues


def test_visma_value_whose_code_a_row_sends_elsewhere_is_not_created_in_ukg(make_settings) -> None:
    visma = both_sides_agree({"110": "Production Moss"})
    plan = plan_alignment(
        ukg_levels({}), visma, make_settings(write_to_ukg=True), {(3, "110"): "120"}
    )
    assert [(i.kind, i.code) for i in plan.issues] == [("code_reserved", "110")]
    assert not plan.ukg_changes and "would post to 120" in plan.issues[0].message
