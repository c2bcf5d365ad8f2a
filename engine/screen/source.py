"""A registry (CSV or Parquet) read once, in chunks, judged by one or more rule books in workers.

The same reader, column mapping and bad-row handling as ``subsidy batch`` (engine/batch/reader.py,
engine/batch/columns.py, engine/columnar/parquet.py): each chunk goes to a worker process, which
judges it with every engine it was given (``compare`` gives two) through the columnar evaluator and
hands back only what the command keeps (``reduce``), so memory holds the chunks in flight only.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, islice
from pathlib import Path
from typing import Any

import pyarrow as pa

from engine.batch.columns import Columns, map_columns
from engine.batch.progress import Progress, wanted
from engine.batch.reader import Reader, Row
from engine.batch.run import COLUMNAR_CHUNK, in_order
from engine.batch.work import Job
from engine.columnar.judged import Judgement, cell_records, judge_cells, judge_chunk, records, unjudgeable
from engine.columnar.parquet import as_cells, batches, dataset, is_parquet
from engine.districts import DistrictBook
from engine.evaluate import Engine
from engine.rulebook import RuleBook
from engine.screen.listing import Plainly

Reduce = Callable[[list[Judgement], list[Columns]], Any]


@dataclass
class Registry:
    """A registry file's headers and chunks; CSV or Parquet by its name (a folder: Parquet)."""

    path: Path
    ignore: tuple[str, ...] = ()  # columns no rule reads, left out (--ignore, --carry)
    headers: list[str] = field(init=False)
    size: int = field(init=False)  # bytes (CSV) or rows (Parquet): what progress counts in

    def __post_init__(self) -> None:
        self.parquet = is_parquet(self.path)
        if self.parquet:
            self._data = dataset(self.path)
            self.headers = [h.strip() for h in self._data.schema.names]
            self.size = self._data.count_rows()
        else:
            reader = Reader(self.path)
            self.headers, self.size = reader.headers, reader.size
            reader.close()

    def tasks(self, size: int, start: tuple[int, int] | None = None) -> Iterator[tuple[Any, int, int]]:
        """Each chunk as a worker's task, with where it ends: (byte offset, next line) in a CSV, (rows,
        next row's line) in Parquet. ``start``: where a resumed run reads on (as a chunk ends)."""
        if self.parquet:
            row = start[0] if start else 0
            options = pa.ipc.IpcWriteOptions(compression="lz4")
            for batch in batches(self._data, size, row):
                first, row = row + 2, row + batch.num_rows
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, batch.schema, options=options) as writer:
                    writer.write_batch(batch)
                yield ("parquet", sink.getvalue().to_pybytes(), first), row, row + 2
            return
        reader = Reader(self.path, *(start or (None, 2)))
        try:
            for rows, end, line in reader.chunks(size):
                yield ("csv", rows, 0), end, line
        finally:
            reader.close()


_jobs: list[Job] = []
_reduce: Reduce | None = None


Books = list[tuple[RuleBook, DistrictBook]]


def start(
    books: Books, headers: list[str], ignore: tuple[str, ...], kind: str, as_of: date, reduce: Reduce
) -> None:
    """A worker's engines and jobs (also the main process's, run with one worker)."""
    global _reduce
    if multiprocess_child():
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    _jobs.clear()
    for book, settings in books:
        columns = map_columns(headers, kind, book.confirmation_keys(), ignore=ignore)
        _jobs.append(Job(Engine(book, settings), columns, Plainly(), as_of))  # type: ignore[arg-type]
    _reduce = reduce


def multiprocess_child() -> bool:
    import multiprocessing

    return multiprocessing.parent_process() is not None


def work(task: tuple[str, Any, int]) -> Any:
    """One chunk judged by every job, reduced to what the command keeps. A chunk the columnar
    evaluator cannot judge (a bug) is judged row by row, as ``subsidy batch`` does."""
    what, data, first = task
    if what == "parquet":
        cells, distinct = as_cells(pa.ipc.open_stream(data).read_all())
        try:
            judgements = [judge_cells(job, cells, first, distinct) for job in _jobs]
        except Exception:
            judgements = _row_by_row(cell_records(cells, first))
    else:
        try:
            judgements = [judge_chunk(job, data) for job in _jobs]
        except Exception:
            judgements = _row_by_row(records(data))
    assert _reduce is not None
    return _reduce(judgements, [job.columns for job in _jobs])


def _row_by_row(records: list[Row]) -> list[Judgement]:
    """Each record judged alone by every job; one that some job cannot judge is an error row of
    every job's (``compare`` counts both books on the same rows)."""
    found: list[list[Judgement]] = [[] for _ in _jobs]
    for record in records:
        try:
            each = [judge_chunk(job, [record]) for job in _jobs]
        except Exception as err:
            line, fields, _ = record
            each = [Judgement(errors=[unjudgeable(_jobs[0], line, fields, err)], rejected=1)] * len(_jobs)
        for parts, judgement in zip(found, each, strict=True):
            parts.append(judgement)
    return [Judgement.joined(parts) for parts in found]


def judge_registry(
    registry: Registry,
    books: Books,
    kind: str,
    as_of: date,
    reduce: Reduce,
    workers: int | None = None,
    chunk: int | None = None,
    log: Any = None,
    quiet: bool = True,
    resume: tuple[int, int] | None = None,
) -> Iterator[tuple[Any, int, int]]:
    """Each chunk's reduced result, in input order, read once and judged by every book, with where
    the chunk ends (``Registry.tasks``); ``resume``: read on from there. An unknown or repeated
    header refuses the file here, when called, before the caller writes anything."""
    for book, _ in books:
        map_columns(registry.headers, kind, book.confirmation_keys(), ignore=registry.ignore)
    return _judged(registry, books, kind, as_of, reduce, workers, chunk, log, quiet, resume)


def _judged(
    registry: Registry,
    books: Books,
    kind: str,
    as_of: date,
    reduce: Reduce,
    workers: int | None,
    chunk: int | None,
    log: Any,
    quiet: bool,
    resume: tuple[int, int] | None,
) -> Iterator[tuple[Any, int, int]]:
    args = (books, registry.headers, registry.ignore, kind, as_of, reduce)
    tasks, count = pool_size(registry.tasks(chunk or COLUMNAR_CHUNK, resume), workers or os.cpu_count() or 1)
    if count <= 1:
        start(*args)
    progress = Progress(registry.size, log is not None and wanted(log, quiet), log) if log else None
    for result, end, line in in_order(tasks, count, work, ("spawn", start, args)):
        if progress:
            progress.update(end, 0)
        yield result, end, line
    if progress:
        progress.close()


def pool_size(tasks: Iterator[Any], workers: int) -> tuple[Iterator[Any], int]:
    """The tasks (unchanged) and the workers worth starting for them: no more than there are chunks
    (a worker is a fresh interpreter importing polars and the engine), and none for one chunk,
    which is judged in this process."""
    head = list(islice(tasks, workers))
    return chain(head, tasks), max(1, len(head))
