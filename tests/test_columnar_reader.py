"""The column reader vouches for the rows a clean registry holds.

A row the column reader cannot vouch for is read one by one by the per-row reader: the answer is
the same, only slower, so no differential test notices when a change to the case models (a new
validator, a new shared reader) silently sends every row that way. These tests do.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import polars as pl

from engine.batch.columns import map_columns
from engine.columnar.parse import VALIDATORS_KNOWN, limits, read_block
from engine.evaluate import default_engine

AS_OF = date(2020, 9, 15)


def test_every_validator_of_the_case_models_is_one_the_column_reader_reproduces():
    assert VALIDATORS_KNOWN


def _read(path: Path, as_of: date = AS_OF):
    engine = default_engine()
    with path.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    cols = map_columns(header, "person", engine.book.confirmation_keys())
    cells = [pl.Series([r[i] for r in rows], dtype=pl.String) for i in range(len(header))]
    return cols, read_block(cols, cells, as_of)


def test_a_clean_registry_is_read_entirely_as_columns(tmp_path: Path, make_registry):
    source = tmp_path / "registry.csv"
    make_registry.write_registry(source, 3_000)
    cols, (suspect, reads, _) = _read(source)
    assert not [c.spec.name for c in cols.facts["person"] if limits(c).unknown]
    assert int(suspect.sum()) == 0
    assert len(reads["person"].rows) == 3_000


def test_a_birth_after_the_evaluation_date_is_left_to_the_per_row_reader(tmp_path: Path, make_registry):
    source = tmp_path / "registry.csv"
    make_registry.write_registry(source, 500)
    _, (suspect, _, _) = _read(source, as_of=date(1975, 1, 1))
    assert suspect.any() and not suspect.all()
