"""Beyond one machine: the columnar evaluator on a dask.distributed cluster.

    subsidy batch --scheduler tcp://HOST:8786 registry/ -o results/

Each partition of the input (each Parquet file of a dataset directory, each CSV file of a folder,
or a single file as one partition) goes to a worker, which decides it with the same code as
``subsidy batch`` (engine/columnar/chunk.py) and writes one result file and one errors file per
partition, each renamed into place only when complete. A partition whose result is already there
is not computed again: after a worker or the client dies, running the same command again resumes
by partition. A worker compiles the rule book once and keeps it for every partition it is given.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from engine.batch.options import BOM, COLUMNAR_CHUNK, Totals


@dataclass(frozen=True)
class Task:
    source: str  # one partition: a Parquet or CSV file
    out: str
    errors: str
    as_of: str
    kind: str = "person"
    lang: str = "zh"
    long: bool = False
    chunk: int = COLUMNAR_CHUNK
    carry: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def partitions(source: Path) -> list[Path]:
    if source.is_dir():
        files = sorted(source.glob("*.parquet")) or sorted(source.glob("*.csv"))
        if not files:
            raise FileNotFoundError(f"目录中没有 Parquet 或 CSV 文件：{source}")
        return files
    return [source]


@cache
def _engine() -> Any:
    from engine.evaluate import default_engine

    return default_engine()


def evaluate_partition(task: Task) -> dict[str, Any]:
    """Decide one partition on a worker, each chunk written as it is judged (memory holds one
    chunk, whatever the partition's size); returns its totals (rows read, decided, rejected, counts)."""
    from engine.batch.columns import book_columns
    from engine.batch.layout import ERROR_HEAD, Layout, csv_text
    from engine.batch.reader import Reader
    from engine.batch.work import Job
    from engine.columnar import chunk
    from engine.columnar.output import parquet_writer
    from engine.columnar.parquet import batches, dataset

    engine = _engine()
    source, out, errors = Path(task.source), Path(task.out), Path(task.errors)
    as_of = date.fromisoformat(task.as_of)
    arrow = out.suffix.lower() != ".csv"
    totals = Totals()
    tmp_err = errors.with_name(errors.name + ".tmp")
    tmp = out.with_name(out.name + ".tmp")
    with ExitStack() as files:
        if source.suffix.lower() == ".parquet":
            data = dataset(source)
            headers = [h.strip() for h in data.schema.names]
        else:
            reader = files.enter_context(closing(Reader(source)))
            headers = reader.headers
        cols = book_columns(headers, task.kind, engine.book, task.carry, task.ignore)
        layout = Layout.of(engine.book, task.lang, task.long, cols)
        job = Job(engine, cols, layout, as_of)
        if source.suffix.lower() == ".parquet":
            dones = _parquet_chunks(job, batches(data, task.chunk, 0), arrow)
        else:
            dones = (chunk.evaluate(job, rows, arrow) for rows, _, _ in reader.chunks(task.chunk))
        err_file = files.enter_context(tmp_err.open("wb"))
        err_file.write(BOM + csv_text([ERROR_HEAD[layout.lang]]).encode("utf-8"))
        if arrow:
            write = files.enter_context(parquet_writer(tmp, layout)).write_table
        else:
            out_file = files.enter_context(tmp.open("wb"))
            out_file.write(BOM + csv_text([layout.header()]).encode("utf-8"))
            write = out_file.write
        for done in dones:
            totals.add(done)
            err_file.write(done.err)
            write(done.out)
    for path in (tmp_err, tmp):
        with path.open("rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp_err, errors)
    os.replace(tmp, out)  # the result last: its presence says the partition is done
    return totals.dump()


def _parquet_chunks(job: Any, batches: Iterator[Any], arrow: bool) -> Iterator[Any]:
    """Each record batch judged, its rows numbered as a CSV's would be."""
    from engine.columnar.chunk import evaluate_cells
    from engine.columnar.parquet import as_cells

    row = 0
    for batch in batches:
        cells, distinct = as_cells(batch)
        yield evaluate_cells(job, cells, row + 2, arrow, distinct)
        row += batch.num_rows


def tasks(
    source: Path,
    out_dir: Path,
    as_of: str,
    kind: str,
    lang: str,
    long: bool,
    carry: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> list[Task]:
    out = []
    for k, part in enumerate(partitions(source)):
        suffix = ".parquet" if part.suffix.lower() == ".parquet" else ".csv"
        name = f"part-{k:05d}-{part.stem}"
        out.append(
            Task(
                str(part.resolve()),
                str((out_dir / f"{name}{suffix}").resolve()),
                str((out_dir / f"{name}.errors.csv").resolve()),
                as_of,
                kind,
                lang,
                long,
                carry=tuple(carry),
                ignore=tuple(ignore),
            )
        )
    return out


OPTIONS_FILE = "run-options.json"


def earlier_options(out_dir: Path) -> dict[str, Any] | None:
    """The options of the run whose partitions ``out_dir`` holds (None: no run there yet)."""
    import json

    from engine.batch.checkpoint import ResumeError

    path = out_dir / OPTIONS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise ResumeError(f"{path} 已损坏：请换一个空文件夹", f"{path} is damaged: use an empty folder")
    return data


def same_run(out_dir: Path, options: dict[str, Any]) -> None:
    """A results folder holds one run's partitions: a rerun into it continues that run only with
    the same options (refused, naming each changed option with both values, as a local
    ``--resume`` is). The options are kept in the folder's ``run-options.json``."""
    import json

    from engine.batch.checkpoint import unchanged
    from engine.evaluate import default_engine

    options = {**options, "rules_version": default_engine().book.version}
    earlier = earlier_options(out_dir)
    if earlier is not None:
        unchanged(earlier, options, "结果文件夹中已有的运行", "the folder's run")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.glob("part-*")):
        from engine.batch.checkpoint import ResumeError

        raise ResumeError(
            f"结果文件夹 {out_dir} 中已有分区结果，但没有记录其选项（{OPTIONS_FILE}）：请换一个空文件夹",
            f"The results folder {out_dir} holds partitions without a record of their options "
            f"({OPTIONS_FILE}): use an empty folder",
        )
    (out_dir / OPTIONS_FILE).write_text(json.dumps(options, ensure_ascii=False, indent=2), encoding="utf-8")


def run_dataset(
    client: Any,
    source: Path,
    out_dir: Path,
    as_of: str,
    kind: str = "person",
    lang: str = "zh",
    long: bool = False,
    log: Any = None,
    carry: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> Totals:
    """Every partition not yet decided, mapped to the cluster's workers; the run's totals."""
    from dask.distributed import as_completed

    options = {"as_of": as_of, "kind": kind, "lang": lang, "long": long, "source": str(source.resolve())}
    options |= {"carry": list(carry), "ignore": list(ignore)}
    same_run(out_dir, options)
    todo = [
        t for t in tasks(source, out_dir, as_of, kind, lang, long, carry, ignore) if not Path(t.out).exists()
    ]
    totals = Totals()
    futures = client.map(evaluate_partition, todo, pure=False, retries=2)
    for future in as_completed(futures):
        done = future.result()
        totals.read += done["read"]
        totals.decided += done["decided"]
        totals.rejected += done["rejected"]
        totals.blank += done["blank"]
        totals.examples += done.get("examples", 0)
        totals.counts.update(Counter(done["counts"]))
    assert totals.read == totals.decided + totals.rejected
    if log is not None:
        skipped = len(tasks(source, out_dir, as_of, kind, lang, long, carry, ignore)) - len(todo)
        if skipped:
            print(
                f"已完成的分区 {skipped} 个（跳过）；本次评估 {len(todo)} 个分区。"
                if lang == "zh"
                else f"{skipped} partitions already done (skipped); {len(todo)} evaluated now.",
                file=log,
            )
    return totals
