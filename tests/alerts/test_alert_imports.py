"""The package imports downward only: no circle anywhere, and none of the imports that used to
run back up (a lower layer reaching into a higher one).

The walk started with the alerts and the task runtime, and still checks them by name:

``tasks.runtime`` wires the alerts (``default_args`` → ``alerts.notify.failure_callbacks``);
``alerts.deadline`` calls ``alerts.notify`` from its callback. What both need — the period of a
run or a task, the ``TransientExit`` carrier — lives below them (``periods``, ``errors``).
Function-level (lazy) imports and ``TYPE_CHECKING`` imports count: a circle through them is
still a circle for a reader. ``from package import submodule`` is an edge to the submodule and to
the package's ``__init__``; write ``import package.submodule as name`` when only the submodule
is meant.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "plugins" / "ukg_visma"
# Imports that ran back up, each removed once: (lower module, the higher one it must not import).
NOT_UPWARD = [
    ("ukg_visma.hooks.probe", "ukg_visma.hooks.base"),
    ("ukg_visma.ui.notes", "ukg_visma.tasks.payroll.approval"),
    ("ukg_visma.ui.report_page", "ukg_visma.tasks.context"),
    ("ukg_visma.tasks.payroll.gl_events", "ukg_visma.events.triggers"),
    ("ukg_visma.alerts.deadline", "ukg_visma.tasks.runtime"),
    ("ukg_visma.alerts.notify", "ukg_visma.tasks.runtime"),
]


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    if not parts:
        return PACKAGE / "__init__.py"
    rel = Path(*parts)
    for candidate in (PACKAGE / rel.with_suffix(".py"), PACKAGE / rel / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(name: str) -> set[str]:
    """Every ``ukg_visma`` module that ``name`` imports anywhere in its body."""
    path = _module_file(name)
    if path is None:
        return set()
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ukg_visma"):
            out.add(node.module)
            out.update(
                f"{node.module}.{a.name}"
                for a in node.names
                if _module_file(f"{node.module}.{a.name}")
            )
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("ukg_visma"))
    return {m for m in out if _module_file(m) is not None}


def _reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(_imports(start))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_imports(name))
    return seen


@pytest.mark.parametrize(
    "module", ["ukg_visma.alerts.notify", "ukg_visma.alerts.deadline", "ukg_visma.tasks.runtime"]
)
def test_no_import_leads_back(module: str) -> None:
    assert module not in _reachable(module)


def test_the_alerts_do_not_import_the_task_runtime() -> None:
    for module in ("ukg_visma.alerts.notify", "ukg_visma.alerts.deadline"):
        assert "ukg_visma.tasks.runtime" not in _reachable(module), module
    assert "ukg_visma.alerts.deadline" not in _reachable("ukg_visma.alerts.notify")


def _all_modules() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append(".".join(parts))
    return out


def _circles() -> list[list[str]]:
    """Strongly connected groups of the import graph (Tarjan): each one is a circle."""
    graph = {name: _imports(name) for name in _all_modules()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for name in graph:
            if name not in index:
                visit(name)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_the_walk_sees_the_whole_package() -> None:
    modules = _all_modules()
    assert len(modules) > 100 and "ukg_visma.hooks.base" in modules
    assert "ukg_visma.hooks.retry" in _imports("ukg_visma.hooks.base")


def test_no_import_circle_anywhere_in_the_package() -> None:
    assert _circles() == []


@pytest.mark.parametrize(("lower", "higher"), NOT_UPWARD, ids=[a for a, _ in NOT_UPWARD])
def test_no_import_runs_back_up(lower: str, higher: str) -> None:
    assert higher not in _imports(lower), f"{lower} imports {higher}"


# The task steps: each module a DAG task calls into as its step. A step reads what it needs of
# another through a shared module below the steps (``tasks.payroll.holdings``: what Visma holds;
# ``tasks.payroll.staged``: the run's staged journals; ``gl.posting_period``: the closed-period
# policy), never by importing the other step.
STEPS = {
    "ukg_visma.tasks.payroll.extract",
    "ukg_visma.tasks.payroll.validate",
    "ukg_visma.tasks.payroll.plan",
    "ukg_visma.tasks.payroll.posting",
    "ukg_visma.tasks.payroll.reconcile",
    "ukg_visma.tasks.payroll.approval",
    "ukg_visma.tasks.payroll.gl_events",
    "ukg_visma.tasks.employee_sync.extract",
    "ukg_visma.tasks.employee_sync.apply",
    "ukg_visma.tasks.employee_sync.verify",
    "ukg_visma.tasks.alignment.steps",
}
# What a DAG file also imports from ``ukg_visma.tasks`` that is no step: the task wrapper and the
# shared modules below the steps.
BELOW_THE_STEPS = {
    "ukg_visma.tasks.runtime",
    "ukg_visma.tasks.employee_sync.context",
    "ukg_visma.tasks.payroll.staged",
}
DAGS = PACKAGE.parents[1] / "dags"


def _dag_steps() -> set[str]:
    """The ``ukg_visma.tasks`` modules the DAG files import a task's callable from."""
    out: set[str] = set()
    for path in DAGS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.module):
                continue
            if not node.module.startswith("ukg_visma.tasks"):
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if _module_file(sub) else node.module)
    return out - BELOW_THE_STEPS


def test_the_step_list_is_every_module_the_dags_call_a_step_from() -> None:
    assert _dag_steps() == STEPS


@pytest.mark.parametrize("step", sorted(STEPS))
def test_no_step_imports_another_step(step: str) -> None:
    assert _imports(step) & (STEPS - {step}) == set()


def test_nothing_below_the_steps_imports_a_step() -> None:
    below = [m for m in _all_modules() if m.startswith("ukg_visma.tasks") and m not in STEPS]
    assert "ukg_visma.tasks.payroll.holdings" in below
    assert {m: sorted(_imports(m) & STEPS) for m in below if _imports(m) & STEPS} == {}
