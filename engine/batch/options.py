"""What every batch run shares, whatever it reads and writes: its options, its counts, the pool.

engine/batch/run.py (CSV) and engine/columnar/parquet.py (Parquet) both build on this module and
neither on the other; run.py chooses between them.
"""

from __future__ import annotations

import codecs
import multiprocessing
import signal
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, islice
from pathlib import Path
from typing import Any

from engine.batch.work import Done
from engine.values import Words

# Records per chunk: the unit of work, of ordering and of checkpointing; judged as whole arrays.
COLUMNAR_CHUNK = 50_000
BOM = codecs.BOM_UTF8  # Excel and WPS read UTF-8 only with it
PARQUET_SUFFIXES = (".parquet", ".pq")


def is_parquet_name(path: Path) -> bool:
    """A results or registry file named as Parquet (the suffix decides the format)."""
    return path.suffix.lower() in PARQUET_SUFFIXES


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
    carry: tuple[str, ...] = ()  # headers no rule reads, carried into the results as written
    ignore: tuple[str, ...] = ()  # headers no rule reads, left out of the results

    @property
    def errors_path(self) -> Path:
        return self.errors or default_errors(self.out)


def default_errors(out: Path) -> Path:
    """The errors file beside the results when --errors names none: ``r.csv`` → ``r.errors.csv``."""
    return out.with_name(out.stem + ".errors.csv")


@dataclass
class Totals:
    """Counted over the whole file, carried across a resume in the checkpoint."""

    read: int = 0
    decided: int = 0
    rejected: int = 0
    blank: int = 0
    examples: int = 0  # a template's example rows (engine/batch/template.py), skipped
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, done: Done) -> None:
        self.read += done.decided + done.rejected
        self.decided += done.decided
        self.rejected += done.rejected
        self.blank += done.blank
        self.examples += done.examples
        self.counts.update(done.counts)

    def dump(self) -> dict[str, Any]:
        return {
            **{k: getattr(self, k) for k in ("read", "decided", "rejected", "blank", "examples")},
            "counts": dict(self.counts),
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Totals:
        return cls(**{**data, "counts": Counter(data.get("counts", {}))})


class WorkerLost(Exception):
    """A worker process ended in the middle of the run (killed by the system for want of memory, or
    by hand): its chunk will never be done, so the run stops rather than wait for it. ``said``: what
    happened, which each command follows with what to do next."""

    said = Words(
        "运行已停止：一个工作进程意外结束（可能因内存不足被系统终止）",
        "The run stopped: a worker process ended unexpectedly (perhaps ended by the system for want of "
        "memory)",
    )


def in_order(
    chunks: Iterator[Any],
    workers: int,
    work: Callable[[Any], Done],
    start: tuple[str, Callable[..., None] | None, tuple[Any, ...]],
) -> Iterator[tuple[Done, int, int]]:
    """Each chunk's result in input order; at most two chunks per worker in flight (flat memory).
    ``start``: the pool's start method, and each worker's initializer and its arguments. A worker
    that dies raises WorkerLost; the workers are ended at once when the run is done or stopped early
    (Ctrl-C, an error)."""
    if workers <= 1:
        for rows, end, line in chunks:
            yield work(rows), end, line
        return
    method, initializer, initargs = start
    context = _Recorded(multiprocessing.get_context(method))
    pool = ProcessPoolExecutor(workers, context, initializer=initializer, initargs=initargs)
    pending: deque[tuple[Future[Done], int, int]] = deque()
    try:
        for rows, end, line in chunks:
            pending.append((_submit(pool, work, rows), end, line))
            if len(pending) > 2 * workers:
                future, e, n = pending.popleft()
                yield future.result(), e, n
        while pending:
            future, e, n = pending.popleft()
            yield future.result(), e, n
    except BrokenProcessPool:  # from a result, or from handing over a chunk once the pool is broken
        raise WorkerLost from None
    finally:  # as Pool's exit does: every result is in (or none is wanted), so no worker's own
        _end_now(pool, context.started)  # slow exit (freeing its memory, modules) is waited for


def _submit(pool: ProcessPoolExecutor, work: Callable[[Any], Done], rows: Any) -> Future[Done]:
    """Hand a chunk to the pool, which may start a worker for it. Ctrl-C and SIGTERM wait until
    the worker is started and known to the pool (else it would be left running, unended); the
    worker starts with Ctrl-C held back, for it is the main process's to handle (the worker then
    ignores it), so a Ctrl-C while workers start prints no traceback of theirs."""
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    before = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in held}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return pool.submit(work, rows)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for number, handler in before.items():
            signal.signal(number, handler)
        for number in caught:
            signal.raise_signal(number)


class _Recorded:
    """A multiprocessing context that keeps each process it starts: the pool's workers, which
    ``ProcessPoolExecutor`` (before Python 3.14's ``kill_workers``) offers no public way to reach."""

    def __init__(self, context: Any) -> None:
        self._context = context
        self.started: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def Process(self, *args: Any, **kwargs: Any) -> Any:
        process = self._context.Process(*args, **kwargs)
        self.started.append(process)
        return process


def _end_now(pool: ProcessPoolExecutor, workers: list[Any]) -> None:
    """Drop the chunks not started and kill the workers mid-chunk (nothing they would still write
    is wanted), waiting until they are gone so that none writes after the run has cleaned up."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.kill()
    for process in workers:
        process.join()


def pool_size(chunks: Iterator[Any], workers: int) -> tuple[Iterator[Any], int]:
    """The chunks (unchanged) and the workers worth starting for them: none for a file of one
    chunk, which is judged in this process (a worker is a fresh interpreter importing polars and
    the engine: it would cost more than the one chunk it could share). The caller has set this
    process up to judge a chunk."""
    head = list(islice(chunks, 2))
    return chain(head, chunks), (workers if len(head) > 1 else 1)


def run_options(opts: Options, as_of: date, lang: str, rules_version: str) -> dict[str, Any]:
    """What a run's results depend on besides its input: a resume must find them unchanged."""
    return {
        "as_of": as_of.isoformat(),
        "kind": opts.kind,
        "long": opts.long,
        "lang": lang,
        "rules_version": rules_version,
        "errors": str(opts.errors_path.resolve()),
        "carry": list(opts.carry),
        "ignore": list(opts.ignore),
    }
