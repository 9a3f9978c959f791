"""Helpers for the Visma sandbox contract tests: small data, an HTTP client, journal bodies.

A uniquely named module (not conftest) so test files can import it without clashing with
other conftest modules of the session.
"""

from __future__ import annotations

from typing import Any

import requests

from sandbox.common import ServerThread
from sandbox.visma import CLIENT_ID, CLIENT_SECRET, TENANT_ID, VismaConfig, create_app

READ = "vismanet_erp_service_api:read"
CREATE = "vismanet_erp_service_api:create"
UPDATE = "vismanet_erp_service_api:update"
STAMP = "2026-01-15T08:00:00"


def small_visma() -> dict[str, Any]:
    """A tiny company in the scenario's shape: every rule has something to bite on."""

    def value(code: str, description: str, active: bool = True) -> dict[str, Any]:
        return {
            "value": code,
            "description": description,
            "active": active,
            "lastModifiedDateTime": STAMP,
        }

    def account(cd: str, kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "accountCD": cd,
            "description": f"Account {cd}",
            "type": kind,
            "active": True,
            "accountClass": "X",
            "lastModifiedDateTime": STAMP,
            **extra,
        }

    def period(pid: str, closed: bool = False, active: bool = True) -> dict[str, Any]:
        return {
            "periodId": pid,
            "year": int(pid[:4]),
            "startDate": f"{pid[:4]}-{pid[4:]}-01",
            "endDate": f"{pid[:4]}-{pid[4:]}-28",
            "active": active,
            "closedInGeneralLedger": closed,
            "description": pid,
        }

    return {
        "accounts": [
            account("5000", "Expense"),
            account("5010", "Expense", active=False),
            account("2930", "Liability"),
            account("1500", "Asset", controlAccountModule="AR"),
            {**account("1920", "Asset"), "lastModifiedDateTime": "2026-03-01T10:00:00"},
        ],
        "dimensions": {
            "SUBACCOUNT": {
                "id": "SUBACCOUNT",
                "description": "Subaccount",
                "length": 5,
                "segments": [
                    {
                        "segmentId": 1,
                        "description": "Department",
                        "length": 2,
                        "validate": True,
                        "segmentValues": [
                            value("00", "None"),
                            value("10", "Production"),
                            value("20", "Maintenance"),
                        ],
                    },
                    {
                        "segmentId": 2,
                        "description": "Cost centre",
                        "length": 3,
                        "validate": True,
                        "segmentValues": [
                            value("000", "None"),
                            value("110", "Production Moss"),
                            value("120", "Maintenance Moss"),
                            value("199", "Closed line Moss", active=False),
                        ],
                    },
                ],
            }
        },
        "projects": [
            {
                "projectID": "P1001",
                "description": "Line upgrade",
                "status": "Active",
                "tasks": [
                    {"taskId": "01", "description": "Engineering", "status": "Active"},
                    {"taskId": "02", "description": "Installation", "status": "Active"},
                ],
            },
            {"projectID": "P1002", "description": "Old", "status": "Completed", "tasks": []},
        ],
        "financialPeriods": [
            period("202603", closed=True),
            period("202604"),
            period("202605"),
            period("202606"),
            period("202607", active=False),
        ],
        "employees": [],
        "departments": [
            {"departmentId": "10", "description": "Production"},
            {"departmentId": "20", "description": "Maintenance"},
        ],
    }


class VismaClient:
    """Real HTTP against one sandbox server, with a bearer token fetched the real way."""

    def __init__(self, server: ServerThread) -> None:
        self.server = server
        self.http = requests.Session()
        self._token: str | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def token(self, scope: str = f"{READ} {CREATE} {UPDATE}") -> str:
        answer = self.http.post(
            f"{self.url}/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "tenant_id": TENANT_ID,
                "scope": scope,
            },
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self._token is None:
            self._token = self.token()
        headers = {"Authorization": f"Bearer {self._token}", **kwargs.pop("headers", {})}
        return self.http.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, **kwargs)

    def admin(self, method: str, path: str, json: Any = None) -> requests.Response:
        return requests.request(method, f"{self.url}/_sandbox{path}", json=json, timeout=60)

    def state(self) -> dict[str, Any]:
        return self.admin("GET", "/state").json()


def start(tmp_path, port: int = 0, **config: Any) -> tuple[ServerThread, Any]:
    """A server on ``tmp_path``; the small company is loaded only when the data dir is new."""
    config.setdefault("initial_reset", {"visma": small_visma()})
    app = create_app(VismaConfig(data_dir=tmp_path, **config))
    return ServerThread(app, port=port).start(), app


def line(
    account: str,
    debit: str | None = None,
    credit: str | None = None,
    dept: str = "10",
    centre: str = "110",
    **extra: Any,
) -> dict[str, Any]:
    """One Insert line of a JournalTransactionUpdateDto (amounts as JSON numbers)."""
    body: dict[str, Any] = {
        "operation": "Insert",
        "accountNumber": {"value": account},
        "subaccount": [
            {"segmentId": 1, "segmentValue": dept},
            {"segmentId": 2, "segmentValue": centre},
        ],
    }
    if debit is not None:
        body["debitAmountInCurrency"] = {"value": float(debit)}
    if credit is not None:
        body["creditAmountInCurrency"] = {"value": float(credit)}
    for key, value in extra.items():
        body[key] = {"value": value}
    return body


def journal(period: str = "202605", lines: list[dict[str, Any]] | None = None, **header: Any):
    """A balanced two-line JournalTransactionUpdateDto unless told otherwise."""
    body: dict[str, Any] = {
        "transactionDate": {"value": f"{period[:4]}-{period[4:]}-25T00:00:00"},
        "financialPeriod": {"value": period},
        "description": {"value": "NMF-202605-R1 #1"},
        "hold": {"value": False},
        "journalTransactionLines": lines
        if lines is not None
        else [
            line("5000", debit="1000.10"),
            line("2930", credit="1000.10", dept="00", centre="000"),
        ],
    }
    for key, value in header.items():
        body[key] = {"value": value}
    return body


def created_number(client: VismaClient, answer: requests.Response) -> str:
    """The batch number of a journal just created. The published 201 names no batch (no
    ``Location``); its ``ETag`` is the batch's ``timeStamp``, which the listing carries."""
    assert answer.status_code == 201, answer.text
    assert "Location" not in answer.headers  # the published answer
    stamp = answer.headers["ETag"].strip('"')
    (number,) = [j["batchNumber"] for j in client.state()["journals"] if j["timeStamp"] == stamp]
    return number
