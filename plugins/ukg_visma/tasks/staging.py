"""Staging files between tasks: XCom carries a URI, never a DataFrame.

``ObjectStoragePath`` lets a production deployment put the staging area on S3/GCS by changing
``paths.staging`` in settings.yaml; the embedded default is a folder under the Airflow home.
Files are keyed by DAG run so that two runs never read each other's data.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
from airflow.sdk import ObjectStoragePath

from ukg_visma.settings import load_settings
from ukg_visma.tasks.context import path_part


def _base() -> ObjectStoragePath:
    return ObjectStoragePath(load_settings().staging_path())


def path_for(run_key: str, name: str) -> ObjectStoragePath:
    path = _base() / path_part(run_key) / path_part(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_frame(run_key: str, name: str, frame: pd.DataFrame) -> str:
    path = path_for(run_key, f"{name}.parquet")
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    with path.open("wb") as fh:
        fh.write(buf.getvalue())
    return str(path)


def read_frame(uri: str) -> pd.DataFrame:
    with ObjectStoragePath(uri).open("rb") as fh:
        return pd.read_parquet(io.BytesIO(fh.read()))


def write_json(run_key: str, name: str, data: Any) -> str:
    path = path_for(run_key, f"{name}.json")
    with path.open("w") as fh:
        fh.write(json.dumps(data, default=str))
    return str(path)


def read_json(uri: str) -> Any:
    with ObjectStoragePath(uri).open("r") as fh:
        return json.loads(fh.read())
