"""Each GL line's content hash: the audit's ``source_hash``.

Why: a line is named by where it was read (``{runId}/{blockId}/{n}``); the hash lets the audit
notice when a re-read of the same position holds a different line.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ukg_visma.gl.export_frame import CONTENT_COLUMNS

__all__ = ["source_hashes"]


def source_hashes(frame: pd.DataFrame) -> pd.Series:
    """sha256 (hex) of each line's content, aligned with ``frame`` (for the audit's source_hash).

    Computed over the canonical columns (amounts in øre), so a number sent as ``41250`` or
    ``"41250.00"`` hashes the same.
    """
    # the same "\x1f"-joined text of every column's str form, joined by Arrow in one kernel
    # (the Python join over 23 columns was ~2 µs a line); only the sha256 is per line
    texts = []
    for column in CONTENT_COLUMNS:
        values = frame[column]
        if isinstance(values.dtype, pd.StringDtype):
            texts.append(pa.array(values.array).cast(pa.large_string()))
        else:
            texts.append(pa.array(values.astype("str").array).cast(pa.large_string()))
    joined = pc.binary_join_element_wise(*texts, pa.scalar("\x1f", pa.large_string()))
    joined = joined.cast(pa.large_binary())
    sha = hashlib.sha256
    digests = [sha(v).hexdigest() for v in joined.to_pylist()]
    return pd.Series(digests, index=frame.index, dtype="str")
