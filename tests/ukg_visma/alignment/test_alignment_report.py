"""The alignment report: what finance reviews before (dry run) and after an apply."""

from __future__ import annotations

import csv
import io

from alignment_data import DEPARTMENTS, segment_value, ukg_item, ukg_levels, visma_body

from ukg_visma.alignment import plan_alignment, plan_csv, plan_markdown
from ukg_visma.alignment.report import PLAN_CSV_COLUMNS


def mixed_plan(settings):
    ukg = [
        *ukg_levels({"110": "Production Moss", "120": "Maintenance Moss"}),
        ukg_item(3, "1300", "Logistics | Moss"),
    ]
    visma = visma_body(
        [segment_value(c, d) for c, d in DEPARTMENTS.items()],
        [segment_value("110", "Prod Moss"), segment_value("140", "Quality Moss")],
    )
    return plan_alignment(ukg, visma, settings)


def test_markdown_names_every_action_and_the_figures(make_settings) -> None:
    text = plan_markdown(mixed_plan(make_settings()))
    assert "planned (dry run: nothing written)" in text
    assert "Created in Visma: 1" in text and "for HR: 1" in text and "unchanged: 5" in text
    assert "| 2 Cost centre | 3 | 1 | 0 | 0 | 0 | 1 | 1 | 1 | 0 | 0 |" in text
    assert "- Insert segment 2 `120` 'Maintenance Moss'" in text
    assert "- Insert org level 3 `140` 'Quality Moss'" in text
    assert "code 110: UKG 'Production Moss' vs Visma 'Prod Moss' → unresolved" in text
    assert "code_length" in text and "'1300' has 4 characters" in text


def test_csv_has_one_row_per_code_and_action(make_settings) -> None:
    rows = list(csv.DictReader(io.StringIO(plan_csv(mixed_plan(make_settings())))))
    assert tuple(rows[0]) == PLAN_CSV_COLUMNS
    actions = sorted((r["code"], r["action"], r["side"]) for r in rows)
    assert actions == [
        ("10", "unchanged", "both"),
        ("110", "conflict", "both"),
        ("120", "write", "visma"),
        ("1300", "issue", "ukg"),
        ("140", "for_hr", "ukg"),
        ("20", "unchanged", "both"),
        ("30", "unchanged", "both"),
        ("40", "unchanged", "both"),
        ("50", "unchanged", "both"),
    ]


def test_agreeing_sides_and_the_report(make_settings) -> None:
    visma = visma_body([segment_value(c, d) for c, d in DEPARTMENTS.items()])
    plan = plan_alignment(ukg_levels({}), visma, make_settings())
    text = plan_markdown(plan, applied=True)
    assert "Status: **applied**" in text and "Both sides agree" in text
    assert plan_csv(plan).count("unchanged") == 5
