"""Parquet registries in and out: ``subsidy batch registry.parquet -o results.parquet``.

Input is one Parquet file or a directory of them (a dataset), read in record batches so memory
stays bounded whatever its length. Columns are named as a CSV's headers (the form's Chinese labels
or the dotted names); a cell is read as the text the same value would have in a CSV (dates ISO,
booleans ``true``/``false``, numbers as written, null as unknown), so a row is accepted, refused
and decided exactly as the same row in a CSV. ``行号`` is the row's number as if the rows were
written as CSV under a header (the first row is 2).

Output is a Parquet file with the CSV output's columns (line as int64, every cell as a string with
the same words), or CSV when ``-o`` names a .csv file. The errors file stays CSV (it is read by
people). Chunks are checkpointed as with CSV: each chunk's result is a part file in
``OUT.partial/``; ``--resume`` drops parts after the checkpoint and reads on from that row; the
parts are joined into ``OUT`` (atomically renamed) when the run is complete.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from engine.batch.checkpoint import Checkpoint, ResumeError
from engine.batch.columns import map_columns
from engine.batch.layout import ERROR_HEAD, Layout, csv_text
from engine.batch.progress import Progress, wanted
from engine.batch.reader import FileError
from engine.batch.run import BOM, COLUMNAR_CHUNK, Options, Totals, run_options
from engine.batch.work import Done, Job
from engine.columnar.chunk import evaluate_cells
from engine.evaluate import Engine, default_engine


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq") or (path.is_dir() and any(path.glob("*.parquet")))


def dataset(path: Path) -> ds.Dataset:
    try:
        return ds.dataset(str(path), format="parquet")
    except (pa.ArrowInvalid, OSError) as err:
        raise FileError(f"无法按 Parquet 读取：{err}") from None


def as_text(batch: pa.RecordBatch) -> list[pl.Series]:
    """Every column as the text a CSV would hold (null: empty)."""
    frame = pl.from_arrow(batch)
    assert isinstance(frame, pl.DataFrame)
    out = []
    for name in frame.columns:
        s = frame[name]
        if s.dtype == pl.Boolean:
            s = s.cast(pl.String)
        elif s.dtype == pl.Date:
            s = s.dt.strftime("%Y-%m-%d")
        elif s.dtype != pl.String:
            s = s.cast(pl.String)
        out.append(s.fill_null(""))
    return out


def batches(data: ds.Dataset, size: int, skip_rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches of at most ``size`` rows from row ``skip_rows`` on."""
    seen = 0
    for batch in data.to_batches(batch_size=size):
        if seen + batch.num_rows <= skip_rows:
            seen += batch.num_rows
            continue
        if seen < skip_rows:
            batch = batch.slice(skip_rows - seen)
            seen = skip_rows
        seen += batch.num_rows
        for start in range(0, batch.num_rows, size):
            yield batch.slice(start, size)


def _frame(layout: Layout, done: Done) -> pl.DataFrame:
    """A chunk's output rows as a frame: the CSV output's columns, line as int64."""
    header = layout.header()
    frame = (
        pl.read_csv(
            io.BytesIO(done.out),
            has_header=False,
            new_columns=header,
            schema_overrides=dict.fromkeys(header, pl.String),
            infer_schema=False,
        )
        if done.out
        else pl.DataFrame({h: pl.Series([], dtype=pl.String) for h in header})
    )
    return frame.with_columns(pl.col(header[1]).cast(pl.Int64))


def run_parquet(opts: Options, engine: Engine | None = None, log: Any = None) -> Totals:
    """``subsidy batch`` for a Parquet input (file or directory), writing Parquet or CSV."""
    import sys

    engine = engine or default_engine()
    log = log or sys.stderr
    data = dataset(opts.source)
    headers = [h.strip() for h in data.schema.names]
    columns = map_columns(headers, opts.kind, engine.book.confirmation_keys())
    layout = Layout(engine.book, opts.lang, opts.long, [headers[i] for i in columns.carried])
    out, errors = opts.out, opts.errors_path
    parts = out.with_name(out.name + ".partial")
    err_part = errors.with_name(errors.name + ".partial")
    checkpoint = out.with_name(out.name + ".checkpoint")
    cp = None
    if opts.resume and checkpoint.exists():
        cp = Checkpoint(**json.loads(checkpoint.read_text(encoding="utf-8")))
    as_of = opts.as_of or (date.fromisoformat(cp.options["as_of"]) if cp else date.today())
    options = {**run_options(opts, as_of, layout, engine), "input_rows": data.count_rows()}
    csv_out = out.suffix.lower() == ".csv"
    if cp is not None:
        changed = [k for k in sorted(set(options) | set(cp.options)) if options.get(k) != cp.options.get(k)]
        if changed:
            raise ResumeError("选项或输入与中断的运行不同，不能续跑：" + "、".join(changed))
        totals = Totals.load(cp.totals)
        done_chunks, skip = cp.out_bytes, cp.offset
        for p in parts.glob("part-*"):
            if int(p.name.split("-")[1].split(".")[0]) >= done_chunks:
                p.unlink()
        with err_part.open("r+b") as f:
            f.truncate(cp.err_bytes)
    else:
        shutil.rmtree(parts, ignore_errors=True)
        parts.mkdir()
        err_part.write_bytes(BOM + csv_text([ERROR_HEAD]).encode("utf-8"))
        totals, done_chunks, skip = Totals(), 0, 0
    job = Job(engine, columns, layout, as_of)
    size = opts.chunk or COLUMNAR_CHUNK
    progress = Progress(options["input_rows"], wanted(log, opts.quiet), log)
    row = skip
    with err_part.open("ab") as err_file:
        for batch in batches(data, size, skip):
            done = evaluate_cells(job, as_text(batch), row + 2)
            row += batch.num_rows
            totals.add(done)
            name = parts / f"part-{done_chunks:06d}.{'csv' if csv_out else 'parquet'}"
            tmp = name.with_suffix(".tmp")
            if csv_out:
                tmp.write_bytes(done.out)
            else:
                _frame(layout, done).write_parquet(tmp)
            _fsync(tmp)
            os.replace(tmp, name)
            err_file.write(done.err)
            err_file.flush()
            os.fsync(err_file.fileno())
            done_chunks += 1
            cp = Checkpoint(options, row, row + 2, done_chunks, err_file.tell(), totals.dump(), {})
            tmp_cp = checkpoint.with_name(checkpoint.name + ".tmp")
            tmp_cp.write_text(json.dumps(asdict(cp), ensure_ascii=False), encoding="utf-8")
            os.replace(tmp_cp, checkpoint)
            progress.update(row, totals.read)
    progress.close()
    assert totals.read == totals.decided + totals.rejected
    _join(parts, out, layout, csv_out)
    os.replace(err_part, errors)
    shutil.rmtree(parts, ignore_errors=True)
    checkpoint.unlink(missing_ok=True)
    return totals


def _fsync(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


def _join(parts: Path, out: Path, layout: Layout, csv_out: bool) -> None:
    """The part files, in order, as one file renamed into place (streamed: memory stays flat)."""
    files = sorted(parts.glob("part-*"))
    tmp = out.with_name(out.name + ".tmp")
    if csv_out:
        with tmp.open("wb") as f:
            f.write(BOM + csv_text([layout.header()]).encode("utf-8"))
            for p in files:
                with p.open("rb") as src:
                    shutil.copyfileobj(src, f)
            f.flush()
            os.fsync(f.fileno())
    else:
        schema = _frame(layout, Done(b"", b"")).to_arrow().schema
        with pq.ParquetWriter(tmp, schema) as writer:
            for p in files:
                for group in range(pq.ParquetFile(p).num_row_groups):
                    writer.write_table(pq.ParquetFile(p).read_row_group(group).cast(schema))
        _fsync(tmp)
    os.replace(tmp, out)
