"""Idempotence: planning against the result of applying a plan yields nothing to write.

The in-memory apply refuses what Visma and UKG refuse (inserting an existing value, updating a
missing one, a value longer than its segment), so these tests also prove every planned write is
one the APIs accept.
"""

from __future__ import annotations

import copy

import pytest
from alignment_data import forty_cost_centres, segment_value, ukg_item, ukg_levels, visma_body
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ukg_visma.alignment import PlanApplyError, apply_plan, plan_alignment
from ukg_visma.alignment.models import AlignmentPlan, SegmentPlan, VismaChange


def test_forty_cost_centres_into_a_fresh_visma_then_nothing(make_settings) -> None:
    settings = make_settings()
    ukg, visma = ukg_levels(forty_cost_centres()), visma_body()
    plan = plan_alignment(ukg, visma, settings, batch_size=7)
    ukg_after, visma_after = apply_plan(plan, ukg, visma)

    assert ukg_after == ukg, "flag off: UKG is not written"
    cost_centres = {v["value"] for v in visma_after["segments"][1]["segmentValues"]}
    assert cost_centres == {"000", *forty_cost_centres()}
    again = plan_alignment(ukg_after, visma_after, settings, batch_size=7)
    assert again.is_empty and again.unchanged == 45
    assert visma["segments"][1]["segmentValues"] == [segment_value("000", "None")], "input intact"


@pytest.mark.parametrize(
    ("write_to_ukg", "winner"),
    [(False, "none"), (True, "none"), (False, "ukg"), (True, "visma"), (False, "visma")],
)
def test_conflicts_settle_once_and_stay_settled(make_settings, write_to_ukg, winner) -> None:
    settings = make_settings(write_to_ukg=write_to_ukg, winner=winner)
    ukg = [*ukg_levels({"110": "Production Moss"}, {}), ukg_item(3, "120", "Maint. Moss")]
    visma = visma_body(
        cost_centres=[
            segment_value("110", "Production Moss", False),
            segment_value("120", "Maintenance Moss"),
            segment_value("130", "Logistics Moss"),
        ]
    )
    plan = plan_alignment(ukg, visma, settings)
    ukg_after, visma_after = apply_plan(plan, ukg, visma)
    again = plan_alignment(ukg_after, visma_after, settings)

    assert not again.has_writes
    settled = winner == "ukg" or (winner == "visma" and write_to_ukg)
    assert bool(again.conflicts) is not settled
    assert again.for_hr == plan.for_hr


def test_apply_refuses_what_visma_would_refuse() -> None:
    change = VismaChange(
        operation="Insert", segment_id=2, value="110", description="x", active=True
    )
    plan = AlignmentPlan(
        write_cost_centers_to_ukg=False,
        conflict_winner="none",
        segments=(
            SegmentPlan(
                segment_id=2,
                segment_name="Cost centre",
                ukg_level=3,
                length=3,
                default="000",
                visma_changes=(change,),
            ),
        ),
    )
    existing = visma_body(cost_centres=[segment_value("110", "Production Moss")])
    with pytest.raises(PlanApplyError, match="already exists"):
        apply_plan(plan, [], existing)
    update = plan.model_copy(
        update={
            "segments": (
                plan.segments[0].model_copy(
                    update={"visma_changes": (change.model_copy(update={"operation": "Update"}),)}
                ),
            )
        }
    )
    with pytest.raises(PlanApplyError, match="does not exist"):
        apply_plan(update, [], visma_body())


# ---- property ---------------------------------------------------------------------------------
# UKG may send codes of any length; Visma holds only values of its segment's length.
UKG_CODES = {
    2: ["00", "10", "11", "12", "13", "1", "100"],
    3: ["000", "110", "111", "113", "1100", "11"],
}
VISMA_CODES = [["00", "10", "11", "12", "13"], ["000", "110", "111", "112", "113", "114"]]
descriptions = st.one_of(
    st.sampled_from(["", "  ", "Production Moss", "Production  Moss ", "x" * 75]),
    st.text(alphabet="abcdeøåæ ABC-", max_size=70),
)
org_values = st.tuples(descriptions, st.booleans())


@st.composite
def sides(draw: st.DrawFn) -> tuple[list[dict], dict, dict]:
    ukg: list[dict] = []
    for level, pool in UKG_CODES.items():
        for code in draw(st.lists(st.sampled_from(pool), max_size=len(pool) + 2)):
            description, active = draw(org_values)
            ukg.append(ukg_item(level, code, description, active))
    segments = []
    for pool in VISMA_CODES:
        codes = draw(st.lists(st.sampled_from(pool), unique=True, max_size=len(pool)))
        segments.append([segment_value(code, *draw(org_values)) for code in codes])
    visma = visma_body(*segments, with_defaults=False)
    mapping = draw(
        st.dictionaries(
            st.sampled_from([(3, "1100"), (3, "11"), (3, "110"), (2, "1"), (2, "100")]),
            st.sampled_from(["000", "110", "113", "00", "10"]),
            max_size=3,
        )
    )
    # a row's value has the length of its segment (ukg_visma.mappings enforces it)
    mapping = {k: v for k, v in mapping.items() if len(v) == (2 if k[0] == 2 else 3)}
    return ukg, visma, mapping


@hsettings(suppress_health_check=[HealthCheck.too_slow])  # size: the profile (conftest)
@given(
    data=sides(),
    write_to_ukg=st.booleans(),
    winner=st.sampled_from(["none", "ukg", "visma"]),
    batch_size=st.integers(1, 5),
)
def test_property_apply_then_replan_writes_nothing(
    base_settings, data, write_to_ukg, winner, batch_size
) -> None:
    from ukg_visma.settings import AlignmentSettings

    settings = base_settings.model_copy(
        update={
            "alignment": AlignmentSettings(
                write_cost_centers_to_ukg=write_to_ukg, conflict_winner=winner
            )
        }
    )
    ukg, visma, mapping = data
    before = copy.deepcopy((ukg, visma))
    plan = plan_alignment(ukg, visma, settings, mapping, batch_size=batch_size)
    assert plan == plan_alignment(ukg, visma, settings, mapping, batch_size=batch_size)
    assert all(len(b.body["segmentValues"]) <= batch_size for b in plan.visma_batches())

    ukg_after, visma_after = apply_plan(plan, ukg, visma)
    assert (ukg, visma) == before, "planning and simulating never mutate their inputs"
    if not write_to_ukg:
        assert ukg_after == ukg
    again = plan_alignment(ukg_after, visma_after, settings, mapping, batch_size=batch_size)

    assert not again.has_writes
    assert again.issues == plan.issues
    assert again.for_hr == plan.for_hr
    assert {(c.ukg_level, c.ukg_code) for c in again.mapped} == {
        (c.ukg_level, c.ukg_code) for c in plan.mapped
    }
    unsettled = {
        (c.segment_id, c.code) for c in plan.conflicts if c.resolution in {"unresolved", "for_hr"}
    }
    assert {(c.segment_id, c.code) for c in again.conflicts} == unsettled
    if write_to_ukg and winner != "none":
        assert not again.conflicts and not again.for_hr


def test_plan_survives_the_trip_through_xcom_json(make_settings) -> None:
    """The plan task hands the plan to the apply task as JSON; nothing may change on the way."""
    import json

    ukg = [*ukg_levels(forty_cost_centres()), ukg_item(3, "1100", "Too long")]
    visma = visma_body(cost_centres=[segment_value("110", "Old name"), segment_value("990", "X")])
    plan = plan_alignment(ukg, visma, make_settings(winner="visma"))
    wire = json.loads(json.dumps(plan.model_dump(mode="json")))
    assert AlignmentPlan.model_validate(wire) == plan
    assert plan.conflicts and plan.issues and plan.for_hr and plan.visma_changes
