"""The alerts and the task runtime import downward only: no circle through them.

``tasks.runtime`` wires the alerts (``default_args`` → ``alerts.notify.failure_callbacks``);
``alerts.deadline`` calls ``alerts.notify`` from its callback. What both need — the period of a
run or a task, the ``TransientExit`` carrier — lives below them (``periods``, ``errors``).
Function-level (lazy) imports count: a circle through them is still a circle for a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "plugins" / "ukg_visma"


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
