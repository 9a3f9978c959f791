"""The alignment logic is pure (design.md): importing it loads no HTTP, SQL or Airflow code."""

from __future__ import annotations

from import_probe import io_layers, probe


def test_importing_alignment_loads_no_io_layer() -> None:
    loaded = probe()["imports"]["alignment"]["loaded"]
    assert "ukg_visma.alignment" in loaded
    assert io_layers(loaded) == []
