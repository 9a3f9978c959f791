"""``docker-compose.yaml``'s Airflow settings, read as compose reads them: one source for two tiers.

The production compose file and the native Celery tier (``tests/distributed/airflow_cluster.py``)
must run Airflow with the same settings, so the tier does not keep its own copy: it takes the
``x-airflow-common`` environment from the compose file, interpolated with local values (what a
``.env`` would hold), and moves the compose service endpoints (``postgres``, ``redis``,
``airflow-api-server``, ``/opt/ukg-visma``) to where the native processes run. The parser-level
compose tests use the same interpolation, so "every variable has a value" means the same in both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yaml"
# Where the compose file mounts the project inside the Airflow containers.
CONTAINER_PROJECT = "/opt/ukg-visma"

_REFERENCE = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_]\w*))"
)


class MissingVariableError(ValueError):
    """A ``${NAME:?message}`` reference without a value: compose would refuse to start."""


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """Compose's interpolation of ``$$``, ``$NAME``, ``${NAME}``, ``${NAME:-default}``,
    ``${NAME-default}``, ``${NAME:?error}`` and ``${NAME?error}``; unset without default = ""."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        value = values.get(name)
        missing = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-") and missing:
            return interpolate(arg, values)
        if op in (":?", "?") and missing:
            raise MissingVariableError(f"{name}: {arg}")
        return value or ""

    return _REFERENCE.sub(replace, text)


def read_env_file(path: Path, values: Mapping[str, str] | None = None) -> dict[str, str]:
    """A ``.env`` file as compose reads it: quotes stripped, ``${...}`` interpolated in order."""
    result = dict(values or {})
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{path.name}: not KEY=VALUE: {raw!r}")
        if len(value) >= 2 and value[0] == value[-1] == "'":
            result[key.strip()] = value[1:-1]  # single quotes: literal, as in compose
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        result[key.strip()] = interpolate(value, result)
    return result


def load_compose(path: Path = COMPOSE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def service_environment(
    service: str, values: Mapping[str, str], compose: dict | None = None
) -> dict[str, str]:
    """One service's ``environment`` (anchors merged), interpolated with ``values``."""
    compose = compose or load_compose()
    env = compose["services"][service].get("environment", {})
    return {key: interpolate(str(value), values) for key, value in env.items()}


def airflow_common_environment(
    values: Mapping[str, str], compose: dict | None = None
) -> dict[str, str]:
    """The ``x-airflow-common`` environment every Airflow service starts from, interpolated."""
    compose = compose or load_compose()
    env = compose["x-airflow-common"]["environment"]
    return {key: interpolate(str(value), values) for key, value in env.items()}


def relocate(
    env: Mapping[str, str], endpoints: Mapping[str, str], project_dir: Path
) -> dict[str, str]:
    """Move compose service endpoints to local ones, keeping each URL's scheme, user and path.

    ``endpoints`` maps a compose ``host:port`` (``postgres:5432``) to a local URL whose host and
    port replace it; a local URL with a path (a Redis DB number) replaces the path too. The
    project mount ``/opt/ukg-visma`` becomes ``project_dir``. Any other value is kept as is.
    """
    out = {}
    for key, value in env.items():
        if value.startswith(CONTAINER_PROJECT):
            value = str(project_dir) + value[len(CONTAINER_PROJECT) :]
        elif "://" in value:
            parts = urlsplit(value)
            hostport = f"{parts.hostname}:{parts.port}"
            if hostport in endpoints:
                local = urlsplit(endpoints[hostport])
                userinfo = parts.netloc.rpartition("@")[0]
                if local.username is not None or local.password is not None:
                    userinfo = local.netloc.rpartition("@")[0]
                netloc = f"{userinfo}@{local.hostname}:{local.port}" if userinfo else local.netloc
                path = local.path if local.path not in ("", "/") else parts.path
                value = urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))
        out[key] = value
    return out
