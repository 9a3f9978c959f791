"""DAGs whose issue has not landed must not pretend to work: their only task raises.

Each entry disappears when its issue replaces the placeholder with the real pipeline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PENDING = {
    "ukg_visma_employee_sync": "#7",
}


@pytest.mark.parametrize("dag_id", sorted(PENDING))
def test_pending_dag_raises(dag_id):
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags" / f"{dag_id}.py")).dags[dag_id]
    assert [t.task_id for t in dag.tasks] == ["not_implemented"]
    with pytest.raises(NotImplementedError, match=PENDING[dag_id]):
        dag.get_task("not_implemented").python_callable()
