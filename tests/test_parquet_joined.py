"""Parquet part files joined by their bytes are the file one writer makes of the same tables."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.columnar.joined import join

SCHEMA = pa.schema(
    [("行号", pa.int64()), ("结论", pa.dictionary(pa.int32(), pa.string())), ("姓名", pa.string())]
)


def _writer(where):
    return pq.ParquetWriter(where, SCHEMA, store_schema=False, write_statistics=["行号"])


def _table(start: int, n: int) -> pa.Table:
    words = pa.array(["符合", "不符合", "需补充信息"])
    return pa.table(
        [
            pa.array(range(start, start + n), pa.int64()),
            pa.DictionaryArray.from_arrays(
                pa.array([k % 3 if k % 7 else None for k in range(n)], pa.int32()), words
            ),
            pa.array([f"名{k}" if k % 5 else None for k in range(n)]),
        ],
        schema=SCHEMA,
    )


@pytest.mark.parametrize("kernel", [True, False])
# 20 parts: over 15 row groups, a list the footer heads in Thrift's long form
@pytest.mark.parametrize("sizes", [[], [0], [1], [3000, 0, 17, 2500], [100] * 20])
def test_joined_parts_are_one_writer_s_bytes(tmp_path, monkeypatch, sizes, kernel):
    if not kernel:

        def refused(*args):
            raise OSError(18, "Invalid cross-device link")

        monkeypatch.setattr(os, "copy_file_range", refused)
    tables, start = [], 2
    for n in sizes:
        tables.append(_table(start, n))
        start += n
    with _writer(tmp_path / "whole.parquet") as writer:
        for t in tables:
            writer.write_table(t)
    parts = []
    for k, t in enumerate(tables):
        parts.append(tmp_path / f"part-{k}.parquet")
        with _writer(parts[-1]) as writer:
            writer.write_table(t)
    empty = pa.BufferOutputStream()
    _writer(empty).close()
    with (tmp_path / "joined.parquet").open("wb") as out:
        join(parts, empty.getvalue().to_pybytes(), out)
    assert (tmp_path / "joined.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    if tables:
        assert pq.read_table(tmp_path / "joined.parquet").equals(pq.read_table(tmp_path / "whole.parquet"))
