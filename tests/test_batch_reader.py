"""The reader's two ways through a file agree: plain lines split at commas, the rest by ``csv.reader``.

Chunks of lines with no quote, lone CR or undecodable byte are split by the worker itself;
every other chunk goes record by record through ``csv.reader``. Whatever a file holds, the rows,
their lines and errors, and where each chunk ends must be what reading it record by record gives.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from engine.batch.reader import Plain, Reader, Row

HEAD = "案件编号,出生日期,姓名\r\n"

LINES = [
    "P{i},1970-01-01,张三\r\n",
    "P{i},1970-01-01,张三\n",  # LF only, as some systems write
    "P{i},, spaced \r\n",
    "\r\n",  # blank
    "\n",
    ",,\r\n",
    "P{i},1970-01-01\r\n",  # too few fields
    "P{i},1970-01-01,a,b\r\n",  # too many
    'P{i},"1970-01-01",李四\r\n',  # quoted
    'P{i},,"两行\r\n第二行"\r\n',  # a quoted line break
    'P{i},,"未闭合\r\n',  # a quote never closed
    "P{i},,lone\rCR\r\n",
    "P{i},,nul\x00here\r\n",
    "P{i},,ﬀ\u2028unicode line separator\r\n",
]
BAD_BYTES = b"P9,,\xff\xfe\r\n"


def _records(path: Path) -> tuple[list[Row], list[tuple[int, int]]]:
    reader = Reader(path)
    records = list(reader)
    reader.close()
    return [(r.line, r.fields, r.error) for r in records], [(r.end, r.next_line) for r in records]


def _chunked(
    path: Path, size: int
) -> tuple[list[tuple[int, list[str], str | None]], list[tuple[int, int]], int]:
    reader = Reader(path)
    rows, ends, plain = [], [], 0
    for chunk in reader.chunks(size):
        if isinstance(chunk.rows, Plain):
            plain += 1
            rows += chunk.rows.rows()
        else:
            rows += chunk.rows
        ends.append((chunk.end, chunk.next_line))
    reader.close()
    return rows, ends, plain


def _write(path: Path, seed: int, encoding: str) -> Path:
    rng = random.Random(seed)
    parts = [HEAD.encode("utf-8-sig" if encoding == "utf-8" else encoding)]
    i = 0
    while i < 400:
        # runs of plain lines, so that whole chunks of them occur, between odd lines
        for _ in range(rng.randint(0, 120)):
            parts.append(LINES[rng.randint(0, 2)].format(i=i).encode(encoding))
            i += 1
        for _ in range(rng.randint(1, 3)):
            odd = (
                BAD_BYTES if rng.random() < 0.1 else rng.choice(LINES).format(i=i).encode(encoding, "replace")
            )
            parts.append(odd)
            i += 1
    if rng.random() < 0.5:
        parts.append(b"P-last,1970-01-01,no line break at the end")
    path.write_bytes(b"".join(parts))
    return path


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_chunks_read_as_record_by_record(tmp_path, seed, encoding):
    path = _write(tmp_path / "r.csv", seed, encoding)
    expected, record_ends = _records(path)
    size = [1, 7, 40][seed % 3]
    rows, chunk_ends, plain = _chunked(path, size)
    assert rows == expected
    assert set(chunk_ends) <= set(record_ends) and chunk_ends[-1] == record_ends[-1]
    if size > 1:
        assert plain, "some chunk of plain lines was read by the fast way"


def test_a_field_longer_than_the_csv_limit_is_read_by_the_csv_module(tmp_path):
    limit = csv.field_size_limit()
    path = tmp_path / "long.csv"
    path.write_text(HEAD + f"P1,1970-01-01,{'长' * (limit + 1)}\r\nP2,1970-01-01,短\r\n", encoding="utf-8")
    expected, _ = _records(path)
    rows, _, plain = _chunked(path, 10)
    assert rows == expected and plain == 0
    assert expected[0][2] is not None  # the csv module refuses the field


def test_resuming_at_an_offset_reads_plain_chunks_from_there(tmp_path):
    path = _write(tmp_path / "r.csv", 3, "utf-8")
    expected, ends = _records(path)
    offset, line = ends[99]
    reader = Reader(path, offset, line)
    rows = []
    for chunk in reader.chunks(25):
        rows += chunk.rows.rows() if isinstance(chunk.rows, Plain) else chunk.rows
    reader.close()
    assert rows == [r for r in expected if r[0] >= line]


@pytest.mark.parametrize(
    "data, zh, en",
    [
        ("\r\n  \r\n" + HEAD + "P1,1970-01-01,张三\r\n", "第1行没有列名", "Line 1 holds no column names"),
        (",,\r\n" + HEAD, "第1行没有列名", "Line 1 holds no column names"),
        ("\r\n \r\n\r\n", "文件是空的", "The file is empty"),
    ],
)
def test_a_file_whose_first_line_names_no_column_says_so(tmp_path, data, zh, en):
    """Blank lines (or a line of commas) above the header: what is there, not "the file is empty"."""
    from engine.batch.reader import FileError

    path = tmp_path / "r.csv"
    path.write_text(data, encoding="utf-8")
    with pytest.raises(FileError) as refused:
        Reader(path)
    assert zh in refused.value.text("zh") and en in refused.value.text("en")
