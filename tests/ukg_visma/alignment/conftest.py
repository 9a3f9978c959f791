"""Settings fixtures for the alignment tests (the repository's settings.yaml, flags varied)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ukg_visma.settings import AlignmentSettings, Settings, load_settings


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return load_settings()


@pytest.fixture
def make_settings(base_settings: Settings) -> Callable[..., Settings]:
    def make(write_to_ukg: bool = False, winner: str = "none") -> Settings:
        return base_settings.model_copy(
            update={
                "alignment": AlignmentSettings(
                    write_cost_centers_to_ukg=write_to_ukg, conflict_winner=winner
                )
            }
        )

    return make
