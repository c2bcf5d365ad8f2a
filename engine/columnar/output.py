"""A judged table's output as columns, rendered as CSV text or as an Arrow table (Parquet).

One representation, two renderings. Most cells of a registry's results take one of a few texts
per program (statuses, grants, questions, the days a status changes): such a column is ``Coded``,
each row an index into its distinct texts, so it is worded once per text and never built per row
until CSV needs the cells; in Arrow it is a dictionary array, which Parquet stores as it is. Cells
that are the row's own (case numbers, names, key dates) are string columns, null where the cell is
empty (as both renderings write an empty cell). Every text goes through the same rules as
``Layout`` (``safe_cell``: no formulas, no control characters; CSV quoting only in the CSV
rendering), so the two renderings hold the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from engine.batch.layout import HEAD, HEAD_CELLS, Layout, quote, safe_cell
from engine.columnar.judge import Judged

# engine/batch/layout.py's _CONTROL and FORMULA_START, as Rust regexes (polars).
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x{9f}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]"
FORMULA = r"^[=+\-@\t\r]"
CODED = pa.dictionary(pa.int32(), pa.string())  # a coded column's Arrow type


@dataclass
class Coded:
    """``width`` adjacent columns whose rows take one of a few entries: row ``i`` holds
    ``entries[index[i]]`` (a tuple of ``width`` texts, already safe); -1 is a row of empty cells."""

    entries: list[tuple[str, ...]]
    index: np.ndarray

    @property
    def width(self) -> int:
        return len(self.entries[0]) if self.entries else 1


Column = Coded | pl.Series  # a Series: String (safe text, null where empty) or Int64 (line numbers)
Pending = Coded | pl.Series | pl.Expr  # an Expr: a String column, worded with a table's others


def safe(text: pl.Series) -> pl.Series:
    """``safe_cell`` for every row of a String Series, as a column's cells: null where empty."""
    return pl.select(_safe(pl.lit(text)).replace("", None)).to_series()


def _safe(text: pl.Expr) -> pl.Expr:
    return text.str.replace_all(CONTROL, "\ufffd").pipe(
        lambda t: pl.when(t.str.contains(FORMULA)).then("'" + t).otherwise(t)
    )


def _program(layout: Layout, judged: Judged, shown: np.ndarray | None) -> list[Pending]:
    """A program's seven columns: five coded, the key dates (the row's own), the changes; empty
    cells in the rows not ``shown`` (None: every row shown)."""
    n = len(judged.head)
    known: dict[str, str] = {}  # a program's cells repeat a few words: each made safe once

    def safe_word(text: str) -> str:
        found = known.get(text)
        if found is None:
            found = known[text] = safe_cell(text)
        return found

    index = judged.head if shown is None else np.where(shown, judged.head, -1)
    heads = Coded([tuple(map(safe_word, cells)) for cells in judged.heads], index)
    # the product's own words and ISO dates: safe as they are
    if judged.dates is None:
        dates = pl.repeat(None, n, dtype=pl.String)
    elif shown is None:
        dates = layout.date_texts(judged.dates)
    else:
        dates = layout.date_texts([(d, day, known & shown) for d, day, known in judged.dates])
    status = judged.changes.status
    if shown is not None:
        status = np.where(shown[:, None], status, -1)
    return [heads, dates, layout.change_texts(judged.changes.days, status)]


def _blank(n: int) -> list[Pending]:
    """A program of the other kind of case: seven empty cells."""
    none = np.full(n, -1, dtype=np.int64)
    return [Coded([("",) * HEAD_CELLS], none), pl.repeat(None, n, dtype=pl.String), Coded([("",)], none)]


def columns(
    layout: Layout,
    subject: str,
    case_ids: pl.Series,
    line_numbers: np.ndarray,
    judged: list[Judged],
    carried: list[pl.Series],
    shown: list[np.ndarray] | None = None,
    suggestions: pl.Series | None = None,
) -> list[tuple[np.ndarray | None, list[Column]]]:
    """A table's output rows as columns in ``layout.header()``'s order: one list of columns for
    the wide shape, one per program (in rule-book order for ``subject``) for the long one, each
    with the rows it holds (None: every row). ``carried``: the carried input columns' cells as
    written (stripped); ``shown``: per program, the rows that decide it (None: all; a program a
    row does not apply for has empty cells, or no long row); ``suggestions``: the 可能还符合 cells.
    The rows' own texts (case numbers, names, key dates, changes) are worded in one query."""
    n = len(line_numbers)
    head: list[Pending] = [
        _safe(pl.lit(case_ids)),
        pl.Series(line_numbers, dtype=pl.Int64),
        Coded([(layout.kind_word(subject),)], np.zeros(n, dtype=np.int64)),
        *(_safe(pl.lit(c)) for c in carried),
    ]
    if layout.applications:
        none = pl.repeat(None, n, dtype=pl.String)
        head.append(_safe(pl.lit(suggestions)) if suggestions is not None else none)
    if layout.long:
        head, *programs = _worded([head, *(_program(layout, j, None) for j in judged)])
        out = []
        for k, (j, program) in enumerate(zip(judged, programs, strict=True)):
            cols = [*head, Coded([layout.program_cells(j.plan.rule.id)], np.zeros(n, np.int64)), *program]
            rows = None if shown is None or shown[k].all() else shown[k]
            out.append((rows, cols if rows is None else [_select(c, rows) for c in cols]))
        return out
    wide = list(head)
    mine = iter(enumerate(judged))
    for rule in layout.rules:
        if rule.subject != subject:
            wide += _blank(n)
            continue
        k, j = next(mine)
        wide += _program(layout, j, None if shown is None or shown[k].all() else shown[k])
    return [(None, *_worded([wide]))]


def _worded(tables: list[list[Pending]]) -> list[list[Column]]:
    """The columns with each expression among them evaluated (an empty text as null): all in one
    query, where a query per column and program would cost more to plan and run than the wording
    itself."""
    exprs = [c for cols in tables for c in cols if isinstance(c, pl.Expr)]
    frame = iter(pl.select([e.replace("", None).alias(str(k)) for k, e in enumerate(exprs)]).iter_columns())
    return [[next(frame) if isinstance(c, pl.Expr) else c for c in cols] for cols in tables]


def _select(c: Column, rows: np.ndarray) -> Column:
    """A column's ``rows`` only."""
    if isinstance(c, Coded):
        return Coded(c.entries, c.index[rows])
    return c.filter(pl.Series(rows))


def csv_lines(tables: list[list[Column]]) -> pl.Series:
    """Each row of the tables, one table after another, as CSV text, CRLF-terminated: per table one
    ``concat_str`` of its columns' fields, where a run of columns whose cells are the same in every
    row (a program of another kind of case, a program without key dates) is one text, and a coded
    column's texts take in the constant columns beside it: polars' time goes by the parts a line is
    joined from. The leading columns every table shares (a long row's head, the same columns in
    each program's table) are joined once, one part of each table's lines."""
    shared = _shared(tables)
    head = _parts(tables[0][:shared])
    if len(head) > 1:
        head = [pl.select(pl.concat_str([_expr(p) for p in head], separator=",")).to_series()]
    lines = []
    for cols in tables:
        exprs = [_expr(p) for p in _folded([*head, *_parts(cols[shared:])])]
        text = pl.select(pl.concat_str([*exprs[:-1], exprs[-1] + "\r\n"], separator=",")).to_series()
        n = len(cols[0].index) if isinstance(cols[0], Coded) else len(cols[0])
        lines.append(text if len(text) == n else text.new_from_index(0, n))  # texts alone: one row
    return pl.concat(lines, rechunk=True)  # one chunk: gathered by row, many would be searched


def _shared(tables: list[list[Column]]) -> int:
    """How many leading columns are the same columns in every table (none for a table alone)."""
    if len(tables) < 2:
        return 0
    first, *others = tables
    return next(
        (k for k, c in enumerate(first) if any(k >= len(t) or t[k] is not c for t in others)), len(first)
    )


def _parts(cols: list[Column]) -> list[_Part]:
    """The columns' fields as the fewest parts: each column's, joined where ``_joined`` can."""
    return _folded(_part(c) for c in cols)


def _folded(parts: Iterable[_Part]) -> list[_Part]:
    """``parts`` in order, each joined to the one before it where ``_joined`` can."""
    out: list[_Part] = []
    for part in parts:
        out[-1:] = _joined(out[-1], part) if out else [part]
    return out


# A part of a CSV line: one text for every row, a coded one (the row's text is texts[index]; each
# text is one or more fields) or a String Series of fields.
_Part = str | tuple[list[str], np.ndarray] | pl.Series
PRODUCT = 256  # two coded parts side by side are one while their pairs of texts are at most this many


def _part(c: Column) -> _Part:
    """A column's fields as CSV text, quoted where they need it (``quote``), an empty cell empty."""
    if isinstance(c, Coded):
        texts = ["," * (c.width - 1), *(",".join(quote(t) for t in e) for e in c.entries)]
        first = int(c.index[0]) if len(c.index) else -1
        return texts[first + 1] if (c.index == first).all() else (texts, c.index + 1)
    if c.dtype != pl.String:
        return c.cast(pl.String)
    if c.null_count() == len(c):
        return ""
    quoting = pl.select(pl.lit(c).str.contains('[",\r\n]')).to_series()
    if not quoting.any():  # most columns: dates, changes, case numbers
        return c.fill_null("")
    return pl.select(
        pl.when(quoting)
        .then('"' + pl.lit(c).str.replace_all('"', '""', literal=True) + '"')
        .otherwise(pl.lit(c))
        .fill_null("")
    ).to_series()


def _joined(a: _Part, b: _Part) -> list[_Part]:
    """``a`` and ``b`` as one part where either is one text for every row or both are coded with
    at most ``PRODUCT`` pairs of texts (else both, as they are)."""
    if isinstance(a, str) and isinstance(b, str):
        return [f"{a},{b}"]
    if isinstance(a, tuple) and isinstance(b, str):
        return [([f"{t},{b}" for t in a[0]], a[1])]
    if isinstance(a, str) and isinstance(b, tuple):
        return [([f"{a},{t}" for t in b[0]], b[1])]
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a[0]) * len(b[0]) <= PRODUCT:
        return [([f"{s},{t}" for s in a[0] for t in b[0]], a[1] * len(b[0]) + b[1])]
    return [a, b]


def _expr(p: _Part) -> pl.Expr:
    if isinstance(p, str):
        return pl.lit(p)
    if isinstance(p, tuple):
        return pl.lit(pl.Series(p[0], dtype=pl.String).gather(pl.Series(p[1])))
    return pl.lit(p)


def arrow_columns(tables: list[list[Column]]) -> list[list[pa.Array]]:
    """The tables' columns as Arrow arrays: strings (dictionary-encoded where coded; null where the
    CSV cell is empty) and the line numbers as int64. A column several tables share (a long row's
    head, in each program's table) is converted once, its arrays shared."""
    known: dict[int, list[pa.Array]] = {}  # by id: the tables hold each column while it is used

    def arrays(c: Column) -> list[pa.Array]:
        found = known.get(id(c))
        if found is None:
            if isinstance(c, Coded):
                found = _dictionaries(c)
            elif c.dtype == pl.String:
                found = [c.to_arrow().cast(pa.string())]
            else:
                found = [c.to_arrow()]
            known[id(c)] = found
        return found

    return [[a for c in cols for a in arrays(c)] for cols in tables]


def result_schema(layout: Layout) -> pa.Schema:
    """The Arrow (Parquet) results' columns: the CSV's, ``行号`` as int64, every other a string
    (dictionary-encoded where a column takes a few texts; a reader sees plain strings)."""
    text, coded = pa.string(), CODED
    program = [coded] * HEAD_CELLS + [text, coded]
    types = [text, pa.int64(), coded] + [text] * (len(layout.carried) + layout.applications)
    if layout.long:
        types += [coded, coded, *program]
    else:
        types += program * len(layout.rules)
    return pa.schema(list(zip(layout.header(), types, strict=True)))


def _dictionaries(c: Coded) -> list[pa.DictionaryArray]:
    """A coded column's ``width`` columns as dictionary arrays in a canonical form (the distinct
    non-empty texts its rows use, sorted; "" as null), so equal columns are written as equal bytes
    however they were judged. Each is built from its buffers: its codes are in the dictionary's
    bounds by construction (no pass to check them), its validity is their sign, packed; a column
    no row fills (a program of the other kind of case, a cell its status leaves empty: about half
    of them) is nulls, without reading the rows."""
    n = len(c.index)
    used = np.bincount(c.index[c.index >= 0], minlength=len(c.entries)) > 0
    out = []
    for k in range(c.width):
        texts = [e[k] for e in c.entries]
        words = sorted({t for t, u in zip(texts, used, strict=True) if u and t})
        if not words:
            out.append(pa.nulls(n, CODED))
            continue
        position = {w: i for i, w in enumerate(words)}
        remap = np.array([position.get(t, -1) for t in texts] + [-1], dtype=np.int32)  # -1: empty
        codes = remap[c.index]  # index -1 reads the last entry: empty
        valid = codes >= 0
        nulls = n - int(np.count_nonzero(valid))
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
        np.maximum(codes, 0, out=codes)  # a null row's code 0: in bounds for whatever reads all codes
        indices = pa.Array.from_buffers(pa.int32(), n, [bitmap, pa.py_buffer(codes)], nulls)
        out.append(pa.DictionaryArray.from_arrays(indices, pa.array(words, CODED.value_type), safe=False))
    return out


def parquet_writer(path: Path, layout: Layout) -> pq.ParquetWriter:
    """The results file's writer: plain strings to its readers (the Arrow schema with its
    dictionaries is not stored), statistics for the line numbers only (the status columns take
    three values in every row group, and their statistics cost as much as the rest of the writing)."""
    return pq.ParquetWriter(
        path, result_schema(layout), store_schema=False, write_statistics=[HEAD["zh"][1], HEAD["en"][1]]
    )
