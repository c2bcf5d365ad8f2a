"""Parquet registries in and out: ``subsidy batch registry.parquet -o results.parquet``.

Input is one Parquet file or a directory of them (a dataset), read in record batches so memory
stays bounded whatever its length. Columns are named as a CSV's headers (the form's Chinese labels
or the dotted names); a cell is read as the text the same value would have in a CSV (dates ISO,
booleans ``true``/``false``, numbers as written, null as unknown), so a row is accepted, refused
and decided exactly as the same row in a CSV. ``行号`` is the row's number as if the rows were
written as CSV under a header (the first row is 2).

Record batches go to the worker pool as CSV chunks do. Output is a Parquet file with the CSV
output's columns (line as int64, every cell as a string with the same words; a column that takes a
few texts is dictionary-encoded, which its readers do not see), or CSV when ``-o`` names a .csv
file. The errors file stays CSV (it is read by people). Chunks are checkpointed as with CSV: each
chunk's result is kept as a part file in ``OUT.partial/``, which for Parquet the worker writes
itself (a Parquet file of the chunk's rows: nothing of it passes through the main process);
``--resume`` drops the parts after the checkpoint and reads on from that row. When the run is
complete the parts are joined, in input order, into ``OUT.tmp`` (CSV: appended as they arrive),
which is renamed into place: a Parquet result is the parts' row groups copied as they are, under
one footer (engine/columnar/joined.py), so it is encoded once, by the workers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from engine.batch.checkpoint import (
    Checkpoint,
    ResumeError,
    no_checkpoint,
    read_checkpoint,
    same_options,
    write_checkpoint,
)
from engine.batch.columns import book_columns
from engine.batch.layout import ERROR_HEAD, Layout, csv_text
from engine.batch.options import BOM, COLUMNAR_CHUNK, Options, Totals, in_order, pool_size, run_options
from engine.batch.progress import Progress, wanted
from engine.batch.reader import FileError
from engine.batch.work import Done, Job
from engine.columnar.chunk import evaluate_cells
from engine.columnar.joined import join
from engine.columnar.judged import cell_records
from engine.columnar.output import parquet_writer
from engine.columnar.parse import Distinct
from engine.evaluate import Engine, default_engine


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq") or (path.is_dir() and any(path.glob("*.parquet")))


@dataclass(frozen=True)
class Registry:
    """A Parquet registry: its files, in reading order, and its columns."""

    files: list[str]
    schema: pa.Schema

    def count_rows(self) -> int:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.files)


def dataset(path: Path) -> Registry:
    """One Parquet file or a folder of them; a folder's columns are those of all its files (a
    column only some files have is unknown in the others, never left unread), each one a CSV cell
    could hold. A folder's files are found as pyarrow's datasets find them; one file needs none of
    that (pyarrow.dataset is a tenth of a second to import)."""
    try:
        if path.is_dir():
            import pyarrow.dataset as ds

            data = ds.dataset(str(path), format="parquet")
            files, schema = list(data.files), data.schema
            if len(files) > 1:  # the dataset took the first file's columns
                unified = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
                if unified.names != schema.names:
                    schema = unified
        else:
            files, schema = [str(path)], pq.read_schema(path)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError):
        raise FileError(
            "不是可读的 Parquet 文件（文件不完整、已损坏，或不是 Parquet 格式）；请重新导出",
            "Not a readable Parquet file (cut short, damaged, or of another format): export it again",
        ) from None
    cell_types(schema)
    return Registry(files, schema)


def cell_types(schema: pa.Schema) -> None:
    """Refuse a file with a column no CSV cell could hold (lists, structs, maps, raw bytes)."""
    for k, field in enumerate(schema):
        t = field.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        scalar = (
            pa.types.is_string(t)
            or pa.types.is_large_string(t)
            or pa.types.is_string_view(t)
            or pa.types.is_boolean(t)
            or pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_decimal(t)
            or pa.types.is_date(t)
            or pa.types.is_timestamp(t)
            or pa.types.is_null(t)
        )
        if not scalar:
            raise FileError(
                f"第{k + 1}列“{field.name}”的类型是 {field.type}，不是单元格的值（文字、数字、日期或是/否），"
                "无法逐格读取；请导出为普通列",
                f"Column {k + 1}, “{field.name}”, is of type {field.type}, not cell values (text, numbers, "
                "dates or yes/no), so it cannot be read cell by cell: export it as a plain column",
            )


def as_cells(batch: pa.RecordBatch | pa.Table) -> tuple[list[pl.Series], dict[int, Distinct]]:
    """Every column as the text a CSV would hold (null: empty); and, by position, the columns whose
    few distinct values are known without looking at each row (dates, yes/no, integers, columns
    Parquet keeps as a dictionary) as their distinct texts and each row's place among them: those
    texts are worded (and then read) once each."""
    cells, distinct = [], {}
    for k, column in enumerate(batch.columns):
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        coded = _distinct(column)
        if coded is None:
            cells.append(_text(pl.Series(column)))
        else:
            distinct[k] = coded
            cells.append(coded.texts.gather(pl.Series(coded.places)))
    return cells, distinct


def _text(s: pl.Series) -> pl.Series:
    """A column's cells as a CSV holds them: dates ISO, booleans ``true``/``false``, numbers as
    polars writes them, null as empty."""
    if s.dtype == pl.Date:
        s = s.dt.strftime("%Y-%m-%d")
    elif s.dtype != pl.String:
        s = s.cast(pl.String)
    return s.fill_null("")


def _distinct(column: pa.Array) -> Distinct | None:
    """A dictionary, date, boolean or integer column's distinct values as texts (the last one
    empty, for null) and each row's place among them; None for any other column."""
    t = column.type
    if pa.types.is_dictionary(t):
        values = column.dictionary
        places = column.indices.fill_null(len(values)).to_numpy().astype(np.int64)
    elif pa.types.is_date32(t) or pa.types.is_boolean(t) or (pa.types.is_integer(t) and t != pa.uint64()):
        values, places = _unique(column)
    else:
        return None
    return Distinct(places, _text(pl.Series(values)).extend_constant("", 1))


def _unique(column: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(the distinct non-null values, each row's place among them: one past them where null) of a date,
    boolean or integer column: a table over the values' range when it is narrow (no hashing, no
    sorting), else numpy's sort."""
    t = column.type
    number = pa.int8() if pa.types.is_boolean(t) else pa.int32() if pa.types.is_date32(t) else pa.int64()
    v = column.cast(number).fill_null(0).to_numpy().astype(np.int64)
    valid = np.asarray(column.is_valid()) if column.null_count else np.ones(len(v), dtype=bool)
    given = v[valid]
    if not len(given):
        return pa.array([], t), np.zeros(len(v), dtype=np.int64)
    lo, hi = int(given.min()), int(given.max())
    if hi - lo < 4 * len(v) + 1024:
        present = np.zeros(hi - lo + 1, dtype=bool)
        present[given - lo] = True
        uniq = np.flatnonzero(present) + lo
        place = (np.cumsum(present) - 1)[np.where(valid, v - lo, 0)]
    else:
        uniq = np.unique(given)
        place = np.searchsorted(uniq, np.where(valid, v, lo))
    return pa.array(uniq, number).cast(t), np.where(valid, place, len(uniq))


def batches(data: Registry, size: int, skip_rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches of at most ``size`` rows from row ``skip_rows`` on, file by file and row
    group by row group (the dataset scanner reads a whole file ahead: memory would grow with it)."""
    seen = 0
    for path in data.files:
        file = pq.ParquetFile(path, read_dictionary=_kept_as_dictionary(path))
        for group in range(file.num_row_groups):
            rows = file.metadata.row_group(group).num_rows
            if seen + rows <= skip_rows:
                seen += rows
                continue
            names = data.schema.names
            present = [n for n in names if n in file.schema_arrow.names]
            for batch in file.iter_batches(batch_size=size, row_groups=[group], columns=present):
                if len(present) < len(names):  # a column this file of the dataset lacks: unknown
                    batch = pa.RecordBatch.from_arrays(
                        [
                            batch.column(n) if n in present else pa.nulls(batch.num_rows, pa.string())
                            for n in names
                        ],
                        names=names,
                    )
                start, seen = seen, seen + batch.num_rows
                if seen <= skip_rows:
                    continue
                yield batch.slice(skip_rows - start) if start < skip_rows else batch


def _kept_as_dictionary(path: str) -> list[str]:
    """The text columns a file keeps as a dictionary (in its first row group): read as one, each
    row is its place in it, and a column of few distinct texts is read once per text (``as_cells``)
    with no row's text hashed again."""
    meta = pq.read_metadata(path)
    if not meta.num_row_groups:
        return []
    group = meta.row_group(0)  # the columns are flat (``cell_types``): column j is field j
    return [
        field.name
        for j, field in enumerate(meta.schema.to_arrow_schema())
        if group.column(j).has_dictionary_page
        and (pa.types.is_string(field.type) or pa.types.is_large_string(field.type))
    ]


def process_batch(task: tuple[bytes, int, str | None]) -> Done:
    """A worker's task: one record batch as an Arrow IPC stream, numbered from a line, judged as
    its CSV's rows would be. With a parts folder (Parquet output), its result is left there as a
    Parquet file (``Done.out_file``), encoded and made durable by the worker."""
    from engine.columnar import chunk

    data, first, parts = task
    job = chunk.current_job()
    cells, distinct = as_cells(pa.ipc.open_stream(data).read_all())
    arrow = parts is not None
    done = chunk.safely(
        job,
        lambda: evaluate_cells(job, cells, first, arrow, distinct),
        lambda: cell_records(cells, first),
        arrow,
    )
    if parts is not None:
        done.out, done.out_file = b"", write_part(done.out, parts, job.layout)
    return done


def write_part(table: pa.Table, parts: str, layout: Layout) -> str:
    """A chunk's result as a Parquet file of its own in ``parts`` (the run's writer settings, so
    the parts join by their bytes: engine/columnar/joined.py), made durable; its name."""
    fd, name = tempfile.mkstemp(dir=parts, prefix="chunk-", suffix=".tmp")
    os.close(fd)
    with parquet_writer(Path(name), layout) as writer:
        writer.write_table(table)
    with open(name, "rb") as f:
        os.fsync(f.fileno())
    return name


class Results:
    """The results file, from each chunk's part file in ``OUT.partial/``, in input order.

    The parts stay until the run is complete, so a resumed run keeps those before its checkpoint and
    reads on. CSV parts are written here and appended to ``OUT.tmp`` as they arrive; Parquet parts
    are the workers' files, renamed into place, and joined by their bytes when the run is complete.
    """

    def __init__(self, out: Path, layout: Layout, done_chunks: int):
        self.out, self.csv = out, out.suffix.lower() == ".csv"
        self.parts = out.with_name(out.name + ".partial")
        self.tmp = out.with_name(out.name + ".tmp")
        self.layout = layout
        lost = [k for k in range(done_chunks) if not self._part(k).exists()]
        if lost:  # removed by hand, or left by another version of the program (other part files)
            raise ResumeError(
                f"无法续跑：{self.parts.name} 中缺少已完成部分的结果（第 {lost[0] + 1} 块起）；"
                "请不带 --resume 重新运行",
                f"Cannot resume: {self.parts.name} lacks the results of finished chunks (from chunk "
                f"{lost[0] + 1} on); run again without --resume",
            )
        for part in sorted(self.parts.glob("*")):  # parts after the checkpoint, a worker's unfinished
            if not part.name.startswith("part-") or int(part.name.split("-")[1].split(".")[0]) >= done_chunks:
                part.unlink()
        self.parts.mkdir(exist_ok=True)
        self._file = None
        if self.csv:
            self._file = self.tmp.open("wb")
            self._file.write(BOM + csv_text([layout.header()]).encode("utf-8"))
            for k in range(done_chunks):
                self._file.write(self._part(k).read_bytes())
        self.chunks = done_chunks

    def _part(self, k: int) -> Path:
        return self.parts / f"part-{k:06d}.{'csv' if self.csv else 'parquet'}"

    def add(self, done: Done) -> None:
        part = self._part(self.chunks)
        if done.out_file is not None:  # a worker's Parquet file, already durable
            os.replace(done.out_file, part)
        else:
            assert self._file is not None
            tmp = part.with_suffix(".tmp")
            with tmp.open("wb") as f:
                f.write(done.out)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, part)
            self._file.write(done.out)
        self.chunks += 1

    def finish(self) -> None:
        if self._file is None:
            empty = pa.BufferOutputStream()
            parquet_writer(empty, self.layout).close()
            self._file = self.tmp.open("wb")
            join([self._part(k) for k in range(self.chunks)], empty.getvalue().to_pybytes(), self._file)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.tmp, self.out)
        shutil.rmtree(self.parts, ignore_errors=True)

    def close(self) -> None:
        """Stop without finishing (the parts stay for ``--resume``)."""
        if self._file is not None:
            self._file.close()
        self.tmp.unlink(missing_ok=True)


def run_parquet(opts: Options, engine: Engine | None = None, log: Any = None) -> Totals:
    """``subsidy batch`` for a Parquet input (file or directory), writing Parquet or CSV."""
    import sys

    from engine.columnar import chunk

    engine = engine or default_engine()
    log = log or sys.stderr
    data = dataset(opts.source)
    headers = [h.strip() for h in data.schema.names]
    columns = book_columns(headers, opts.kind, engine.book, opts.carry, opts.ignore)
    layout = Layout.of(engine.book, opts.lang, opts.long, columns)
    out, errors = opts.out, opts.errors_path
    err_part = errors.with_name(errors.name + ".partial")
    checkpoint = out.with_name(out.name + ".checkpoint")
    cp = read_checkpoint(checkpoint) if opts.resume else None
    if opts.resume and cp is None:
        raise no_checkpoint(checkpoint)
    as_of = opts.as_of or (date.fromisoformat(cp.options["as_of"]) if cp else date.today())
    # Chunks are the Parquet file's row groups: a resume reads on in chunks of the same size (the
    # interrupted run's, unless another is asked for, which is refused like any changed option).
    size = opts.chunk or (cp.options.get("chunk") if cp else None) or COLUMNAR_CHUNK
    options = run_options(opts, as_of, layout.lang, engine.book.version)
    options |= {"input_rows": data.count_rows(), "chunk": size}
    if cp is not None:
        same_options(cp, options)
        totals = Totals.load(cp.totals)
        done_chunks, skip = cp.out_bytes, cp.offset
        with err_part.open("r+b") as f:
            f.truncate(cp.err_bytes)
    else:
        shutil.rmtree(out.with_name(out.name + ".partial"), ignore_errors=True)
        err_part.write_bytes(BOM + csv_text([ERROR_HEAD[layout.lang]]).encode("utf-8"))
        totals, done_chunks, skip = Totals(), 0, 0
    job = Job(engine, columns, layout, as_of)
    chunk.set_job(job)
    progress = Progress(options["input_rows"], wanted(log, opts.quiet), log, layout.lang)
    start = ("spawn", chunk.start_worker, (engine.book, engine.settings, columns, opts, as_of))
    workers = opts.workers or os.cpu_count() or 1
    results = Results(out, layout, done_chunks)
    try:
        with err_part.open("ab") as err_file:
            parts = None if out.suffix.lower() == ".csv" else str(results.parts)
            chunks, workers = pool_size(tasks(data, size, skip, parts), workers)
            # closed on leaving, not when collected: the workers are gone before the parts are touched
            with closing(in_order(chunks, workers, process_batch, start)) as judged:
                for done, row, _ in judged:
                    totals.add(done)
                    results.add(done)
                    err_file.write(done.err)
                    err_file.flush()
                    os.fsync(err_file.fileno())
                    cp = Checkpoint(options, row, row + 2, results.chunks, err_file.tell(), totals.dump(), {})
                    write_checkpoint(checkpoint, cp)
                    progress.update(row, totals.read)
        progress.close()
        assert totals.read == totals.decided + totals.rejected
        results.finish()
    except BaseException:  # OUT.tmp half-joined (a full disk) goes; the parts stay for --resume
        results.close()
        raise
    os.replace(err_part, errors)
    checkpoint.unlink(missing_ok=True)
    return totals


def tasks(data: Registry, size: int, skip: int, parts: str | None) -> Iterator[tuple[Any, int, int]]:
    """Each record batch as a worker's task (LZ4 Arrow IPC: a quarter of the bytes to send), with
    the rows read once it is done; ``parts``: the folder a Parquet result is left in."""
    row = skip
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    for batch in batches(data, size, skip):
        first, row = row + 2, row + batch.num_rows
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema, options=options) as writer:
            writer.write_batch(batch)
        yield (sink.getvalue().to_pybytes(), first, parts), row, row + 2
