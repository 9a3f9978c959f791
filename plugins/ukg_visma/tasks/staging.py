"""Staging files between tasks: XCom carries a URI, never a DataFrame.

``ObjectStoragePath`` lets a production deployment put the staging area on S3/GCS by changing
``paths.staging`` in settings.yaml; the embedded default is a folder under the Airflow home.
Files are keyed by DAG run so that two runs never read each other's data.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from types import TracebackType
from typing import IO, Any

import pandas as pd
from airflow.sdk import ObjectStoragePath

from ukg_visma.run_folders import path_part
from ukg_visma.settings import load_settings


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


class FrameStage:
    """A staged Parquet file written a frame at a time (one block of a GL export, say), so that
    a task never holds the whole file's rows: frames are buffered to ``row_group`` rows, then
    written as a row group. Every frame must have the first one's columns and dtypes.

    Use as a context manager; :attr:`uri` is what XCom carries, :attr:`rows` what was written.
    Nothing is left behind for readers when the block fails: the file is only complete on a
    clean exit (a failed task's partial file is overwritten by its retry).
    """

    def __init__(self, run_key: str, name: str, *, row_group: int = 100_000) -> None:
        self.path = path_for(run_key, f"{name}.parquet")
        self.uri = str(self.path)
        self.rows = 0
        self._row_group = row_group
        self._buffer: list[Any] = []
        self._buffered = 0
        self._fh: IO[bytes] | None = None
        self._writer: Any = None
        self._schema: Any = None

    def __enter__(self) -> FrameStage:
        return self

    def write(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        if self._schema is None:
            self._schema = pa.Schema.from_pandas(frame, preserve_index=False)
        table = pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False)
        self._buffer.append(table)
        self._buffered += table.num_rows
        self.rows += table.num_rows
        if self._buffered >= self._row_group:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._buffer:
            return
        if self._writer is None:
            self._fh = self.path.open("wb")
            self._writer = pq.ParquetWriter(self._fh, self._schema)
        self._writer.write_table(pa.concat_tables(self._buffer))
        self._buffer, self._buffered = [], 0

    def close(self) -> None:
        self._flush()
        if self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
            return
        self._buffer = []
        if self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()


def read_frame(
    uri: str, columns: list[str] | None = None, *, without: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A staged frame; ``columns``: only those, ``without``: all but those (a column not read
    is not held: the staged GL lines' hashes are 64 characters a line)."""
    with ObjectStoragePath(uri).open("rb") as fh:
        data = io.BytesIO(fh.read())
    if without:
        import pyarrow.parquet as pq

        names = pq.read_schema(data).names
        columns = [c for c in (columns or names) if c not in without]
        data.seek(0)
    return pd.read_parquet(data, columns=columns)


def read_groups(
    uri: str,
    *,
    columns: list[str] | None = None,
    without: tuple[str, ...] = (),
    rows: int | None = None,
) -> Iterator[pd.DataFrame]:
    """A staged frame a row group at a time (``rows``: at most that many rows a piece instead),
    so a step can go through a million GL lines holding one group of them."""
    import pyarrow.parquet as pq

    with ObjectStoragePath(uri).open("rb") as fh:
        parquet = pq.ParquetFile(fh)
        columns = [c for c in (columns or parquet.schema_arrow.names) if c not in without]
        if rows is None:
            for group in range(parquet.num_row_groups):
                yield parquet.read_row_group(group, columns=columns).to_pandas()
        else:
            for batch in parquet.iter_batches(batch_size=rows, columns=columns):
                yield batch.to_pandas()


def columns(uri: str) -> list[str]:
    """The column names of a staged frame (read from its footer, not its rows)."""
    import pyarrow.parquet as pq

    with ObjectStoragePath(uri).open("rb") as fh:
        return list(pq.ParquetFile(fh).schema_arrow.names)


def exists(uri: str) -> bool:
    return bool(ObjectStoragePath(uri).exists())


def sibling(uri: str, name: str) -> str:
    """The staged file ``name`` beside ``uri`` (the same DAG run's folder)."""
    return str(ObjectStoragePath(uri).parent / name)


def write_json(run_key: str, name: str, data: Any) -> str:
    path = path_for(run_key, f"{name}.json")
    with path.open("w") as fh:
        fh.write(json.dumps(data, default=str))
    return str(path)


def read_json(uri: str) -> Any:
    with ObjectStoragePath(uri).open("r") as fh:
        return json.loads(fh.read())
