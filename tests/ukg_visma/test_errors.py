"""Every exception the package defines says whether a retry can fix it (issue #14).

The DAGs' retry policy decides by the two marker classes in ``ukg_visma.errors``; an exception
that carries neither falls to the "unexpected" branch (few retries). So each one must be
classified — transient (``Retryable``) or permanent (``NotRetryable``), never both — except the
explicit base classes below, which the package never raises itself.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import ukg_visma
from ukg_visma.errors import NotRetryable, Retryable

PACKAGE = Path(ukg_visma.__file__).parent
# Base classes: only their subclasses are raised (checked below from the source).
BASES = {
    "ukg_visma.errors.NotRetryable",
    "ukg_visma.errors.Retryable",
    "ukg_visma.hooks.exceptions.HookError",
    "ukg_visma.hooks.exceptions.ApiError",
    "ukg_visma.gl.extract.GLExportError",
}


def _modules() -> list[str]:
    names = [ukg_visma.__name__]
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="ukg_visma."):
        names.append(info.name)
    return sorted(names)


def _exception_types() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == name:
                found[f"{name}.{obj.__qualname__}"] = obj
    return found


EXCEPTIONS = _exception_types()


def test_the_walk_finds_the_package_exceptions():
    assert len(EXCEPTIONS) >= 30
    for known in ("ukg_visma.gl.extract.IncompleteExportError",
                  "ukg_visma.hooks.exceptions.TransientError",
                  "ukg_visma.employees.quarantine.SnapshotRejected"):  # fmt: skip
        assert known in EXCEPTIONS


# Not errors but carriers: take a Retryable out of a task without its trace (tasks/runtime.py), or
# a known failure said as one sentence (ui/failures.py); the policy decides on what they carry.
CARRIERS = {"ukg_visma.errors.TransientExit", "ukg_visma.ui.failures.ExplainedExit"}


def test_the_carrier_is_a_system_exit_that_no_except_exception_catches():
    from ukg_visma.errors import TransientExit

    assert set(EXCEPTIONS) >= CARRIERS
    assert issubclass(TransientExit, SystemExit) and not issubclass(TransientExit, Exception)


@pytest.mark.parametrize("name", sorted(set(EXCEPTIONS) - BASES - CARRIERS))
def test_every_exception_is_transient_or_permanent(name):
    cls = EXCEPTIONS[name]
    transient, permanent = issubclass(cls, Retryable), issubclass(cls, NotRetryable)
    assert transient != permanent, f"{name}: Retryable={transient}, NotRetryable={permanent}"


def test_the_allow_list_names_real_classes():
    assert set(EXCEPTIONS) >= BASES


def test_base_classes_are_never_raised_directly():
    bare = {name.rsplit(".", 1)[1] for name in BASES}
    raised = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name) and func.id in bare:
                    raised.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {func.id}")
    assert raised == []


@pytest.mark.parametrize(
    ("name", "transient"),
    [
        ("ukg_visma.gl.extract.IncompleteExportError", False),
        ("ukg_visma.gl.extract.MalformedExportError", False),
        ("ukg_visma.hooks.exceptions.TransientError", True),
        ("ukg_visma.hooks.exceptions.RateLimitError", True),
        ("ukg_visma.hooks.exceptions.ResponseLostError", True),
        ("ukg_visma.hooks.exceptions.ServerError", True),
        # a 2xx that is no usable document (HTML page, empty, cut JSON, wrong shape): transient,
        # but capped to a few tries (max_task_retries) — gateways do that; contracts don't heal
        ("ukg_visma.hooks.exceptions.MalformedResponseError", True),
        ("ukg_visma.hooks.exceptions.UnexpectedResponseError", False),
        ("ukg_visma.hooks.exceptions.ValidationError", False),
        ("ukg_visma.hooks.exceptions.AuthenticationError", False),
        ("ukg_visma.hooks.exceptions.NotFoundError", False),
        ("ukg_visma.audit.ledger.JournalBusyError", True),
    ],
)
def test_the_ones_that_matter_most(name, transient):
    assert issubclass(EXCEPTIONS[name], Retryable) is transient


def test_only_malformed_answers_cap_their_task_retries():
    capped = {n for n, c in EXCEPTIONS.items() if getattr(c, "max_task_retries", None) is not None}
    assert capped == {"ukg_visma.hooks.exceptions.MalformedResponseError"}
    assert (
        1 <= EXCEPTIONS["ukg_visma.hooks.exceptions.MalformedResponseError"].max_task_retries <= 5
    )


def test_unmapped_status_codes_map_to_classified_errors():
    import requests

    from ukg_visma.hooks.exceptions import RequestRefusedError, ServerError, map_response

    def answer(status: int) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = b'{"message": "x"}'
        return response

    assert type(map_response(answer(500), service="Visma", method="GET", path="/x")) is ServerError
    assert type(map_response(answer(501), service="Visma", method="GET", path="/x")) is ServerError
    assert isinstance(
        map_response(answer(415), service="Visma", method="GET", path="/x"), RequestRefusedError
    )
