"""``subsidy batch``: a whole registry, streamed in chunks through worker processes, resumable.

The main process reads records and writes results in input order; workers validate and judge
(the columnar evaluator, engine/columnar/). Memory holds only the chunks in flight, whatever the
file's size.
"""

from __future__ import annotations

import os
import sys
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import TextIO

from engine.batch.checkpoint import Checkpoint, Outputs, fingerprint, head_hash, no_checkpoint
from engine.batch.columns import book_columns
from engine.batch.layout import ERROR_HEAD, Layout, csv_text
from engine.batch.options import BOM, COLUMNAR_CHUNK, Options, Totals, in_order, pool_size, run_options
from engine.batch.progress import Progress, wanted
from engine.batch.reader import Reader
from engine.batch.work import Job
from engine.evaluate import Engine, default_engine

__all__ = ["BOM", "COLUMNAR_CHUNK", "Options", "Totals", "run", "summary"]


def run(opts: Options, engine: Engine | None = None, log: TextIO | None = None) -> Totals:
    """Evaluate every row of ``opts.source`` (a CSV file, a Parquet file or a folder of them);
    raises FileError/ResumeError before writing anything."""
    from engine.columnar.parquet import is_parquet, run_parquet

    if is_parquet(opts.source):
        return run_parquet(opts, engine, log)
    return run_csv(opts, engine, log)


def run_csv(opts: Options, engine: Engine | None = None, log: TextIO | None = None) -> Totals:
    """A CSV registry, written as CSV."""
    from engine.columnar import chunk as columnar

    engine = engine or default_engine()
    log = log or sys.stderr
    outputs = Outputs(opts.out, opts.errors_path)
    cp = outputs.load() if opts.resume else None
    if opts.resume and cp is None:
        raise no_checkpoint(outputs.checkpoint)
    if not opts.resume and outputs.checkpoint.exists():
        print(
            f"发现未完成的运行（{outputs.checkpoint}）；未用 --resume，从头开始。"
            if opts.lang == "zh"
            else f"An unfinished run was found ({outputs.checkpoint}); without --resume, starting afresh.",
            file=log,
        )
    as_of = opts.as_of or (date.fromisoformat(cp.options["as_of"]) if cp else date.today())
    reader = Reader(opts.source, cp.offset if cp else None, cp.line if cp else 2)
    try:
        columns = book_columns(reader.headers, opts.kind, engine.book, opts.carry, opts.ignore)
        layout = Layout.of(engine.book, opts.lang, opts.long, columns)
        options = run_options(opts, as_of, layout.lang, engine.book.version)
        if cp is not None:
            outputs.verify(cp, opts.source, options)
            outputs.reopen(cp)
            totals = Totals.load(cp.totals)
            sizes = (cp.out_bytes, cp.err_bytes)
        else:
            totals = Totals()
            heads = (csv_text([layout.header()]), csv_text([ERROR_HEAD[layout.lang]]))
            sizes = outputs.start(*(BOM + head.encode("utf-8") for head in heads))
        columnar.set_job(Job(engine, columns, layout, as_of))
        # polars' thread pool does not survive a fork: workers start afresh and compile their own
        # engine from the same rule book and district settings.
        progress = Progress(reader.size, wanted(log, opts.quiet), log, layout.lang)
        workers = opts.workers or os.cpu_count() or 1
        head = head_hash(opts.source)
        chunks, workers = pool_size(reader.chunks(opts.chunk or COLUMNAR_CHUNK), workers)
        # workers leave each chunk's rows in a file, which is appended without passing through here
        hand_over = outputs.hand_over_folder() if workers > 1 else None
        setup = (engine.book, engine.settings, columns, opts, as_of, hand_over)
        start = ("spawn", columnar.start_worker, setup)
        # closed here, not when collected: its workers are gone before the hand-over folder is
        with closing(in_order(chunks, workers, columnar.process, start)) as results:
            for done, end, line in results:
                totals.add(done)
                sizes = outputs.append(done.out, done.err, done.out_file)
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


PHASE_ORDER = ("eligible", "not_yet", "needs_information", "not_eligible", "ended")


def _rows(n: int, what: str = "row") -> str:
    return f"{n:,} {what}" if n == 1 else f"{n:,} {what}s"


def summary(totals: Totals, engine: Engine, errors: Path, lang: str = "zh") -> str:
    """The run in numbers, in ``lang``: rows read = decided + rejected, then each program's phases
    (尚未符合 and 已期满 apart from 不符合)."""
    from engine.text import PHASE_WORDS

    zh = lang == "zh"
    every = PHASE_WORDS["zh" if zh else "en"]
    words = {p: every[p] for p in PHASE_ORDER}
    if zh:
        head = f"读取 {totals.read:,} 行：已评估 {totals.decided:,} 行，数据有误 {totals.rejected:,} 行"
        head += f"（见 {errors}）" if totals.rejected else ""
        head += f"；空行 {totals.blank:,} 行（已跳过）" if totals.blank else ""
        head += f"；模板示例行 {totals.examples:,} 行（已跳过）" if totals.examples else ""
    else:
        head = f"Read {_rows(totals.read)}: {totals.decided:,} evaluated, {totals.rejected:,} with bad data"
        head += f" (see {errors})" if totals.rejected else ""
        head += f"; {_rows(totals.blank, 'blank line')} skipped" if totals.blank else ""
        head += f"; {_rows(totals.examples, 'template example row')} skipped" if totals.examples else ""
    lines = [head]
    for rule in engine.book.rules.values():
        counts = [totals.counts.get(f"{rule.id}|{s}", 0) for s in words]
        if any(counts):  # programs of a kind of case the file does not hold are left out
            parts = [f"{words[s]} {n:,}" for s, n in zip(words, counts, strict=True)]
            name = f"{rule.title(lang)}（{rule.id}）：" if zh else f"{rule.title(lang)} ({rule.id}): "
            lines.append("  " + name + ("，" if zh else ", ").join(parts))
    return "\n".join(lines)
