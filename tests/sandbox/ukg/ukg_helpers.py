"""Helpers for the UKG sandbox contract tests: a server on a free port and a small HTTP client.

A uniquely named module (not conftest) so test files can import it without clashing with other
helper modules of the session.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx

from sandbox.common import ServerThread
from sandbox.ukg import UkgConfig, create_app

CLIENT = {"client_id": "ukg-sandbox-client", "client_secret": "ukg-sandbox-secret"}
API_KEY = "NMF01"
BASIC = "Basic " + base64.b64encode(b"svc_payroll:svc-sandbox-password").decode()
TOKEN_PATH = "/signin/oauth2/t/nordicmfg/access_token"
EMPLOYEES = 250  # small enough to reset fast, big enough for several GL blocks
BLOCK_SIZE = 700

# The published field names (and types) of the payroll models, extracted from UKG's OpenAPI
# document — the source is cited inside the file.
PUBLISHED = json.loads((Path(__file__).with_name("ukg_published_payroll.json")).read_text())
GL_LINE_FIELDS = set(PUBLISHED["GeneralLedgerRunDetailsV2"])
PAY_PERIOD_FIELDS = set(PUBLISHED["PayGroupPayPeriods"])
PAY_REGISTER_FIELDS = set(PUBLISHED["PayRegister"])
# The sandbox's stored employee record (what the admin route answers: not a published shape).
SNAPSHOT_FIELDS = {
    "employeeId", "companyId", "employeeNumber", "firstName", "lastName", "employeeStatus",
    "originalHireDate", "lastHireDate", "dateOfLastHire", "terminationDate", "orgLevel1Code",
    "orgLevel2Code", "orgLevel3Code", "orgLevel4Code", "jobCode", "projectCode", "payGroup",
    "workLocation", "isActive", "dateTimeChanged",
}  # fmt: skip
# Published models (UKG's OpenAPI, components/schemas): every served field must be one of these.
EMPLOYEE_CHANGES_RESPONSE = {
    "firstName", "lastName", "preferredName", "emailAddress", "countryCode", "languageCode",
    "employeeNumber", "employeeId", "personId", "userIntegrationKey", "companyName", "companyId",
    "supervisorId", "salaryOrHourly", "fullTimeOrPartTime", "isActive", "workLocation", "jobCode",
    "projectCode", "orgLevel1Code", "orgLevel2Code", "orgLevel3Code", "orgLevel4Code",
    "middleName", "workPhone", "homePhone", "employeeAddress1", "employeeAddress2", "city",
    "state", "zipCode", "terminationDate", "hireDate", "supervisorName", "prefix", "suffix",
    "alternateEmailAddress", "gender", "employeeStatus", "employeeType", "emplStatusStartDate",
    "dateInJob", "dateOfLastHire", "jobGroupCode", "alternateJobTitle",
}  # fmt: skip
EMP_EMPLOYMENT_DETAILS_USED = {
    "employeeID",
    "companyID",
    "companyCode",
    "employeeNumber",
    "employeeStatusCode",
    "originalHireDate",
    "lastHireDate",
    "dateOfTermination",
    "orgLevel1Code",
    "orgLevel2Code",
    "orgLevel3Code",
    "orgLevel4Code",
    "primaryJobCode",
    "primaryProjectCode",
    "primaryWorkLocationCode",
    "payGroup",
    "dateTimeChanged",
}  # fmt: skip  (all of them published in EmpEmploymentDetails)
EMP_PERSON_DETAILS_USED = {
    "employeeId",
    "personId",
    "companyId",
    "firstName",
    "lastName",
    "middleName",
    "preferredName",
    "emailAddress",
    "addressCountry",
    "datetimeChanged",
}  # fmt: skip  (all of them published in EmpPersonDetails)


def start(data_dir: Path | None, **config: Any) -> ServerThread:
    settings = {"employees": EMPLOYEES, "block_size": BLOCK_SIZE, **config}
    return ServerThread(create_app(UkgConfig(data_dir=data_dir, **settings))).start()


class UkgClient:
    """Raw HTTP against one UKG sandbox: no retries, no token cache — the tests see everything."""

    def __init__(self, server: ServerThread) -> None:
        self.server = server
        self.url = server.url
        self.http = httpx.Client(base_url=server.url, timeout=60)
        self._token: str | None = None

    @property
    def app(self) -> Any:
        return self.server.app

    def token(self, **form: str) -> httpx.Response:
        body = {"grant_type": "client_credentials", **CLIENT, **form}
        return self.http.post(TOKEN_PATH, data=body)

    def bearer(self) -> dict[str, str]:
        if self._token is None:
            self._token = self.token().json()["access_token"]
        return {"Authorization": f"Bearer {self._token}", "US-Customer-Api-Key": API_KEY}

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", None) or self.bearer()
        return self.http.get(path, params=params, headers=headers, **kw)

    def send(self, method: str, path: str, json: Any = None) -> httpx.Response:
        return self.http.request(method, path, json=json, headers=self.bearer())

    def admin(self, method: str, path: str, json: Any = None) -> Any:
        response = self.http.request(method, f"/_sandbox/{path}", json=json)
        assert response.status_code < 400, response.text
        return response.json()

    def all_pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Follow ``Link: rel=next`` from the first page to the end."""
        items: list[dict[str, Any]] = []
        response = self.get(path, params)
        while True:
            assert response.status_code == 200, response.text
            items += response.json()
            nxt = response.links.get("next", {}).get("url")
            if not nxt:
                return items
            response = self.get(nxt)
