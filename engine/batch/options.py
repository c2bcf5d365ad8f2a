"""What every batch run shares, whatever it reads and writes: its options, its counts, the pool.

engine/batch/run.py (CSV) and engine/columnar/parquet.py (Parquet) both build on this module and
neither on the other; run.py chooses between them.
"""

from __future__ import annotations

import codecs
import multiprocessing
import signal
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, islice
from multiprocessing import popen_spawn_posix
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

from engine.batch.work import Done

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
        return self.errors or self.out.with_name(self.out.stem + ".errors.csv")


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


def in_order(
    chunks: Iterator[Any],
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
    with start_pool(method, workers, initializer, initargs) as pool:
        pending: deque[tuple[Any, int, int]] = deque()
        for rows, end, line in chunks:
            pending.append((pool.apply_async(work, (rows,)), end, line))
            if len(pending) > 2 * workers:
                result, e, n = pending.popleft()
                yield result.get(), e, n
        while pending:
            result, e, n = pending.popleft()
            yield result.get(), e, n


class _DeafPopen(popen_spawn_posix.Popen):
    """A spawned worker that never sees Ctrl-C: Ctrl-C reaches every process of the terminal, and
    a worker still importing polars and the engine would print a traceback around the main
    process's 已中断. SIGINT is ignored here from the launch until the child is started (an ignored
    signal stays ignored across exec, and Python keeps it so): a few milliseconds, ended as soon as
    the launch records the child's sentinel, before it waits for the child to read its task
    (``start_pool`` holds a Ctrl-C then). Only the main thread may change it (a web request's
    thread starts its workers as they are)."""

    _heard: Any = None

    def _launch(self, process_obj: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            self._heard = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            super()._launch(process_obj)
        finally:
            self._hear()

    def _hear(self) -> None:
        if self._heard is not None:
            signal.signal(signal.SIGINT, self._heard)
            self._heard = None

    @property
    def sentinel(self) -> int:
        return self._sentinel

    @sentinel.setter
    def sentinel(self, fd: int) -> None:  # the child runs: this process hears Ctrl-C again
        self._sentinel = fd
        self._hear()


class _QuietSpawnProcess(SpawnProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        return _DeafPopen(process_obj)


class QuietSpawn(SpawnContext):
    """Spawn, each worker deaf to Ctrl-C (``_DeafPopen``); the main process handles it and stops
    the pool."""

    Process = _QuietSpawnProcess


def start_pool(
    method: str, workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> Pool:
    """A pool of workers deaf to Ctrl-C (spawned: ``QuietSpawn``). A Ctrl-C while it starts is held
    until every worker has its task (a worker cut off mid-start prints a traceback) and then stops
    it, as one later would."""
    context = QuietSpawn() if method == "spawn" else multiprocessing.get_context(method)
    if threading.current_thread() is not threading.main_thread():
        return context.Pool(workers, initializer, initargs)
    heard: list[object] = []
    before = signal.signal(signal.SIGINT, lambda *_: heard.append(True))
    try:
        pool = context.Pool(workers, initializer, initargs)
    finally:
        signal.signal(signal.SIGINT, before)
    if heard:
        pool.terminate()
        raise KeyboardInterrupt
    return pool


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
