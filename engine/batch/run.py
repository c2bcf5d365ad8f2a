"""``subsidy batch``: a whole registry, streamed in chunks through worker processes, resumable.

The main process reads records and writes results in input order; workers validate and judge
(the columnar evaluator, engine/columnar/). Memory holds only the chunks in flight, whatever the
file's size.
"""

from __future__ import annotations

import codecs
import multiprocessing
import os
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from engine.batch.checkpoint import Checkpoint, Outputs, fingerprint, head_hash
from engine.batch.columns import map_columns
from engine.batch.layout import ERROR_HEAD, Layout, csv_text
from engine.batch.progress import Progress, wanted
from engine.batch.reader import Chunk, Reader
from engine.batch.work import Done, Job
from engine.evaluate import Engine, default_engine

# Records per chunk: the unit of work, of ordering and of checkpointing; judged as whole arrays.
COLUMNAR_CHUNK = 50_000
BOM = codecs.BOM_UTF8  # Excel and WPS read UTF-8 only with it


@dataclass
class Options:
    source: Path
    out: Path
    errors: Path | None = None
    as_of: date | None = None
    kind: str = "person"
    long: bool = False
    lang: str = "zh"
    workers: int | None = None
    resume: bool = False
    quiet: bool = False
    chunk: int | None = None  # records per chunk (default: COLUMNAR_CHUNK)

    @property
    def errors_path(self) -> Path:
        return self.errors or self.out.with_name(self.out.stem + ".errors.csv")


@dataclass
class Totals:
    """Counted over the whole file, carried across a resume in the checkpoint."""

    read: int = 0
    decided: int = 0
    rejected: int = 0
    blank: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, done: Done) -> None:
        self.read += done.decided + done.rejected
        self.decided += done.decided
        self.rejected += done.rejected
        self.blank += done.blank
        self.counts.update(done.counts)

    def dump(self) -> dict[str, Any]:
        return {
            **{k: getattr(self, k) for k in ("read", "decided", "rejected", "blank")},
            "counts": dict(self.counts),
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Totals:
        return cls(**{**data, "counts": Counter(data.get("counts", {}))})


def run(opts: Options, engine: Engine | None = None, log: TextIO | None = None) -> Totals:
    """Evaluate every row of ``opts.source``; raises FileError/ResumeError before writing anything."""
    from engine.columnar import chunk as columnar
    from engine.columnar.parquet import is_parquet, run_parquet

    if is_parquet(opts.source):
        return run_parquet(opts, engine, log)
    engine = engine or default_engine()
    log = log or sys.stderr
    outputs = Outputs(opts.out, opts.errors_path)
    cp = outputs.load() if opts.resume else None
    if opts.resume and cp is None:
        print("没有可续跑的检查点，从头开始。", file=log)
    elif not opts.resume and outputs.checkpoint.exists():
        print(f"发现未完成的运行（{outputs.checkpoint}）；未用 --resume，从头开始。", file=log)
    as_of = opts.as_of or (date.fromisoformat(cp.options["as_of"]) if cp else date.today())
    reader = Reader(opts.source, cp.offset if cp else None, cp.line if cp else 2)
    try:
        columns = map_columns(reader.headers, opts.kind, engine.book.confirmation_keys())
        layout = Layout(engine.book, opts.lang, opts.long, [reader.headers[i] for i in columns.carried])
        options = run_options(opts, as_of, layout, engine)
        if cp is not None:
            outputs.verify(cp, opts.source, options)
            outputs.reopen(cp)
            totals = Totals.load(cp.totals)
            sizes = (cp.out_bytes, cp.err_bytes)
        else:
            totals = Totals()
            heads = (csv_text([layout.header()]), csv_text([ERROR_HEAD]))
            sizes = outputs.start(*(BOM + head.encode("utf-8") for head in heads))
        columnar.set_job(Job(engine, columns, layout, as_of))
        # polars' thread pool does not survive a fork: workers start afresh and compile their own
        # engine from the same rule book and district settings.
        start = ("spawn", columnar.start_worker, (engine.book, engine.settings, columns, opts, as_of))
        progress = Progress(reader.size, wanted(log, opts.quiet), log)
        workers = opts.workers or os.cpu_count() or 1
        head = head_hash(opts.source)
        chunks = reader.chunks(opts.chunk or COLUMNAR_CHUNK)
        for done, end, line in in_order(chunks, workers, columnar.process, start):
            totals.add(done)
            sizes = outputs.append(done.out, done.err)
            identity = fingerprint(opts.source, end, head)
            outputs.save(Checkpoint(options, end, line, *sizes, totals.dump(), identity))
            progress.update(end, totals.read)
        progress.close()
        assert totals.read == totals.decided + totals.rejected
        outputs.finish()
    finally:
        reader.close()
        outputs.close()
    return totals


def in_order(
    chunks: Iterator[Chunk],
    workers: int,
    work: Callable[[Any], Done],
    start: tuple[str, Callable[..., None], tuple[Any, ...]],
) -> Iterator[tuple[Done, int, int]]:
    """Each chunk's result in input order; at most two chunks per worker in flight (flat memory).
    ``start``: the pool's start method, and each worker's initializer and its arguments."""
    if workers <= 1:
        for rows, end, line in chunks:
            yield work(rows), end, line
        return
    method, initializer, initargs = start
    with multiprocessing.get_context(method).Pool(workers, initializer, initargs) as pool:
        pending: deque[tuple[Any, int, int]] = deque()
        for rows, end, line in chunks:
            pending.append((pool.apply_async(work, (rows,)), end, line))
            if len(pending) > 2 * workers:
                result, e, n = pending.popleft()
                yield result.get(), e, n
        while pending:
            result, e, n = pending.popleft()
            yield result.get(), e, n


def run_options(opts: Options, as_of: date, layout: Layout, engine: Engine) -> dict[str, Any]:
    """What a run's results depend on besides its input: a resume must find them unchanged."""
    return {
        "as_of": as_of.isoformat(),
        "kind": opts.kind,
        "long": opts.long,
        "lang": layout.lang,
        "rules_version": engine.book.version,
        "errors": str(opts.errors_path.resolve()),
    }


def summary(totals: Totals, engine: Engine, errors: Path, lang: str = "zh") -> str:
    """The run in numbers: rows read = decided + rejected, then each program's statuses."""
    from engine.text import STATUS_WORDS

    words = STATUS_WORDS["zh" if lang == "zh" else "en"]
    lines = [
        f"读取 {totals.read:,} 行：已评估 {totals.decided:,} 行，数据有误 {totals.rejected:,} 行"
        + (f"（见 {errors}）" if totals.rejected else "")
        + (f"；空行 {totals.blank:,} 行（已跳过）" if totals.blank else "")
    ]
    for rule in engine.book.rules.values():
        counts = [totals.counts.get(f"{rule.id}|{s}", 0) for s in words]
        if any(counts):  # programs of a kind of case the file does not hold are left out
            parts = [f"{words[s]} {n:,}" for s, n in zip(words, counts, strict=True)]
            lines.append(f"  {rule.title('zh')}（{rule.id}）：" + "，".join(parts))
    return "\n".join(lines)
