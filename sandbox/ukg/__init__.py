"""The UKG Pro sandbox: the same paths, fields, status codes and quirks as the real REST API.

``create_app(UkgConfig | dict | None) -> SandboxApp`` (FastAPI). Real paths: the OAuth token
endpoint ``POST /signin/oauth2/t/{tenant}/access_token``; ``/payroll/v2/general-ledger[/{runId}]``,
``/payroll/v1/paygroup-payperiods``, ``/payroll/v1/pay-register`` (UKG publishes no pay-run
listing: ``/payroll/v1/payroll-runs`` is a 404);
``/personnel/v1/employee-changes`` (+ ``/{employeeId}``), ``/personnel/v1/employment-details``
(+ ``/companies/{companyId}/…``), ``/personnel/v1/person-details`` (+ ``/{employeeId}``), each in
its published shape (docs/contracts.md, "Published UKG personnel operations");
``/configuration/v1/org-levels`` (GET, unpaged as published; POST and
``PUT .../{level}/{code}`` behind the ``org_level_writes`` switch). Admin under ``/_sandbox/``:
``reset``, ``pay-periods``, ``gl-runs`` (+ ``gl-runs/{runId}/regenerate``, ``/void``,
``/versions``), ``employees``, ``webhooks``, ``webhook-deliveries``, ``switches``,
``state`` plus the shared ``faults``, ``calls``, ``config``, ``credentials``, ``health``.
See sandbox/README.md for what is simplified.
"""

from sandbox.ukg.app import create_app
from sandbox.ukg.config import UkgConfig, credentials
from sandbox.ukg.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "UkgConfig", "create_app", "credentials", "sign"]
