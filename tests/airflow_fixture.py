"""Airflow metadata DBs for tests: the session's (``dag.test``) and private ones for CLI tests.

``airflow db migrate`` runs once per session, with the real command as a user's first run would,
into a template home; the session's ``AIRFLOW_HOME`` (tests/conftest.py) and every test that needs
an Airflow home of its own (``airflow connections add``, an api-server) get a copy of that
migrated SQLite file — a file copy instead of one more two-minute migration each.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

AIRFLOW = Path(sys.executable).parent / "airflow"
DB_FILE = "airflow.db"  # Airflow's default: sqlite:///$AIRFLOW_HOME/airflow.db
# How often ``dag.test()`` looks again when it finds no task to run (Airflow's own: 1 s).
DAG_TEST_POLL_SECONDS = 0.2
_DAG_TEST_FILE = str(Path("airflow", "sdk", "definitions", "dag.py"))


@pytest.fixture(scope="session", autouse=True)
def dag_test_polls_briskly() -> Iterator[None]:
    """``dag.test()`` sleeps a whole second whenever no task is ready — while upstream failures
    settle, a retry's delay runs out, or a controller's answer is pending — several times in a
    failing or approved run; over the suite's DAG runs that is minutes of nothing. Its loop looks
    again every :data:`DAG_TEST_POLL_SECONDS` instead. Only that loop's sleep is shortened (told
    by the calling frame): every other sleep, and what the loop decides, stay as they are.
    """
    real = time.sleep

    def sleep(seconds: float) -> None:
        caller = sys._getframe(1).f_code
        if caller.co_name == "test" and caller.co_filename.endswith(_DAG_TEST_FILE):
            seconds = min(seconds, DAG_TEST_POLL_SECONDS)
        real(seconds)

    time.sleep = sleep
    yield
    time.sleep = real


def _migrate(home: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__DATABASE__")}
    env["AIRFLOW_HOME"] = str(home)
    out = subprocess.run(
        [str(AIRFLOW), "db", "migrate"], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return home / DB_FILE


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A freshly migrated metadata DB that nobody writes to; copy it, never open it.

    Under pytest-xdist the workers share one (the first migrates under a lock, the others wait
    and copy): the folder is this run's own, above the workers' base temp dirs.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        home = tmp_path_factory.getbasetemp().parent / "airflow-template"
        home.mkdir(exist_ok=True)
        with (home / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (home / ".migrated").exists():
                _migrate(home)
                (home / ".migrated").touch()
        yield home / DB_FILE
        return
    home = Path(tempfile.mkdtemp(prefix="ukgv-airflow-template-"))
    db = _migrate(home)
    yield db
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db(migrated_template: Path) -> str:
    """The session's ``AIRFLOW_HOME`` with a migrated metadata DB (copied once)."""
    home = Path(os.environ["AIRFLOW_HOME"])
    stamp = home / ".migrated"
    if not stamp.exists():
        home.mkdir(parents=True, exist_ok=True)
        if os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):  # a DB elsewhere: migrate it
            subprocess.run([str(AIRFLOW), "db", "migrate"], check=True, capture_output=True)
        else:
            shutil.copyfile(migrated_template, home / DB_FILE)
        stamp.touch()
    return str(home)


def deployment_env(home: Path, store: Path) -> dict[str, str]:
    """The environment of a process that is a deployment of its own: its Airflow home (metadata
    DB at the default place), its own SQLite audit store, and the test helpers a ``-c`` script
    imports (``tests/dags``, ``tests/shared``) on its path."""
    tests = Path(__file__).resolve().parent
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "UKG_VISMA_AUDIT_URL": f"sqlite:///{store}",
        "PYTHONPATH": os.pathsep.join(
            [str(tests / "dags"), str(tests / "shared"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
    return env


@pytest.fixture
def airflow_home(migrated_template: Path) -> Callable[[Path], Path]:
    """``airflow_home(path)``: a private Airflow home at ``path`` holding a migrated metadata DB
    (at the default location, so no ``AIRFLOW__DATABASE__*`` setting is needed)."""

    def make(path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(migrated_template, path / DB_FILE)
        return path

    return make
