"""``ukg-visma demo`` (what ``make demo`` runs), as a user runs it: a fresh Airflow home, the
sandbox started by the command itself (UKG serving only its published contract), the DAGs run with
``airflow dags test``. The month posts, the employee sync ends green; a second demo over the same
state posts nothing new (the first one's journals are found in Visma).

A journey (minutes of ``airflow`` process start-up), so not in ``make test``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from airflow_fixture import deployment_env

pytestmark = [pytest.mark.e2e, pytest.mark.journey]

ROOT = Path(__file__).resolve().parents[3]
UKG_VISMA = Path(sys.executable).parent / "ukg-visma"


def _demo(env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(UKG_VISMA), "demo", "--employees", "150"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    return done.stdout


def test_make_demo_posts_the_month_and_syncs_employees_then_posts_nothing_twice(
    airflow_home, tmp_path
):
    home = airflow_home(tmp_path / "home")
    env = {
        **deployment_env(home, tmp_path / "audit.db"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PATH": f"{UKG_VISMA.parent}{os.pathsep}{os.environ.get('PATH', '')}",  # as make sets it
    }
    for name in [k for k in env if k.startswith("AIRFLOW_CONN_")]:
        env.pop(name)  # the demo's own sandbox gives the connections
    env.pop("UKG_VISMA_MAPPINGS_DIR", None)  # the repository's mappings, as `make demo` uses

    first = _demo(env)
    for dag_id in ("ukg_visma_cost_center_alignment", "ukg_visma_employee_sync",
                   "ukg_visma_payroll_gl"):  # fmt: skip
        assert f"  {dag_id}" in first
    assert "UKG GL runs of 2026-10 (run_id param): NMF-202610-R1, NMF-202610-C1" in first
    posted = re.search(r"Posted (\d+) new journal\(s\) to Visma\.", first)
    assert posted and int(posted.group(1)) >= 2, first[-3000:]  # the regular and off-cycle run
    assert "== ukg_visma_employee_sync" in first

    second = _demo(env)
    assert "Nothing new was posted: every journal of this period is already in Visma." in second
