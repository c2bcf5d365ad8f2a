"""Hostile Parquet registries: typed cells at the edges of their types, and columns no cell can
hold. Every row is decided or reported with its line; a file that cannot be read cell by cell is
refused whole, in Chinese, before anything is written."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.cli import main


def _run(tmp_path: Path, table: pa.Table, capsys) -> tuple[int, list[list[str]], list[list[str]], str]:
    source = tmp_path / "registry.parquet"
    pq.write_table(table, source)
    out = tmp_path / "out.csv"
    code = main(["batch", str(source), "-o", str(out), "--as-of", "2020-09-15", "--quiet", "--workers", "1"])
    err = capsys.readouterr().err

    def rows(path: Path) -> list[list[str]]:
        if not path.exists():
            return []
        return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))[1:]

    return code, rows(out), rows(tmp_path / "out.errors.csv"), err


EDGE_DAYS = [date(1, 1, 1), date(9999, 12, 31), date(1899, 12, 31), date(2199, 12, 31)]
EDGE_DAYS += [date(1960, 2, 29), None, date(1970, 1, 1), date(2020, 9, 16)]
WORDS = ["是", "否", "\x00", "=1+1", "", None, "是", "否"]


@pytest.mark.parametrize(
    "months",
    [
        pa.array([2**62, -1, 0, 1000, 1001, None, 12, 7], pa.int64()),
        pa.array([float("nan"), float("inf"), -0.0, 1.5, None, 3.0, 1e300, 2.0]),
        pa.array([Decimal("1.50"), Decimal("-3"), None, Decimal("12"), Decimal("0"), None, None, None]),
    ],
    ids=["int64", "float64", "decimal"],
)
def test_typed_cells_at_the_edges_of_their_types_are_decided_or_reported(
    tmp_path: Path, capsys, months: pa.Array
):
    n = 8
    table = pa.table(
        {
            "案件编号": [f"P{i}" for i in range(n)],
            "出生日期": pa.array(EDGE_DAYS, pa.date32()),
            "失业保险累计缴费月数": months,
            "目前已就业": pa.array([True, False, None, True, False, True, None, False]),
            "失业登记日期": pa.array(
                [datetime(2020, 1, 1, 12, 30)] + [datetime(2020, 1, 1)] * 3 + [None] * 4, pa.timestamp("us")
            ),
            "已实现稳定就业": pa.array(WORDS).dictionary_encode(),
        }
    )
    code, decided, errors, err = _run(tmp_path, table, capsys)
    assert code == 0, err
    lines = sorted([int(r[1]) for r in decided] + list({int(r[0]) for r in errors}))
    assert lines == list(range(2, n + 2))  # every row decided or reported, none twice
    assert all(r[3] for r in errors)  # each with its reason
    assert {"2", "3", "4"} <= {r[0] for r in errors}  # years 1 and 9999, 1899: outside 1900–2199


@pytest.mark.parametrize(
    "column",
    [
        pa.array([["是"], ["否"]], pa.list_(pa.string())),
        pa.array([{"a": 1}, {"a": 2}]),
        pa.array([b"\xff\xfe", b"x"], pa.binary()),
    ],
    ids=["list", "struct", "binary"],
)
def test_a_column_no_cell_can_hold_refuses_the_file(tmp_path: Path, capsys, column: pa.Array):
    table = pa.table({"案件编号": ["A", "B"], "目前已就业": column})
    code, decided, _, err = _run(tmp_path, table, capsys)
    assert code == 2
    assert "第2列“目前已就业”的类型是" in err and not decided
    assert not (tmp_path / "out.csv").exists()
