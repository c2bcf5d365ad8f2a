"""One chunk of registry records in, its output and error rows out, column by column.

A chunk's result is a ``Done``: its output as CSV text (or, for Parquet, as an Arrow IPC stream),
its error rows and its counts, so the writer, the checkpoints and ``--resume`` are shared by every
input. Rows the column reader cannot vouch for (engine/columnar/parse.py) are read one by one by
``work.read_row``; their cases are judged as a small table of their own. A chunk the evaluator
cannot judge (a bug) is judged row by row, and a row it still cannot judge is reported.
"""

from __future__ import annotations

import gc
from collections import Counter
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from engine.batch.layout import Layout, csv_text
from engine.batch.reader import Plain, Row
from engine.batch.work import Done, Job, read_row
from engine.columnar.judge import judge_table
from engine.columnar.output import Column, arrow_columns, columns, csv_lines, result_schema
from engine.columnar.parse import ASCII_SPACE, read_block
from engine.columnar.table import build, from_facts
from engine.facts import case_facts

_job: Job | None = None


def set_job(job: Job) -> None:
    global _job
    _job = job


def current_job() -> Job:
    assert _job is not None, "set_job() before a chunk"
    return _job


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
    """A chunk of CSV records (a worker's task)."""
    job = current_job()
    return safely(job, lambda: evaluate(job, rows), lambda: _records(rows), False)


def _records(rows: list[Row] | Plain) -> list[Row]:
    return rows.rows() if isinstance(rows, Plain) else rows


def safely(job: Job, whole: Any, records: Any, arrow: bool) -> Done:
    """``whole()``; if the columnar evaluator cannot judge the chunk (a bug), each of its
    ``records()`` alone, so a row it cannot judge is reported on an error row of its own and the
    run goes on."""
    paused = gc.isenabled()
    gc.disable()  # a chunk makes many short-lived objects and no cycles
    try:
        try:
            return whole()
        except Exception:
            dones = []
            for line, fields, problem in records():
                try:
                    dones.append(evaluate(job, [(line, fields, problem)], arrow))
                except Exception as err:
                    why = f"无法评估本行（程序内部错误 {type(err).__name__}），请将本行报告给系统维护人员"
                    bad = csv_text([[str(line), job.columns.case_id_of(fields), "", why]])
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
        out.counts.update(d.counts)
    if arrow:
        tables = [pa.ipc.open_stream(d.out).read_all() for d in dones]
        whole = pa.concat_tables(tables).unify_dictionaries().combine_chunks() if tables else None
        out.out = _ipc(whole, layout)
    else:
        out.out = b"".join(d.out for d in dones)
    return out


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


def evaluate(job: Job, rows: list[Row] | Plain, arrow: bool = False) -> Done:
    numbers, cells, others = _split(rows, len(job.columns.headers))
    return _evaluate(job, numbers, cells, others, arrow)


def evaluate_cells(job: Job, cells: list[pl.Series], first_line: int, arrow: bool = False) -> Done:
    """A block of rows given as text columns (a Parquet record batch), numbered from ``first_line``;
    with ``arrow``, ``Done.out`` is the result as an Arrow IPC stream instead of CSV text."""
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
    return _evaluate(job, numbers, cells, others, arrow)


def _evaluate(
    job: Job, numbers: np.ndarray, cells: list[pl.Series], others: list[Row], arrow: bool = False
) -> Done:
    cols, layout, engine = job.columns, job.layout, job.engine
    suspect, reads, case_ids = read_block(cols, cells, job.as_of)
    done = Done(b"", b"")
    pieces: list[tuple[np.ndarray, list[list[Column]]]] = []  # (line numbers, output columns) per table
    counts: Counter[str] = Counter()
    for subject, read in reads.items():
        if not len(read.rows):
            continue
        table = build(subject, len(read.rows), job.as_of, engine.settings, read.inputs, read.confirmations)
        judged, c = judge_table(engine._judges[subject], table, layout, layout.lang)
        counts.update(c)
        idx = pl.Series(read.rows, dtype=pl.Int64)
        carried = [cells[i].gather(idx).str.strip_chars(ASCII_SPACE) for i in cols.carried]
        lines = numbers[read.rows]
        pieces.append((lines, columns(layout, subject, case_ids.gather(idx), lines, judged, carried)))
        done.decided += len(read.rows)
    # Rows read one by one: the suspect ones and the rest.
    if suspect.any():
        frame = pl.DataFrame(cells)
        others += [(int(numbers[i]), list(frame.row(int(i))), None) for i in np.flatnonzero(suspect)]
    errors: list[tuple[int, list[list[str]]]] = []
    cases: dict[str, list] = {"person": [], "enterprise": []}
    for line, fields, problem in others:
        case, bad = read_row(cols, len(cols.headers), line, fields, problem, job.as_of)
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
        lines = np.array([line for line, _, _ in found], dtype=np.int64)
        ids = pl.Series([case.case_id or "" for _, case, _ in found], dtype=pl.String)
        carried = [
            pl.Series([cells[k] for _, _, cells in found], dtype=pl.String) for k in range(len(cols.carried))
        ]
        pieces.append((lines, columns(layout, subject, ids, lines, judged, carried)))
        done.decided += len(found)
    done.out = _render(layout, pieces, arrow)
    errors.sort(key=lambda e: e[0])
    done.err = csv_text([row for _, bad in errors for row in bad]).encode("utf-8")
    for k, v in counts.items():
        done.counts[k] += v
    return done


def _render(layout: Layout, pieces: list[tuple[np.ndarray, list[list[Column]]]], arrow: bool) -> bytes:
    """The pieces' rows in input order (long: each case's programs in rule-book order), as CSV
    text or as an Arrow IPC stream."""
    lines = [ln for ln, shapes in pieces for _ in shapes]
    program = [np.full(len(ln), k) for ln, shapes in pieces for k in range(len(shapes))]
    parts = [cols for _, shapes in pieces for cols in shapes]
    if arrow:
        schema = result_schema(layout)
        tables = [pa.Table.from_arrays(arrow_columns(cols), schema=schema) for cols in parts]
        if not tables:
            return _ipc(None, layout)
        if len(tables) == 1:
            return _ipc(tables[0], layout)
        table = pa.concat_tables(tables).unify_dictionaries().combine_chunks()
        table = table.take(pa.array(np.lexsort((np.concatenate(program), np.concatenate(lines)))))
        return _ipc(table, layout)
    if not parts:
        return b""
    text = pl.concat([csv_lines(cols) for cols in parts])
    if len(parts) > 1:
        order = np.lexsort((np.concatenate(program), np.concatenate(lines)))
        text = text.gather(pl.Series(order, dtype=pl.Int64))
    return text.str.join("").item().encode("utf-8")


def _ipc(table: pa.Table | None, layout: Layout) -> bytes:
    """A result table as an Arrow IPC stream (no table: an empty one)."""
    schema = result_schema(layout)
    sink = pa.BufferOutputStream()
    # LZ4: the coded columns' indices shrink sevenfold, for the pipe and the part files
    with pa.ipc.new_stream(sink, schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
        writer.write_table(table if table is not None else schema.empty_table())
    return sink.getvalue().to_pybytes()
