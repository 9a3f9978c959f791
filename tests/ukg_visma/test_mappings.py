from __future__ import annotations

import shutil

import pytest

from ukg_visma.mappings import (
    GENERATED_COST_CENTERS,
    MappingError,
    format_cost_center_rows,
    load_mappings,
    parse_mappings,
)
from ukg_visma.settings import DEFAULT_MAPPINGS_DIR, load_settings

SETTINGS = load_settings(DEFAULT_MAPPINGS_DIR)
ACCOUNTS = "ukg_account,visma_account,dimensions,description\n5000,5000,org,Wages\n"
CENTERS = (
    "ukg_level,ukg_code,segment_id,segment_value,description,origin\n"
    "2,10,1,10,Production,manual\n"
    "3,110,2,110,Production Moss,manual\n"
)
PROJECTS = "ukg_project,visma_project,visma_task,description\nPRJ1001,P1001,01,Line upgrade\n"


def _parse(**texts):
    args = {"accounts": ACCOUNTS, "cost_centers": CENTERS, "projects": PROJECTS, **texts}
    return parse_mappings(segments=SETTINGS.segments, **args)


def _problems(**texts):
    with pytest.raises(MappingError) as info:
        _parse(**texts)
    return info.value.problems


def test_repository_files_map_the_scenario_customer():
    m = load_mappings(DEFAULT_MAPPINGS_DIR, SETTINGS)
    assert set(m.accounts) == {
        "5000", "5020", "5090", "5400", "5405", "5420",
        "2600", "2770", "2780", "2930", "2940", "2990", "1920",
    }  # fmt: skip
    assert {a.dimensions for k, a in m.accounts.items() if k.startswith("5")} == {"org"}
    assert {a.dimensions for k, a in m.accounts.items() if not k.startswith("5")} == {"none"}
    assert m.segment_values(2) == {d: d for d in ("10", "20", "30", "40", "50")}
    centres = m.segment_values(3)
    assert len(centres) == 15 and centres["110"] == "110" and centres["350"] == "350"
    assert "360" not in centres  # the scenario's deliberate drift
    assert {k: (p.visma_project, p.visma_task) for k, p in m.projects.items()} == {
        "PRJ1001": ("P1001", "01"),
        "PRJ1002": ("P1002", "01"),
        "PRJ1003": ("P1003", "01"),
    }
    assert all(s.origin == "manual" for s in m.segments.values())


def test_comments_and_blank_lines_are_ignored_and_lines_still_counted():
    m = _parse(accounts="# reviewed by finance 2026-01\n\n" + ACCOUNTS + "5020,5020,org,x\n")
    assert m.accounts["5020"].source == "accounts.csv line 5"


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (
            {"accounts": ACCOUNTS + "5000,5010,org,again\n"},
            "accounts.csv line 3: duplicate ukg_account '5000' (already on accounts.csv line 2)",
        ),
        ({"accounts": ACCOUNTS + ",5010,org,x\n"}, "accounts.csv line 3: ukg_account is blank"),
        (
            {"accounts": ACCOUNTS + "5010,5010,cost,x\n"},
            "accounts.csv line 3: dimensions 'cost' must be one of org, none",
        ),
        (
            {"accounts": "ukg_account,visma_acount,dimensions,description\n"},
            "accounts.csv line 1: header must be ukg_account,visma_account,dimensions,description; "
            "missing visma_account; unknown visma_acount",
        ),
        (
            {"accounts": ACCOUNTS + "5010,5010\n"},
            "accounts.csv line 3: 2 cells, expected 4: '5010,5010'",
        ),
        ({"accounts": ""}, "accounts.csv: empty file, expected the header "),
        (
            {"cost_centers": CENTERS + "3,120,1,120,Maintenance Moss,manual\n"},
            "cost_centers.csv line 4: segment_id 1 does not match settings.yaml, which maps org "
            "level 3 to segment 2 (Cost centre)",
        ),
        (
            {"cost_centers": CENTERS + "1,MOS,1,MO,Moss,manual\n"},
            "cost_centers.csv line 4: org level 1 is not mapped to a segment in settings.yaml "
            "(mapped levels: 2, 3)",
        ),
        (
            {"cost_centers": CENTERS + "3,120,x,120,Maintenance Moss,manual\n"},
            "cost_centers.csv line 4: ukg_level and segment_id must be whole numbers",
        ),
        (
            {"cost_centers": CENTERS + "3,120,2,12,Maintenance Moss,manual\n"},
            "cost_centers.csv line 4: segment_value '12' must have 3 characters like the "
            "segment's default '000'",
        ),
        (
            {"cost_centers": CENTERS + "3,110,2,111,again,manual\n"},
            "cost_centers.csv line 4: duplicate org level 3 code '110' (already on "
            "cost_centers.csv line 3)",
        ),
        (
            {"cost_centers": CENTERS + "3,120,2,,Maintenance Moss,manual\n"},
            "cost_centers.csv line 4: segment_value is blank",
        ),
        (
            {"cost_centers": CENTERS + "3,120,2,120,Maintenance Moss,finance\n"},
            "cost_centers.csv line 4: origin 'finance' must be manual or generated",
        ),
        (
            {"generated_cost_centers": CENTERS},
            "cost_centers.generated.csv line 2: rows in cost_centers.generated.csv must have "
            "origin generated",
        ),
        (
            {"projects": PROJECTS + "PRJ1001,P1002,01,again\n"},
            "projects.csv line 3: duplicate ukg_project 'PRJ1001' (already on projects.csv line 2)",
        ),
        ({"projects": PROJECTS + "PRJ1002,P1002,,x\n"}, "projects.csv line 3: visma_task is blank"),
    ],
)
def test_each_bad_row_is_named_by_file_and_line(texts, expected):
    problems = _problems(**texts)
    assert any(p.startswith(expected) for p in problems), problems


def test_all_problems_of_all_files_come_in_one_error():
    with pytest.raises(MappingError) as info:
        _parse(
            accounts=ACCOUNTS + "5000,5000,org,dup\n",
            cost_centers=CENTERS + "3,120,9,120,x,manual\n",
            projects=PROJECTS + ",P1,01,x\n",
        )
    assert len(info.value.problems) == 3
    assert "3 problem(s) in the mapping files" in str(info.value)


def test_generated_rows_merge_and_manual_rows_win(tmp_path):
    folder = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, folder)
    generated = format_cost_center_rows(
        [
            {"ukg_level": 3, "ukg_code": "360", "segment_id": 2, "segment_value": "360",
             "description": "Commissioning Mo i Rana", "origin": "generated"},
            {"ukg_level": 3, "ukg_code": "110", "segment_id": 2, "segment_value": "119",
             "description": "generated but overridden", "origin": "generated"},
        ]
    )  # fmt: skip
    (folder / GENERATED_COST_CENTERS).write_text(generated)
    m = load_mappings(folder, SETTINGS)
    assert m.segment_values(3)["360"] == "360"
    assert m.segments[(3, "360")].origin == "generated"
    assert m.segment_values(3)["110"] == "110"  # the manual row wins
    assert [s.ukg_code for s in m.shadowed] == ["110"]
    assert m.segments[(3, "360")].source == f"{folder / GENERATED_COST_CENTERS} line 2"


def test_a_missing_file_is_named(tmp_path):
    folder = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, folder)
    (folder / "projects.csv").unlink()
    with pytest.raises(MappingError, match=r"projects\.csv: file is missing"):
        load_mappings(folder, SETTINGS)


def test_errors_name_the_full_path_when_loaded_from_disk(tmp_path):
    folder = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, folder)
    with (folder / "accounts.csv").open("a") as fh:
        fh.write("5000,5001,org,duplicate\n")
    with pytest.raises(MappingError) as info:
        load_mappings(folder, SETTINGS)
    assert info.value.problems == [
        f"{folder / 'accounts.csv'} line 15: duplicate ukg_account '5000' "
        f"(already on {folder / 'accounts.csv'} line 2)"
    ]


def test_accounts_frame_for_the_vectorised_merge():
    frame = load_mappings(DEFAULT_MAPPINGS_DIR, SETTINGS).accounts_frame()
    assert list(frame.columns) == [
        "ukg_account", "visma_account", "dimensions", "account_description"
    ]  # fmt: skip
    assert len(frame) == 13
