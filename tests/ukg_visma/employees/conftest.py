from __future__ import annotations

import datetime as dt

import pytest

from ukg_visma.employees.models import EmployeeSnapshot

BASE = {
    "employeeId": "5f3a-0001",
    "companyId": "C0001",
    "employeeNumber": "1001",
    "firstName": "Kari",
    "lastName": "Nordmann",
    "employeeStatus": "A",
    "originalHireDate": "2020-03-01",
    "lastHireDate": "2020-03-01",
    "terminationDate": None,
    "orgLevel1Code": "MOS",
    "orgLevel2Code": "10",
    "orgLevel3Code": "110",
    "orgLevel4Code": None,
    "jobCode": "OPR1",
    "projectCode": None,
    "payGroup": "NO-M",
    "workLocation": "Moss",
    "isActive": True,
    "dateTimeChanged": "2026-05-01T08:00:00Z",
}


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
