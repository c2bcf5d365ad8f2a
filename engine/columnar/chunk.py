"""One chunk of registry records in, its output and error rows out, column by column.

A chunk's result is a ``Done``: its output as CSV text (or, for Parquet, as an Arrow table),
its error rows and its counts, so the writer, the checkpoints and ``--resume`` are shared by every
input. The chunk is read and judged as ``screen`` and ``compare`` read and judge theirs
(engine/columnar/judged.py); here each judged table is worded into its output columns. A chunk the
evaluator cannot judge (a bug) is judged row by row, and a row it still cannot judge is reported.
"""

from __future__ import annotations

import gc
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from engine.batch.layout import Layout, csv_text
from engine.batch.reader import Plain, Row
from engine.batch.work import Done, Job
from engine.columnar.applied import applications, decided_counts
from engine.columnar.arrowtext import text_buffer
from engine.columnar.judged import JudgedTable, Judgement, judge_cells, judge_chunk, records, unjudgeable
from engine.columnar.output import Column, arrow_columns, columns, csv_lines, result_schema
from engine.columnar.parse import Distinct

_job: Job | None = None
_hand_over: Path | None = None  # a worker leaves its chunks' output rows in files here


def set_job(job: Job) -> None:
    global _job
    _job = job


def current_job() -> Job:
    assert _job is not None, "set_job() before a chunk"
    return _job


def start_worker(
    book: Any, settings: Any, columns: Any, opts: Any, as_of: Any, hand_over: Path | None = None
) -> None:
    """A worker process's own engine and job, compiled from the run's rule book and settings; with
    ``hand_over``, the folder its chunks' output rows are left in (``handed_over``)."""
    import signal

    from engine.batch.layout import Layout
    from engine.evaluate import Engine

    global _hand_over
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    engine = Engine(book, settings)
    set_job(Job(engine, columns, Layout.of(book, opts.lang, opts.long, columns), as_of))
    _hand_over = hand_over


def process(rows: list[Row] | Plain) -> Done:
    """A chunk of CSV records (a worker's task)."""
    job = current_job()
    return handed_over(safely(job, lambda: evaluate(job, rows), lambda: records(rows), False))


def handed_over(done: Done) -> Done:
    """In a worker with a hand-over folder, ``done`` with its output rows left in a file of it: the
    main process copies the file into the results (in the kernel) instead of receiving the rows
    through the pool's pipe and writing them again."""
    if _hand_over is None or not done.out:
        return done
    fd, name = tempfile.mkstemp(dir=_hand_over, suffix=".csv")
    with os.fdopen(fd, "wb") as f:
        f.write(done.out)
    done.out, done.out_file = b"", name
    return done


def safely(job: Job, whole: Any, one_by_one: Any, arrow: bool) -> Done:
    """``whole()``; if the columnar evaluator cannot judge the chunk (a bug), each of its records
    (``one_by_one()``) alone, so a row it cannot judge is reported on an error row of its own and the
    run goes on."""
    paused = gc.isenabled()
    gc.disable()  # a chunk makes many short-lived objects and no cycles
    try:
        try:
            return whole()
        except Exception:
            dones = []
            for line, fields, problem in one_by_one():
                try:
                    dones.append(evaluate(job, [(line, fields, problem)], arrow))
                except Exception as err:
                    bad = csv_text([unjudgeable(job, line, fields, err)])
                    dones.append(Done(_render(job.layout, [], arrow), bad.encode("utf-8"), rejected=1))
            return _combine(job.layout, dones, arrow)
    finally:
        if paused:
            gc.enable()


def _combine(layout: Layout, dones: list[Done], arrow: bool) -> Done:
    """Chunks' results as one (rows in the order given)."""
    out = Done(b"", b"".join(d.err for d in dones))
    for d in dones:
        out.decided += d.decided
        out.rejected += d.rejected
        out.blank += d.blank
        out.examples += d.examples
        out.counts.update(d.counts)
    if arrow:
        tables = [d.out for d in dones] or [_render(layout, [], True)]
        out.out = pa.concat_tables(tables).unify_dictionaries().combine_chunks()
    else:
        out.out = b"".join(d.out for d in dones)
    return out


def evaluate(job: Job, rows: list[Row] | Plain, arrow: bool = False) -> Done:
    return _done(job.layout, judge_chunk(job, rows), arrow)


def evaluate_cells(
    job: Job,
    cells: list[pl.Series],
    first_line: int,
    arrow: bool = False,
    distinct: dict[int, Distinct] | None = None,
) -> Done:
    """A block of rows given as text columns (a Parquet record batch), numbered from ``first_line``,
    with the columns whose distinct cells are known (``distinct``, by position); with ``arrow``,
    ``Done.out`` is the result as an Arrow table instead of CSV text."""
    return _done(job.layout, judge_cells(job, cells, first_line, distinct), arrow)


Piece = tuple[np.ndarray, int, list[Column]]  # (line numbers, program's place in a long row, columns)


def _done(layout: Layout, judgement: Judgement, arrow: bool) -> Done:
    """A judged chunk worded: its output rows in input order, its error rows and its counts."""
    j = judgement
    err = csv_text(j.errors).encode("utf-8")
    done = Done(b"", err, decided=j.decided, rejected=j.rejected, blank=j.blank, examples=j.examples)
    pieces: list[Piece] = []
    for table in judgement.tables:
        done.counts.update(_shape(layout, table, pieces))
    done.out = _render(layout, pieces, arrow)
    return done


def _shape(layout: Layout, t: JudgedTable, pieces: list[Piece]) -> Counter[str]:
    """A judged table's output columns, added to ``pieces``; its counts. With a 申请项目 column
    (``t.applied``), a row decides only what it applies for: counted, and shown, are those."""
    shown = suggestions = None
    counts = t.counts
    if t.applied is not None:
        shown, suggestions = applications(layout, t.judged, t.applied)
        counts = decided_counts(t.judged, shown)
    shapes = columns(layout, t.subject, t.case_ids, t.lines, t.judged, t.carried, shown, suggestions)
    for k, (rows, cols) in enumerate(shapes):
        pieces.append((t.lines if rows is None else t.lines[rows], k, cols))
    return counts


def _render(layout: Layout, pieces: list[Piece], arrow: bool) -> bytes | pa.Buffer | pa.Table:
    """The pieces' rows in input order (long: each case's programs in rule-book order), as CSV
    text or as an Arrow table."""
    lines = [ln for ln, _, _ in pieces]
    program = [np.full(len(ln), k) for ln, k, _ in pieces]
    parts = [cols for _, _, cols in pieces]
    if arrow:
        schema = result_schema(layout)
        tables = [pa.Table.from_arrays(arrays, schema=schema) for arrays in arrow_columns(parts)]
        if not tables:
            return schema.empty_table()
        if len(tables) == 1:
            return tables[0]
        table = pa.concat_tables(tables).unify_dictionaries().combine_chunks()
        return table.take(pa.array(np.lexsort((np.concatenate(program), np.concatenate(lines)))))
    if not parts:
        return b""
    text = csv_lines(parts)
    if len(parts) > 1:
        order = np.lexsort((np.concatenate(program), np.concatenate(lines)))
        text = text.gather(pl.Series(order, dtype=pl.Int64))
    return utf8_bytes(text)


def utf8_bytes(text: pl.Series) -> bytes | pa.Buffer:
    """A String Series' rows one after another, as UTF-8: Arrow keeps a string column's text in one
    buffer, so its rows in order are a slice of it, handed on as it is (written to a file from
    Arrow's memory: no Python string or bytes of the whole chunk is built)."""
    if not len(text):
        return b""
    ends, data = text_buffer(text)
    return data.slice(int(ends[0]), int(ends[-1] - ends[0]))
