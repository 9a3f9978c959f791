"""The GL-run events a subscribed deployment has in its webhook inbox, for the sandbox's history.

UKG publishes no pay-run listing; a deployment learns its run ids from UKG's
``PayrollGLExportCompletedEvent`` (docs/decisions/pay-run-discovery.md). The sandbox scenario's
runs were exported before any test subscribed, so the tests take the events UKG sent then from
the sandbox (``GET /_sandbox/gl-events``) and store them as the receiver would have. Discovery
still asks UKG for everything else (GL header, pay periods, pay register): the events only name
candidate run ids. One builder for every tier (dag tests, the UI stack, the distributed cluster).
"""

from __future__ import annotations

import json

import httpx
from sqlalchemy.engine import Engine

from ukg_visma.audit import inbox
from ukg_visma.employees.models import WebhookEvent


def announce_gl_runs(ukg_url: str, engine: Engine, period: str | None = None) -> list[str]:
    """Store the GL events of the sandbox runs paid in ``period`` (all runs without it) in the
    inbox of ``engine``; return the run ids they name."""
    answer = httpx.get(
        f"{ukg_url.rstrip('/')}/_sandbox/gl-events",
        params={"period": period} if period else None,
        timeout=60,
    )
    answer.raise_for_status()
    named = []
    for event in answer.json()["events"]:
        # parsed from JSON as the receiver parses a delivery's body
        inbox.put_event(engine, WebhookEvent.model_validate_json(json.dumps(event)))
        named.append(event["Payload"]["RunId"])
    return named
