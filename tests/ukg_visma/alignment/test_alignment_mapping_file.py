"""The generated mapping file: complete after alignment, manual rows untouched and winning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alignment_data import DEPARTMENTS, segment_value, ukg_levels, visma_body

from ukg_visma.alignment import apply_plan, merge_generated_rows, plan_alignment
from ukg_visma.alignment import write_generated_file as write_file
from ukg_visma.alignment.mapping_file import GENERATED_HEADER
from ukg_visma.mappings import GENERATED_COST_CENTERS, load_mappings
from ukg_visma.settings import mappings_dir

SCENARIO_CENTRES = {
    f"{plant}{n}0": f"{name} {plant}"
    for plant in "123"
    for n, name in zip("12345", DEPARTMENTS.values(), strict=True)
}


@pytest.fixture
def mapping_folder(tmp_path: Path) -> Path:
    """A copy of the repository's reviewed mapping files (without any generated file)."""
    for name in ("settings.yaml", "accounts.csv", "cost_centers.csv", "projects.csv"):
        shutil.copy(mappings_dir() / name, tmp_path / name)
    return tmp_path


def align(folder: Path, ukg: list[dict], visma: dict, settings) -> tuple:
    """What the DAG does: plan, apply, re-plan against the result, merge, write."""
    mappings = load_mappings(folder, settings)
    plan = plan_alignment(ukg, visma, settings, mappings)
    ukg_after, visma_after = apply_plan(plan, ukg, visma)
    after = plan_alignment(ukg_after, visma_after, settings, mappings)
    merge = merge_generated_rows(after, mappings)
    return merge, write_file(merge, folder), ukg_after, visma_after


def test_new_code_is_generated_and_manual_rows_stay_byte_identical(
    mapping_folder: Path, make_settings
) -> None:
    settings = make_settings()
    manual_bytes = (mapping_folder / "cost_centers.csv").read_bytes()
    ukg = ukg_levels({**SCENARIO_CENTRES, "360": "Commissioning Mo i Rana"})
    visma = visma_body(
        [segment_value(c, d) for c, d in DEPARTMENTS.items()],
        [segment_value(c, d) for c, d in SCENARIO_CENTRES.items()],
    )
    merge, path, *_ = align(mapping_folder, ukg, visma, settings)

    assert path == mapping_folder / GENERATED_COST_CENTERS
    assert (mapping_folder / "cost_centers.csv").read_bytes() == manual_bytes
    assert merge.added == ((3, "360"),) and len(merge.manual) == 20
    assert path.read_text(encoding="utf-8") == (
        GENERATED_HEADER + "ukg_level,ukg_code,segment_id,segment_value,description,origin\n"
        "3,360,2,360,Commissioning Mo i Rana,generated\n"
    )
    loaded = load_mappings(mapping_folder, settings)
    assert loaded.segments[(3, "360")].origin == "generated"
    assert loaded.segments[(3, "110")].origin == "manual"
    assert not loaded.shadowed


def test_fresh_visma_alignment_makes_the_mapping_complete_and_a_rerun_changes_nothing(
    mapping_folder: Path, make_settings
) -> None:
    settings = make_settings()
    (mapping_folder / "cost_centers.csv").write_text(
        "ukg_level,ukg_code,segment_id,segment_value,description,origin\n", encoding="utf-8"
    )
    centres = {f"{p}{n}{m}": f"CC {p}{n}{m}" for p in "1234" for n in "12" for m in "01234"}
    ukg = ukg_levels(centres)
    merge, path, ukg_after, visma_after = align(mapping_folder, ukg, visma_body(), settings)
    first = path.read_bytes()

    loaded = load_mappings(mapping_folder, settings)
    expected = {(2, c) for c in DEPARTMENTS} | {(3, c) for c in centres}
    assert set(loaded.segments) == expected and len(merge.added) == 45
    again, path, *_ = align(mapping_folder, ukg_after, visma_after, settings)
    assert not again.changed and path.read_bytes() == first


def test_manual_row_wins_and_shadowed_generated_rows_are_dropped(
    mapping_folder: Path, make_settings
) -> None:
    settings = make_settings()
    (mapping_folder / GENERATED_COST_CENTERS).write_text(
        "ukg_level,ukg_code,segment_id,segment_value,description,origin\n"
        "3,110,2,110,Production Moss (generated),generated\n"
        "3,410,2,410,Closed plant Verdal,generated\n"
        "3,360,2,360,Old name,generated\n",
        encoding="utf-8",
    )
    mappings = load_mappings(mapping_folder, settings)
    assert [m.ukg_code for m in mappings.shadowed] == ["110"]
    ukg = ukg_levels({**SCENARIO_CENTRES, "360": "Commissioning Mo i Rana"})
    visma = visma_body(
        [segment_value(c, d) for c, d in DEPARTMENTS.items()],
        [segment_value(c, d) for c, d in {**SCENARIO_CENTRES, "360": "x"}.items()],
    )
    plan = plan_alignment(ukg, visma, make_settings(winner="ukg"), mappings)
    merge = merge_generated_rows(plan, mappings)

    assert merge.dropped == ((3, "110"),), "a manual row for 110 exists: the generated one goes"
    assert merge.updated == ((3, "360"),), "the name follows UKG"
    assert merge.kept == ((3, "410"),), "history: a backfill may still need 410"
    assert [r["ukg_code"] for r in merge.rows] == ["360", "410"]
    write_file(merge, mapping_folder)
    assert load_mappings(mapping_folder, settings).segments[(3, "360")].description == (
        "Commissioning Mo i Rana"
    )


def test_writer_accepts_plain_rows_and_leaves_no_temp_file(tmp_path: Path) -> None:
    row = {
        "ukg_level": "3",
        "ukg_code": "360",
        "segment_id": "2",
        "segment_value": "360",
        "description": "Commissioning, Mo i Rana",
        "origin": "generated",
    }
    path = write_file([row], tmp_path)
    assert '"Commissioning, Mo i Rana"' in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == [GENERATED_COST_CENTERS]
