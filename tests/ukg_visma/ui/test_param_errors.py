"""A trigger refused for a bad param says so in one sentence (pure ASGI, no server): the
refusal Airflow 3.3 sends (``str(jsonschema.ValidationError)``, the schema dumped) becomes one
sentence for this package's DAGs; everything else passes untouched. The real refusal in the
browser is in ui_tests (the trigger dialog)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jsonschema
import pytest

from ukg_visma.ui.param_errors import ParamErrorMiddleware, one_sentence

PERIOD_SCHEMA = {"type": ["null", "string"], "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}


def airflows_refusal(value: Any, schema: dict[str, Any], name: str = "period") -> str:
    """The ``detail`` Airflow's trigger route sends (``Invalid input for param {k}: {error}``)."""
    with pytest.raises(jsonschema.ValidationError) as caught:
        jsonschema.validate(value, schema)
    return f"Invalid input for param {name}: {caught.value}"


def test_an_invalid_period_is_one_sentence() -> None:
    detail = airflows_refusal("2026-13", PERIOD_SCHEMA)
    assert "Failed validating" in detail  # what the dialog used to show
    assert one_sentence(detail) == (
        "The trigger was refused: period '2026-13' is not valid — give a pay month as YYYY-MM, "
        "e.g. 2026-10."
    )
    other = one_sentence(airflows_refusal(5, {"type": "string"}, name="mystery"))
    assert (
        other
        == "The trigger was refused: param mystery 5 is not valid (5 is not of type 'string')."
    )
    assert one_sentence("DAG with dag_id: 'x' not found") is None


def run(path: str, status: int, body: bytes) -> tuple[int, bytes, dict[bytes, bytes]]:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})  # fmt: skip
        half = len(body) // 2
        await send({"type": "http.response.body", "body": body[:half], "more_body": True})
        await send({"type": "http.response.body", "body": body[half:], "more_body": False})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": []}
    asyncio.run(ParamErrorMiddleware(app)(scope, receive, send))
    start = sent[0]
    out = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], out, dict(start["headers"])


def test_the_middleware_rewrites_only_our_dags_param_refusals() -> None:
    refusal = json.dumps({"detail": airflows_refusal("2026-13", PERIOD_SCHEMA)}).encode()
    status, body, headers = run("/api/v2/dags/ukg_visma_payroll_gl/dagRuns", 400, refusal)
    assert status == 400 and json.loads(body)["detail"].startswith("The trigger was refused: ")
    assert headers[b"content-length"] == str(len(body)).encode()
    for path, code in (("/api/v2/dags/other_dag/dagRuns", 400),
                       ("/api/v2/dags/ukg_visma_payroll_gl/dagRuns", 200)):  # fmt: skip
        assert run(path, code, refusal)[1] == refusal
    not_a_param = json.dumps({"detail": "The DAG is paused"}).encode()
    assert run("/api/v2/dags/ukg_visma_payroll_gl/dagRuns", 400, not_a_param)[1] == not_a_param
