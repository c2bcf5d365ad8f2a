"""One chunk of registry records in, its output and error rows out, column by column.

The columnar twin of engine/batch/work.py's ``process``: the same ``Done`` (the same bytes, the
same counts) for the same records, so the writer, the checkpoints and ``--resume`` are shared.
Rows the column reader cannot vouch for (engine/columnar/parse.py) are read one by one by
``work.read_row``; their cases are judged as a small table of their own.
"""

from __future__ import annotations

import gc
from collections import Counter
from typing import Any

import numpy as np
import polars as pl

from engine.batch import work
from engine.batch.layout import csv_text
from engine.batch.reader import Plain, Row
from engine.batch.work import Done, Job, read_row
from engine.columnar.judge import judge_table
from engine.columnar.output import lines as output_lines
from engine.columnar.parse import read_block
from engine.columnar.table import build, from_facts
from engine.facts import case_facts

_job: Job | None = None


def set_job(job: Job) -> None:
    global _job
    _job = job
    work.set_job(job)  # the per-row path, for a chunk the columnar evaluator cannot judge


def start_worker(book: Any, settings: Any, columns: Any, opts: Any, as_of: Any) -> None:
    """A worker process's own engine and job, compiled from the run's rule book and settings."""
    import signal

    from engine.batch.layout import Layout
    from engine.evaluate import Engine

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    engine = Engine(book, settings)
    carried = [columns.headers[i] for i in columns.carried]
    set_job(Job(engine, columns, Layout(book, opts.lang, opts.long, carried), as_of))


def process(rows: list[Row] | Plain) -> Done:
    paused = gc.isenabled()
    gc.disable()
    try:
        assert _job is not None, "set_job() before process()"
        try:
            return evaluate(_job, rows)
        except Exception:
            # A chunk the columnar evaluator cannot judge (a bug) is judged row by row, where a row
            # the engine cannot judge is reported on its own and the run goes on.
            return work.process(rows)
    finally:
        if paused:
            gc.enable()


def _split(rows: list[Row] | Plain, width: int) -> tuple[np.ndarray, list[pl.Series], list[Row]]:
    """(line numbers, cells by column) of records with exactly ``width`` fields that look like
    data, and every other record (blank, short, long, unreadable) to read one by one."""
    if isinstance(rows, Plain):
        text = rows.text.replace("\r", "") if "\r" in rows.text else rows.text
        all_lines = text.split("\n")
        if all_lines[-1] == "":
            all_lines.pop()
        s = pl.Series(all_lines, dtype=pl.String)
        numbers = np.arange(len(all_lines), dtype=np.int64) + rows.line
        fields = _np(s.str.count_matches(",", literal=True)) + 1
        good = (fields == width) & ~_np(s.str.contains(r"^[, \t\x0b\x0c]*$"))
        others = [
            (int(numbers[i]), all_lines[i].split(",") if all_lines[i] else [], None)
            for i in np.flatnonzero(~good)
        ]
        keep = pl.Series(np.flatnonzero(good), dtype=pl.Int64)
        parts = s.gather(keep).str.split_exact(",", width - 1).struct.unnest()
        return numbers[good], [parts.to_series(k) for k in range(width)], others
    good_rows = [r for r in rows if r[2] is None and len(r[1]) == width and "".join(r[1]).strip()]
    others = [r for r in rows if not (r[2] is None and len(r[1]) == width and "".join(r[1]).strip())]
    numbers = np.array([r[0] for r in good_rows], dtype=np.int64)
    columns = list(zip(*(r[1] for r in good_rows), strict=True)) if good_rows else [()] * width
    return numbers, [pl.Series(list(c), dtype=pl.String) for c in columns], others


def _np(s: pl.Series) -> np.ndarray:
    return s.to_numpy()


def evaluate(job: Job, rows: list[Row] | Plain) -> Done:
    numbers, cells, others = _split(rows, len(job.columns.headers))
    return _evaluate(job, numbers, cells, others)


def evaluate_cells(job: Job, cells: list[pl.Series], first_line: int) -> Done:
    """A block of rows given as text columns (a Parquet record batch), numbered from ``first_line``."""
    n = len(cells[0]) if cells else 0
    numbers = np.arange(n, dtype=np.int64) + first_line
    blank = _np(
        pl.select(pl.concat_str([pl.lit(c) for c in cells]).str.contains(r"^[ \t\x0b\x0c\r\n]*$")).to_series()
    )
    if blank.any():
        frame = pl.DataFrame(cells)
        others: list[Row] = [(int(numbers[i]), list(frame.row(int(i))), None) for i in np.flatnonzero(blank)]
        keep = pl.Series(np.flatnonzero(~blank), dtype=pl.Int64)
        cells, numbers = [c.gather(keep) for c in cells], numbers[~blank]
    else:
        others = []
    return _evaluate(job, numbers, cells, others)


def _evaluate(job: Job, numbers: np.ndarray, cells: list[pl.Series], others: list[Row]) -> Done:
    cols, layout, engine = job.columns, job.layout, job.engine
    width = len(cols.headers)
    suspect, reads, case_ids = read_block(cols, cells, job.as_of)
    done = Done(b"", b"")
    pieces: list[tuple[np.ndarray, pl.Series]] = []  # (line numbers, output text) per table
    counts: Counter[str] = Counter()
    for subject, read in reads.items():
        if not len(read.rows):
            continue
        table = build(subject, len(read.rows), job.as_of, engine.settings, read.inputs, read.confirmations)
        judged, c = judge_table(engine._judges[subject], table, layout, layout.lang)
        counts.update(c)
        idx = pl.Series(read.rows, dtype=pl.Int64)
        ids = case_ids.gather(idx).to_list()
        carried = (
            [
                cols.carried_cells(list(row))
                for row in zip(*(cells[i].gather(idx) for i in range(width)), strict=True)
            ]
            if cols.carried
            else None
        )
        pieces.append(
            (
                numbers[read.rows],
                output_lines(layout, subject, ids, numbers[read.rows], judged, carried),
            )
        )
        done.decided += len(read.rows)
    # Rows read one by one: the suspect ones and the rest.
    if suspect.any():
        frame = pl.DataFrame(cells)
        others += [(int(numbers[i]), list(frame.row(int(i))), None) for i in np.flatnonzero(suspect)]
    errors: list[tuple[int, list[list[str]]]] = []
    cases: dict[str, list] = {"person": [], "enterprise": []}
    for line, fields, problem in others:
        case, bad = read_row(cols, width, line, fields, problem, job.as_of)
        if case is not None:
            cases[case.kind].append((line, case, cols.carried_cells(fields)))
        elif bad:
            errors.append((line, bad))
            done.rejected += 1
        else:
            done.blank += 1
    for subject, found in cases.items():
        if not found:
            continue
        facts = [case_facts(case, job.as_of, engine.settings) for _, case, _ in found]
        table = from_facts(subject, facts, [c.confirmations for _, c, _ in found], job.as_of, engine.settings)
        judged, c = judge_table(engine._judges[subject], table, layout, layout.lang)
        counts.update(c)
        line_numbers = np.array([line for line, _, _ in found], dtype=np.int64)
        ids = [case.case_id or "" for _, case, _ in found]
        carried = [cells for _, _, cells in found] if cols.carried else None
        pieces.append((line_numbers, output_lines(layout, subject, ids, line_numbers, judged, carried)))
        done.decided += len(found)
    if pieces:
        order = np.argsort(np.concatenate([p[0] for p in pieces]), kind="stable")
        text = pl.concat([p[1] for p in pieces]).gather(pl.Series(order, dtype=pl.Int64))
        done.out = text.str.join("").item().encode("utf-8")
    errors.sort(key=lambda e: e[0])
    done.err = csv_text([row for _, bad in errors for row in bad]).encode("utf-8")
    for k, v in counts.items():
        done.counts[k] += v
    return done
