from __future__ import annotations

import importlib
import pkgutil

import ukg_visma


def test_every_module_imports():
    names = [m.name for m in pkgutil.walk_packages(ukg_visma.__path__, "ukg_visma.")]
    assert "ukg_visma.cli" in names
    for name in names:
        importlib.import_module(name)


def test_settings_validate():
    from ukg_visma.settings import load_settings

    s = load_settings()
    assert s.company.currency == "NOK"
    assert {seg.segment_id for seg in s.segments} == {1, 2}
