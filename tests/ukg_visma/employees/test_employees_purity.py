"""The employee logic is pure: importing it loads no HTTP client, database layer or Airflow."""

from __future__ import annotations

from import_probe import io_layers, probe


def test_employees_package_imports_nothing_impure():
    loaded = probe()["imports"]["employees"]["loaded"]
    assert "ukg_visma.employees.diff" in loaded
    assert io_layers(loaded) == []
