"""The alignment logic is pure (design.md): importing it loads no HTTP, SQL or Airflow code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = ("airflow", "requests", "httpx", "sqlalchemy", "ukg_visma.hooks", "ukg_visma.audit")


def test_importing_alignment_loads_no_io_layer() -> None:
    code = (
        "import sys; import ukg_visma.alignment; "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN[:4]!r} "
        f"or m.startswith({FORBIDDEN[4:]!r})); print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "plugins"), "PATH": ""},
        timeout=120,
    )
    assert result.stdout.strip() == ""
