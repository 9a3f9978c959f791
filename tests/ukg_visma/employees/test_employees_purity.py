"""The employee logic is pure: importing it loads no HTTP client, database layer or Airflow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = ("airflow", "requests", "httpx", "sqlalchemy", "ukg_visma.hooks", "ukg_visma.audit")


def test_employees_package_imports_nothing_impure():
    code = (
        "import json, sys\n"
        "import ukg_visma.employees.models, ukg_visma.employees.diff\n"
        "import ukg_visma.employees.visma_payload, ukg_visma.employees.headcount\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "plugins"), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(out.stdout)
    offenders = [m for m in loaded if m.split(".")[0] in FORBIDDEN or m.startswith(FORBIDDEN)]
    assert offenders == []
