"""The published-only validator itself (``published_contract``) rejects what UKG does not
publish: so that ``tests/dags/test_published_only.py`` passing means something."""

from __future__ import annotations

from published_contract import VISMA_PUBLISHED, operation_of, unpublished


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


def test_visma_operations_are_judged_by_visma_s_own_document():
    published = [
        _call("GET", "/v2/journaltransaction", "periodId=202610&pageNumber=1&pageSize=500"),
        _call("POST", "/v2/journaltransaction/000123/action/release"),
        _call("GET", "/v1/employee", "lastModifiedDateTime=x&lastModifiedDateTimeCondition=>="),
        _call("PUT", "/v1/dimension/SUBACCOUNT/2"),
        _call("POST", "/connect/token"),
    ]
    assert unpublished(published, VISMA_PUBLISHED) == []
    found = unpublished(
        [
            _call("GET", "/v2/journaltransaction", "periodId=202610&page=1"),
            _call("DELETE", "/v1/employee/E1"),
            _call("GET", "/v1/payroll"),
        ],
        VISMA_PUBLISHED,
    )
    assert len(found) == 3 and any("page not published" in f for f in found)
    assert unpublished(published[:1]) != []  # a Visma path is no UKG operation
