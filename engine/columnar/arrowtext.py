"""A String column's text as Arrow holds it: one buffer of UTF-8 bytes and each row's offset in it.

Reading rows there costs no Python string or bytes per row (the chunk's CSV text, ID numbers'
characters) where a per-row conversion would cost more than the work done with them.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa


def text_buffer(text: pl.Series) -> tuple[np.ndarray, pa.Buffer]:
    """(each row's start offset and one more, the end of the last; the bytes of every row) for a
    String Series of at least one row, a null row read as empty."""
    column = text.to_arrow(compat_level=pl.CompatLevel.oldest())  # large_string: no copy to cast
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if column.null_count:
        column = column.fill_null("")
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int64)
    return offsets[column.offset : column.offset + len(column) + 1], column.buffers()[2]
