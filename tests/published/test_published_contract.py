"""The published-only validator itself (``published_contract``) rejects what UKG does not
publish: so that ``tests/dags/test_published_only.py`` passing means something."""

from __future__ import annotations

from published_contract import operation_of, unpublished


def _call(method, path, query=""):
    return {"method": method, "path": path, "query": query}


def test_published_operations_with_their_own_spelling_pass():
    assert (
        unpublished(
            [
                _call(
                    "GET",
                    "/personnel/v1/employee-changes",
                    "startDate=a&endDate=b&page=1&per_page=200",
                ),
                _call("GET", "/personnel/v1/employee-changes/E123"),
                _call(
                    "GET", "/personnel/v1/employment-details", "employeeId=E1&page=1&per_Page=200"
                ),
                _call("GET", "/payroll/v2/general-ledger", "runId=R&blockId=1&mostRecent=true"),
                _call("POST", "/signin/oauth2/t/acme/access_token"),
            ]
        )
        == []
    )
    assert operation_of("GET", "/personnel/v1/employee-changes/E1")[1]["operationId"] == (
        "EmployeeChanges_Get"
    )


def test_unpublished_paths_methods_and_parameters_fail():
    found = unpublished(
        [
            _call("GET", "/payroll/v1/payroll-runs"),
            _call("GET", "/personnel/v1/employees/changed"),
            _call("DELETE", "/personnel/v1/employee-changes/E1"),
            _call("GET", "/personnel/v1/employment-details", "page=1&per_page=200"),
            _call("GET", "/personnel/v1/employee-changes", "startDate=a&per_Page=5"),
        ]
    )
    assert len(found) == 5
    assert any("per_page not published for EmploymentDetails_getDetails" in f for f in found)
    assert any("per_Page not published for ChangesByDate" in f for f in found)
