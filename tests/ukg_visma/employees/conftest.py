from __future__ import annotations

import datetime as dt

import pytest
from employee_data import BASE

from ukg_visma.employees.models import EmployeeSnapshot


@pytest.fixture
def at():
    """A UKG timestamp ``hours`` after the base snapshot's change."""

    def stamp(hours: float) -> str:
        moment = dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=hours)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    return stamp


@pytest.fixture
def snap():
    def make(**overrides) -> EmployeeSnapshot:
        return EmployeeSnapshot.model_validate({**BASE, **overrides})

    return make
