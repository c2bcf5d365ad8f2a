"""A chunk of registry rows read and judged by the columnar evaluator, kept as data (not worded).

``subsidy batch`` words each judged table into its output columns as soon as it is judged
(engine/columnar/chunk.py); ``screen`` and ``compare`` need the judgement itself. This reads a
chunk exactly as the batch does, with the same functions: the column reader (``read_block``), the
per-row reader for every row it cannot vouch for (``work.read_row``: each bad row reported with its
line, column and reason, blank rows counted), the tables (``build``, ``from_facts``) and the
programs' judgement (``judge_table``); nothing here decides anything.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from engine.batch.reader import Plain, Row
from engine.batch.work import Job, read_row
from engine.columnar.chunk import _split
from engine.columnar.judge import Judged, judge_table
from engine.columnar.parse import ASCII_SPACE, read_block
from engine.columnar.table import Table, build, from_facts
from engine.facts import case_facts


@dataclass
class JudgedTable:
    """Rows of one kind of case judged together as one table."""

    subject: str
    lines: np.ndarray
    case_ids: pl.Series
    carried: list[pl.Series]  # the carried input columns' cells as written (stripped)
    table: Table
    judged: list[Judged]  # one per program of ``subject``, in rule-book order


@dataclass
class Judgement:
    """A chunk judged: its tables, its error rows (in line order) and its counts."""

    tables: list[JudgedTable] = field(default_factory=list)
    errors: list[list[str]] = field(default_factory=list)
    decided: int = 0
    rejected: int = 0
    blank: int = 0
    counts: Counter[str] = field(default_factory=Counter)


def judge_chunk(job: Job, rows: list[Row] | Plain) -> Judgement:
    """A chunk of CSV records (as the batch's reader gives them)."""
    return judge_rows(job, *_split(rows, len(job.columns.headers)))


def judge_cells(job: Job, cells: list[pl.Series], first_line: int) -> Judgement:
    """A block of rows given as text columns (a Parquet record batch), numbered from ``first_line``;
    blank rows are counted one by one, as ``chunk.evaluate_cells`` does."""
    n = len(cells[0]) if cells else 0
    numbers = np.arange(n, dtype=np.int64) + first_line
    text = pl.concat_str([pl.lit(c) for c in cells]) if cells else pl.lit("")
    blank = (
        pl.select(text.str.contains(r"^[ \t\x0b\x0c\r\n]*$")).to_series().to_numpy()
        if n
        else np.zeros(0, bool)
    )
    others: list[Row] = []
    if blank.any():
        frame = pl.DataFrame(cells)
        others = [(int(numbers[i]), list(frame.row(int(i))), None) for i in np.flatnonzero(blank)]
        keep = pl.Series(np.flatnonzero(~blank), dtype=pl.Int64)
        cells, numbers = [c.gather(keep) for c in cells], numbers[~blank]
    return judge_rows(job, numbers, cells, others)


def judge_rows(job: Job, numbers: np.ndarray, cells: list[pl.Series], others: list[Row]) -> Judgement:
    """Rows read as columns where the column reader vouches for them, else one by one (bad rows
    become error rows), then judged by every program of their subject."""
    cols, layout, engine = job.columns, job.layout, job.engine
    suspect, reads, case_ids = read_block(cols, cells, job.as_of)
    out = Judgement()
    for subject, read in reads.items():
        if not len(read.rows):
            continue
        table = build(subject, len(read.rows), job.as_of, engine.settings, read.inputs, read.confirmations)
        judged, c = judge_table(engine.judge_of(subject), table, layout, layout.lang)
        out.counts.update(c)
        idx = pl.Series(read.rows, dtype=pl.Int64)
        carried = [cells[i].gather(idx).str.strip_chars(ASCII_SPACE) for i in cols.carried]
        out.tables.append(
            JudgedTable(subject, numbers[read.rows], case_ids.gather(idx), carried, table, judged)
        )
        out.decided += len(read.rows)
    if suspect.any():  # rows read one by one: the suspect ones and the rest
        frame = pl.DataFrame(cells)
        others = others + [(int(numbers[i]), list(frame.row(int(i))), None) for i in np.flatnonzero(suspect)]
    errors: list[tuple[int, list[list[str]]]] = []
    cases: dict[str, list] = {"person": [], "enterprise": []}
    for line, fields, problem in others:
        case, bad = read_row(cols, len(cols.headers), line, fields, problem, job.as_of)
        if case is not None:
            cases[case.kind].append((line, case, cols.carried_cells(fields)))
        elif bad:
            errors.append((line, bad))
            out.rejected += 1
        else:
            out.blank += 1
    for subject, found in cases.items():
        if not found:
            continue
        facts = [case_facts(case, job.as_of, engine.settings) for _, case, _ in found]
        table = from_facts(subject, facts, [c.confirmations for _, c, _ in found], job.as_of, engine.settings)
        judged, c = judge_table(engine.judge_of(subject), table, layout, layout.lang)
        out.counts.update(c)
        lines = np.array([line for line, _, _ in found], dtype=np.int64)
        ids = pl.Series([case.case_id or "" for _, case, _ in found], dtype=pl.String)
        carried = [
            pl.Series([cells[k] for _, _, cells in found], dtype=pl.String) for k in range(len(cols.carried))
        ]
        out.tables.append(JudgedTable(subject, lines, ids, carried, table, judged))
        out.decided += len(found)
    errors.sort(key=lambda e: e[0])
    out.errors = [row for _, bad in errors for row in bad]
    return out
