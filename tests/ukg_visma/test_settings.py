"""``settings.yaml``: every key documented where it is read; removed and unusable values refused."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from ukg_visma.settings import (
    DEFAULT_MAPPINGS_DIR,
    EMPLOYEE_COST_CENTRE_LEVEL,
    EMPLOYEE_DEPARTMENT_LEVEL,
    Settings,
)

RAW = yaml.safe_load((DEFAULT_MAPPINGS_DIR / "settings.yaml").read_text(encoding="utf-8"))


def _keys(data: Any, model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, pydantic field) for every key in the YAML, recursing into sub-models."""
    out = []
    items = data if isinstance(data, list) else [data]
    for item in items:
        for key, value in item.items():
            field = model.model_fields[key]
            out.append((prefix + key, field))
            sub = field.annotation
            inner = getattr(sub, "__args__", (sub,))[0] if sub is not None else None
            nested = isinstance(inner, type) and issubclass(inner, BaseModel)
            if isinstance(value, dict | list) and nested:
                out += _keys(value, inner, f"{prefix}{key}.")
    return out


KEYS = list(dict(_keys(RAW, Settings)).items())  # list items (segments) share their keys


def test_the_shipped_settings_load():
    Settings.model_validate(RAW)


@pytest.mark.parametrize(("key", "field"), KEYS, ids=[k for k, _ in KEYS])
def test_every_key_is_documented_where_it_is_read(key, field):
    doc = field.description or ""
    assert len(doc) > 20, f"{key} has no field docstring in settings.py"
    assert "``" in doc or "dags/" in doc, f"{key}: say which module reads it"


def test_period_key_format_is_refused_with_the_reason():
    data = copy.deepcopy(RAW)
    data["payroll"]["period_key_format"] = "%Y%m"
    with pytest.raises(ValidationError, match=r"period_key_format was removed.*YYYY-MM"):
        Settings.model_validate(data)


@pytest.mark.parametrize("level", [EMPLOYEE_DEPARTMENT_LEVEL, EMPLOYEE_COST_CENTRE_LEVEL])
def test_segments_without_an_employee_sync_level_are_refused(level):
    data = copy.deepcopy(RAW)
    data["segments"] = [s for s in data["segments"] if s["ukg_level"] != level]
    with pytest.raises(ValidationError, match=rf"employee sync reads.*ukg_level {level}"):
        Settings.model_validate(data)


def test_segments_on_other_levels_are_refused_loudly():
    data = copy.deepcopy(RAW)
    for s in data["segments"]:
        s["ukg_level"] += 1  # levels 3 and 4: the sync would read the wrong codes
    with pytest.raises(ValidationError) as err:
        Settings.model_validate(data)
    assert "ukg_level 2 (the department)" in str(err.value)
    assert "orgLevel3 = cost centre" in str(err.value)


def test_a_level_mapped_twice_is_refused():
    data = copy.deepcopy(RAW)
    data["segments"].append({**data["segments"][0], "segment_id": 9})
    with pytest.raises(ValidationError, match="only once"):
        Settings.model_validate(data)


def test_no_code_reads_a_removed_key():
    root = Path(__file__).resolve().parents[2]
    hits = [
        p
        for folder in ("plugins", "dags", "include")
        for p in (root / folder).rglob("*")
        if p.is_file()
        and p.suffix in (".py", ".yaml")
        and "period_key_format" in p.read_text()
        and p.name != "settings.py"
    ]
    assert hits == []
