"""The columnar CSV rendering (engine/columnar/output.py ``csv_lines``) writes the bytes the one
per-field CSV writer (engine/batch/layout.py ``csv_text``) writes, for any text: the rendering
joins constant columns into one text and coded columns with their neighbours, and quotes a column
only if one of its cells needs it, so hostile texts are fed through both and compared."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.batch.layout import csv_text, safe_cell
from engine.columnar.output import Coded, Column, csv_lines, safe

HOSTILE = [
    'a"b',
    '"',
    '""',
    "a,b",
    ",",
    "a\rb",
    "\r",
    "a\nb",
    "\r\n",
    "\x00",
    "\x1b\x7f",
    "\ufffd",
    "=1+1",
    "+x",
    "-1",
    "@a",
    "\tx",
    " lead",
    "trail ",
    " ",
    "中文，全角",
    "'=x",
    "\u202eabc",
    "",
]


def _rendered(cols: list[Column]) -> str:
    return "".join(csv_lines([cols]).to_list())


def _coded(entries: list[tuple[str, ...]], index: np.ndarray) -> Coded:
    return Coded([tuple(map(safe_cell, e)) for e in entries], index)


def _cells(c: Coded, row: int) -> list[str]:
    return list(c.entries[c.index[row]]) if c.index[row] >= 0 else [""] * c.width


def _expected(texts: list[str], lines: list[int], coded: list[Coded]) -> str:
    """The same rows written field by field: text, line, coded cells, an empty cell, text again."""
    rows = []
    for i, t in enumerate(texts):
        rows.append([t, str(lines[i]), *(x for c in coded for x in _cells(c, i)), "", t])
    return csv_text(rows)


def _columns(texts: list[str], lines: list[int], coded: list[Coded]) -> list[Column]:
    n = len(texts)
    series = safe(pl.Series(texts, dtype=pl.String))
    empty = pl.Series([None] * n, dtype=pl.String)
    return [series, pl.Series(lines, dtype=pl.Int64), *coded, empty, series]


def _check(texts: list[str], entries: list[tuple[str, ...]], seed: int) -> None:
    n = len(texts)
    rng = np.random.default_rng(seed)
    lines = list(range(2, n + 2))
    coded = [
        _coded(entries, rng.integers(-1, len(entries), n)),  # rows of entries and of empty cells
        _coded([("一", "=x")], np.zeros(n, dtype=np.int64)),  # the same in every row: one text
        _coded([("",) * 3], np.full(n, -1, dtype=np.int64)),  # empty in every row
        _coded(entries[:2], rng.integers(-1, min(len(entries), 2), n)),  # a small one beside a coded one
    ]
    assert _rendered(_columns(texts, lines, coded)) == _expected(texts, lines, coded)


def test_hostile_texts_are_written_as_the_per_field_writer_writes_them():
    entries = [(a, b) for a, b in zip(HOSTILE, reversed(HOSTILE), strict=True)]
    _check(HOSTILE, entries, 0)
    _check(["plain"] * 5, entries, 1)  # no cell of the text columns needs quoting
    _check([""] * 4, [("", "")], 2)  # every cell of the text columns empty


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=8), min_size=1, max_size=20),
    st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), min_size=1, max_size=6),
    st.integers(0, 2**32 - 1),
)
def test_any_texts_are_written_as_the_per_field_writer_writes_them(texts, entries, seed):
    _check(texts, entries, seed)


def test_columns_of_one_text_alone_still_give_each_row_its_line():
    """Every column the same in every row (a screen frame of empty cells): one line per row."""
    cols: list[Column] = [pl.Series([None] * 3, dtype=pl.String), _coded([("a,b",)], np.zeros(3, np.int64))]
    assert csv_lines([cols]).to_list() == [',"a,b"\r\n'] * 3


def test_columns_shared_by_several_tables_are_written_in_each_as_in_one_alone():
    """A long row's head columns are the same objects in every program's table: joined once."""
    n = len(HOSTILE)
    head, lines = safe(pl.Series(HOSTILE, dtype=pl.String)), pl.Series(range(n), dtype=pl.Int64)
    kind = _coded([("个人", ",")], np.zeros(n, dtype=np.int64))
    programs = [("", ""), (HOSTILE[0], "x"), (HOSTILE[1], "y")]
    tables: list[list[Column]] = [
        [head, kind, lines, _coded([p], np.zeros(n, dtype=np.int64)), head] for p in programs
    ]
    rows = [[h, "个人", ",", str(i), *p, h] for p in programs for i, h in enumerate(HOSTILE)]
    assert "".join(csv_lines(tables).to_list()) == csv_text(rows)
    assert csv_lines(tables).to_list() == [x for cols in tables for x in csv_lines([cols]).to_list()]
    same = [[kind, lines]] * 2  # every column shared
    assert csv_lines(same).to_list() == csv_lines(same[:1]).to_list() * 2
