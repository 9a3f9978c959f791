"""The Visma.net ERP sandbox server (FastAPI), faithful to the public OpenAPI document.

API summary::

    from sandbox.visma import VismaConfig, create_app
    app = create_app(VismaConfig(data_dir="/tmp/v", token_lifetime=3600,
                                 rate_limit_per_minute=6000,
                                 initial_reset={"scenario": "manufacturer", "seed": 42,
                                                "employees": 1200}))
    uvicorn.run(app, port=8702)            # or sandbox.common.ServerThread(app) in tests

Real paths: ``POST /connect/token``; ``GET /v1/account[/{cd}]``; ``GET /v1/dimension``,
``GET /v1/dimension/{dim}``, ``GET|PUT /v1/dimension/{dim}/{segmentId}``,
``GET /v1/dimension/{dim}/{segmentId}/{valueId}``; ``GET /v1/subaccount[/{number}]``;
``GET /v1/department[/{id}]``; ``GET|POST /v1/employee``, ``GET|PUT /v1/employee/{employeeCd}``;
``GET /v1/project[/{projectId}]``; ``GET /v1/financialPeriod[/{period}]``;
``POST|GET /v2/journaltransaction``, ``GET|PUT /v2/journaltransaction/{batchNumber}``,
``POST /v2/journaltransaction/{batchNumber}/action/release``.

Admin (besides ``sandbox.common``'s faults/calls/config/credentials/tokens):
``POST /_sandbox/reset`` — ``{"scenario": "manufacturer", "seed": 42, "employees": 1200,
"visma_segments": "empty", ...}`` (other keys go to ``sandbox.scenario.build``) or
``{"visma": {accounts, dimensions, projects, financialPeriods, employees, departments}}``;
also clears faults and the call log. ``GET /_sandbox/state`` — journals (as JournalTransactionDto),
segments (``{"SUBACCOUNT": {"1": DtoSegment}}``), employees, accounts, projects, periods,
departments, subaccounts, counts. Simplifications: sandbox/README.md.
"""

from sandbox.visma.app import create_app
from sandbox.visma.config import CLIENT_ID, CLIENT_SECRET, SCOPES, TENANT_ID, VismaConfig

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "SCOPES", "TENANT_ID", "VismaConfig", "create_app"]
