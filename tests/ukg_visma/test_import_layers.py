"""The package's imports run one way: no circle anywhere, and no import that runs back up the
layers written down in ``docs/architecture.md`` (and in ``LAYERS`` below — the two say the same).

The graph is built statically, from the source of every module under ``plugins/ukg_visma``:
imports at module level, inside functions (lazy) and under ``TYPE_CHECKING`` all count — a
circle through a lazy import is still a circle for a reader. ``from package import name`` is an
edge to the package's ``__init__`` and, where ``name`` is a submodule, to the submodule; write
``import package.submodule as name`` when only the submodule is meant. A dotted name in a string
(``"ukg_visma.commands.audit"``, ``"ukg_visma.lineage_openlineage.to_dataset"``) is an edge too:
it is what ``importlib`` or Airflow imports later (the CLI's command list, the hooks' lazy
exports, the provider metadata).
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "plugins" / "ukg_visma"
DAGS = PACKAGE.parents[1] / "dags"

# The layers, bottom first. A module may import its own layer and the layers below, never one
# above. A module's layer is that of the longest prefix listed for it (so one module of a
# package can sit elsewhere than its package, saying why).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base: errors, money, settings, periods and small vocabularies everything shares",
        (
            "ukg_visma",  # the package __init__: __version__
            "ukg_visma.errors",
            "ukg_visma.money",
            "ukg_visma.settings",
            "ukg_visma.periods",
            "ukg_visma.companies",
            "ukg_visma.log_text",
            "ukg_visma.xcom_keys",
            "ukg_visma.run_folders",
            "ukg_visma.ukg_events",
        ),
    ),
    (
        "pure logic: frames and models in, frames and models out — no HTTP, no store",
        ("ukg_visma.mappings", "ukg_visma.gl", "ukg_visma.employees", "ukg_visma.alignment"),
    ),
    (
        "stores and clients: the audit store (SQL) and the hooks (HTTP)",
        ("ukg_visma.audit", "ukg_visma.hooks"),
    ),
    (
        "Airflow surfaces: triggers, assets, alerts, UI pages, lineage, the webhook receiver",
        (
            "ukg_visma.events",
            "ukg_visma.alerts",
            "ukg_visma.ui",
            "ukg_visma.lineage",
            "ukg_visma.lineage_openlineage",
            "ukg_visma.webhooks",
        ),
    ),
    (
        "below the steps: the task runtime and what several steps share",
        ("ukg_visma.tasks",),
    ),
    (
        "steps: the modules a DAG task calls into; a step never imports another step",
        (
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
            # the payroll DAG's first task is this sensor: a step that lives beside its trigger
            "ukg_visma.events.gl_sensor",
        ),
    ),
    (
        "entry points: the CLI and its commands, the provider metadata",
        ("ukg_visma.cli", "ukg_visma.commands", "ukg_visma.provider_info"),
    ),
]
STEP_LAYER = next(i for i, (name, _) in enumerate(LAYERS) if name.startswith("steps"))
STEPS = set(LAYERS[STEP_LAYER][1])


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    if not parts:
        return PACKAGE / "__init__.py"
    rel = Path(*parts)
    for candidate in (PACKAGE / rel.with_suffix(".py"), PACKAGE / rel / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _all_modules() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append(".".join(parts))
    return out


def _absolute(module: str, node: ast.ImportFrom) -> str | None:
    """The absolute module of ``from ... import`` (relative imports resolved against ``module``)."""
    if not node.level:
        return node.module
    path = _module_file(module)
    package = module.split(".") if path and path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _named_module(dotted: str) -> str:
    """The module a dotted name stands for (``ukg_visma.a.b.Cls`` → ``ukg_visma.a.b``)."""
    parts = dotted.split(".")
    while len(parts) > 1 and _module_file(".".join(parts)) is None:
        parts.pop()
    return ".".join(parts)


@cache
def _imports(name: str) -> frozenset[str]:
    """Every ``ukg_visma`` module that ``name`` imports anywhere in its body."""
    path = _module_file(name)
    if path is None:
        return frozenset()
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = _absolute(name, node)
            if target and target.split(".")[0] == "ukg_visma":
                out.add(target)
                out.update(f"{target}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "ukg_visma")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("ukg_visma.")
            and " " not in node.value
        ):
            out.add(_named_module(node.value))
    return frozenset(m for m in out if m != name and _module_file(m) is not None)


@cache
def _graph() -> dict[str, frozenset[str]]:
    return {name: _imports(name) for name in _all_modules()}


def layer_of(module: str) -> int:
    """The index in ``LAYERS`` of the longest prefix that names ``module``."""
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def _circles() -> list[list[str]]:
    """Strongly connected groups of the import graph (Tarjan): each one holds a circle."""
    graph = _graph()
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
            if len(group) > 1:
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


def _a_circle(group: list[str]) -> list[str]:
    """One concrete circle through the group's first module: the shortest way back to it."""
    graph, start, members = _graph(), group[0], set(group)
    came_from: dict[str, str] = {}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if nxt not in came_from:
                came_from[nxt] = node
                todo.append(nxt)
    raise AssertionError(f"no circle found through {start}")  # a group always holds one


def test_the_walk_sees_the_whole_package() -> None:
    modules = _all_modules()
    assert len(modules) > 100 and "ukg_visma.hooks.base" in modules
    assert "ukg_visma.hooks.retry" in _imports("ukg_visma.hooks.base")
    # a lazy import inside a function is an edge
    assert "ukg_visma.hooks.probe" in _imports("ukg_visma.hooks.base")
    # so is a module named in a string for importlib (the CLI's commands, the hooks' exports)
    assert "ukg_visma.commands.audit" in _imports("ukg_visma.commands")
    assert "ukg_visma.hooks.visma" in _imports("ukg_visma.hooks")
    assert "ukg_visma.lineage_openlineage" in _imports("ukg_visma.provider_info")


def test_every_module_has_a_layer() -> None:
    assert [m for m in _all_modules() if layer_of(m) < 0] == []


def test_no_import_circle_anywhere_in_the_package() -> None:
    circles = [" → ".join(_a_circle(group)) for group in _circles()]
    assert circles == [], "import circles:\n" + "\n".join(circles)


def test_no_import_runs_back_up_the_layers() -> None:
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0].split(':')[0]}) imports {target} "
        f"({LAYERS[layer_of(target)][0].split(':')[0]})"
        for module, targets in sorted(_graph().items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == [], "imports that run back up:\n" + "\n".join(upward)


def test_no_step_imports_another_step() -> None:
    found = {m: sorted(_imports(m) & (STEPS - {m})) for m in sorted(STEPS)}
    assert {m: t for m, t in found.items() if t} == {}


def test_the_layers_are_written_down_in_the_architecture_doc() -> None:
    doc = (PACKAGE.parents[1] / "docs" / "architecture.md").read_text()
    for name, prefixes in LAYERS:
        assert name.split(":")[0] in doc, name
        for prefix in prefixes:
            shown = (
                prefix.removeprefix("ukg_visma").removeprefix(".").replace(".", "/") or "ukg_visma"
            )
            assert f"`{shown}" in doc, prefix


def _dag_steps() -> set[str]:
    """The modules the DAG files import a task's callable from, beyond the task runtime and
    what is shared below the steps (each such import names its module's layer)."""
    out: set[str] = set()
    for path in DAGS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.module):
                continue
            if not node.module.startswith("ukg_visma.tasks") and node.module not in STEPS:
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                module = sub if _module_file(sub) else node.module
                if layer_of(module) == STEP_LAYER:
                    out.add(module)
    return out


def test_the_step_list_is_every_step_module_the_dags_call() -> None:
    """Every module listed as a step is one a DAG calls a task from."""
    assert _dag_steps() == STEPS


def test_nothing_the_dags_call_from_tasks_is_unlisted() -> None:
    """What a DAG imports from ``ukg_visma.tasks`` that is not a step is the task wrapper or a
    module shared below the steps — never a step someone forgot to list."""
    below = {
        "ukg_visma.tasks.runtime",
        "ukg_visma.tasks.employee_sync.context",
        "ukg_visma.tasks.payroll.staged",
    }
    called: set[str] = set()
    for path in DAGS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("ukg_visma.tasks")
            ):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    called.add(sub if _module_file(sub) else node.module)
    assert called - STEPS <= below, sorted(called - STEPS - below)


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        # the imports that ran back up, each removed once (issue #27)
        ("ukg_visma.hooks.probe", "ukg_visma.hooks.base"),
        ("ukg_visma.ui.notes", "ukg_visma.tasks.payroll.approval"),
        ("ukg_visma.ui.report_page", "ukg_visma.tasks.context"),
        ("ukg_visma.tasks.payroll.gl_events", "ukg_visma.events.triggers"),
        ("ukg_visma.alerts.deadline", "ukg_visma.tasks.runtime"),
        ("ukg_visma.alerts.notify", "ukg_visma.tasks.runtime"),
        ("ukg_visma.events.gl_sensor", "ukg_visma.tasks.payroll.extract"),
    ],
)
def test_an_import_once_removed_stays_removed(lower: str, higher: str) -> None:
    assert higher not in _imports(lower), f"{lower} imports {higher}"
