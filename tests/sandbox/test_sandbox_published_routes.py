"""Both sandboxes serve only what the services publish: every route outside ``/_sandbox/`` is a
published operation (method + path) of UKG's, resp. Visma's, document (``tests/published``), so
anything else — ``/payroll/v1/payroll-runs``, a marketing alias, a FastAPI default — is a 404."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "published"))
from published_contract import PUBLISHED, VISMA_PUBLISHED, operation_of

from sandbox.ukg.app import create_app as ukg_app
from sandbox.visma.app import create_app as visma_app


def _served(app) -> list[tuple[str, str]]:
    routes = []
    for route in app.routes:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if not path or not methods or path.startswith("/_sandbox"):
            continue
        routes += [(m, path) for m in sorted(methods) if m not in ("HEAD", "OPTIONS")]
    return routes


@pytest.mark.parametrize(
    ("make_app", "operations"),
    [(lambda: ukg_app({"data_dir": None}), PUBLISHED), (visma_app, VISMA_PUBLISHED)],
    ids=["ukg", "visma"],
)
def test_every_served_route_is_a_published_operation(make_app, operations):
    served = _served(make_app())
    assert len(served) > 10
    unpublished = [
        f"{method} {path}"
        for method, path in served
        if operation_of(method, re.sub(r"\{[^}]+\}", "X1", path), operations) is None
    ]
    assert unpublished == []
