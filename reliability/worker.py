"""A DAG run in its own process, so that the campaign can SIGKILL it mid-task.

``python -m reliability.worker DAG_ID PERIOD LOGICAL_DATE`` — the environment (Airflow home,
connections, audit store, mappings) is the campaign's, inherited.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    from airflow.dag_processing.dagbag import DagBag

    dag_id, conf, logical = argv
    bag = DagBag(dag_folder=str(ROOT / "dags" / f"{dag_id}.py"))
    at = dt.datetime.fromisoformat(logical)
    dagrun = bag.dags[dag_id].test(run_after=at, logical_date=at, run_conf=json.loads(conf))
    return 0 if str(dagrun.state) == "success" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
