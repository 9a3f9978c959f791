"""A valid UKG employee snapshot the employee tests vary (imported by name, not from conftest)."""

from __future__ import annotations

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
