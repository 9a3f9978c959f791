"""One DAG of this repository, parsed from its own file as a DAG processor would parse it.

The end-to-end tests each run one DAG in-process (``dag.test``); they load it through here so
that a parse error fails the test with the import error, not with a ``KeyError``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def load_dag(dag_id: str) -> Any:
    """``dags/{dag_id}.py`` parsed alone; asserts it parses without an import error."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / f"{dag_id}.py"))
    assert bag.import_errors == {}
    return bag.dags[dag_id]
