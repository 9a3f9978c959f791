"""What importing a package or parsing a DAG file loads, measured in fresh interpreters — all of
them from one subprocess per test session.

Purity and parse-time checks each used to start an interpreter of their own. Here one subprocess
starts with the standard library only and forks a child per check: each child begins from that
clean state, imports what the check names and reports the modules it loaded. The DAG files are
then parsed the same way, each in a child forked after ``airflow.sdk`` was imported once (a DAG
processor has Airflow loaded before it parses a file), which reports the parse time and the
modules the file pulled in.

``probe()`` returns ``{"imports": {name: [modules]}, "dags": {stem: {"seconds", "loaded"}}}``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))
# Packages that must stay free of I/O layers, and what importing each means.
PURE = {
    "alignment": ["ukg_visma.alignment"],
    "employees": [
        "ukg_visma.employees.models",
        "ukg_visma.employees.diff",
        "ukg_visma.employees.visma_payload",
        "ukg_visma.employees.headcount",
    ],
}
IO_LAYERS = ("airflow", "requests", "httpx", "sqlalchemy", "ukg_visma.hooks", "ukg_visma.audit")

_CHILD = r"""
import json, os, sys, time, runpy

def in_child(job):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            out = {"ok": True, **job()}
        except BaseException as exc:
            out = {"ok": False, "error": repr(exc)}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 1 << 16):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data)

def importing(modules):
    def job():
        before = set(sys.modules)
        for name in modules:
            __import__(name)
        return {"loaded": sorted(set(sys.modules) - before)}
    return job

def parsing(path):
    def job():
        before = set(sys.modules)
        started = time.perf_counter()
        runpy.run_path(path)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "loaded": sorted(set(sys.modules) - before)}
    return job

spec = json.loads(sys.argv[1])
result = {"imports": {k: in_child(importing(v)) for k, v in spec["imports"].items()}}
import airflow.sdk  # noqa: E402,F401 - loaded before any DAG file, as in a DAG processor
result["dags"] = {stem: in_child(parsing(p)) for stem, p in spec["dags"].items()}
print(json.dumps(result))
"""


@cache
def probe() -> dict[str, Any]:
    spec = {"imports": PURE, "dags": {p.stem: str(p) for p in DAG_FILES}}
    env = {"PYTHONPATH": str(ROOT / "plugins"), "PATH": ""}
    # Airflow needs its home and DAG folder; nothing else from the test session leaks in.
    env |= {
        k: v
        for k, v in os.environ.items()
        if k.startswith("AIRFLOW") or k == "PYTHONDONTWRITEBYTECODE"
    }
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for group in result.values():
        for name, item in group.items():
            assert item["ok"], f"{name}: {item['error']}"
    return result


def io_layers(loaded: list[str]) -> list[str]:
    """The modules in ``loaded`` that belong to an I/O layer."""
    return [m for m in loaded if m.split(".")[0] in IO_LAYERS or m.startswith(IO_LAYERS)]
