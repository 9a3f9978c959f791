"""Every endpoint the fault campaign aims at exists on the sandbox it names.

A target whose regex matches no route draws faults that never fire (the catalog target once
read ``financialperiod`` while Visma's route is ``/v1/financialPeriod``): the campaign then
proves less than its figures suggest. The routes are read from the sandbox apps themselves.
"""

from __future__ import annotations

import re

import pytest

from reliability.faults import EMPLOYEE_TARGETS, PAYROLL_TARGETS


def _paths(server: str) -> list[str]:
    if server == "visma":
        from sandbox.visma.app import create_app
    else:
        from sandbox.ukg.app import create_app
    app = create_app()
    try:
        # "/v2/journaltransaction/{number}" → "/v2/journaltransaction/x": a request's path
        return [re.sub(r"\{[^}]+\}", "x", r.path) for r in app.routes if hasattr(r, "methods")]
    finally:
        app.sandbox.store.close()


def _alternatives(pattern: str) -> list[str]:
    """``^/v1/(a|b)`` → ``^/v1/(a)``, ``^/v1/(b)``: each alternative must hit on its own."""
    group = re.search(r"\(([^()]*\|[^()]*)\)", pattern)
    if group is None:
        return [pattern]
    return [
        pattern[: group.start()] + f"({alt})" + pattern[group.end() :]
        for alt in group.group(1).split("|")
    ]


TARGETS = sorted(
    (server, method, alternative)
    for server, method, pattern in set(PAYROLL_TARGETS) | set(EMPLOYEE_TARGETS)
    for alternative in _alternatives(pattern)
)


@pytest.mark.parametrize(("server", "method", "pattern"), TARGETS)
def test_each_target_matches_a_route_of_its_sandbox(server, method, pattern):
    hits = [p for p in _paths(server) if re.search(pattern, p)]
    assert hits, f"{server} {method} {pattern!r} matches no route: its faults would never fire"
