"""The columnar batch evaluator, as ratios measured in one run (never a timed test).

    python bench/columnar_bench.py [--rows 1000000] [--workers 2] [--repeat 3] [--sample 2000] [--dask 0]

Measures, on one registry from bench/make_registry.py:

- CSV → CSV with ``subsidy batch`` (columnar), against the I/O floor, the two taken in turn
  ``--repeat`` times and compared by their medians (this machine's speed drifts by a third within
  an evening; a pair taken together drifts together): reading that input and
  writing that same output with polars alone, nothing else (the output is loaded before the clock
  starts; issue 21's target: within 1.25×), and with one worker (never faster than the default);
- against the per-case engine: one ``evaluate()`` per row (read, evaluate, pydantic
  ``Evaluation``) on one core, timed on ``--sample`` rows and extrapolated (it says so);
- Parquet → Parquet end to end (target: 1,000,000 rows/s on 2 cores), against its I/O floor
  (reading that input and writing that same output with pyarrow alone) and the time to start;
- where a chunk's time goes (read and validate, derive, judge, word and write), one process;
- peak RSS of the largest process, for all the rows and for a fifth of them (bounded: record
  batches are streamed);
- with ``--dask N``: rows per minute on a LocalCluster of N workers against ``subsidy batch`` on this machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

AS_OF = "2020-09-15"


def _run(*args: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB) of a child ``subsidy batch``."""
    cmd = [str(Path(sys.executable).parent / "subsidy"), "batch", *args, "--as-of", AS_OF, "--quiet"]
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, cwd=ROOT)
    took = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return took, int(proc.stderr.strip().splitlines()[-1])


def io_floor(source: Path, result: Path, target: Path) -> float:
    """Reading the input and writing the same output with polars alone: the output is loaded
    before the clock starts (no run has to read its own output back)."""
    import polars as pl

    out = pl.read_csv(result, infer_schema=False)
    start = time.perf_counter()
    pl.read_csv(source, infer_schema=False)
    out.write_csv(target)
    return time.perf_counter() - start


def side_by_side(repeat: int, run: Callable[[], tuple[float, int]], floor: Callable[[], float]) -> Pair:
    """``run`` and its ``floor`` taken in turn, ``repeat`` times."""
    runs, floors, rss = [], [], 0
    for _ in range(repeat):
        took, peak = run()
        runs.append(took)
        floors.append(floor())
        rss = max(rss, peak)
    return Pair(runs, floors, rss)


@dataclass
class Pair:
    runs: list[float]  # seconds of each run
    floors: list[float]  # seconds of the floor taken after it
    rss: int  # the largest peak RSS (KB)

    @property
    def took(self) -> float:
        return statistics.median(self.runs)

    @property
    def floor(self) -> float:
        return statistics.median(self.floors)

    def ratios(self, target: float) -> str:
        each = sorted(r / f for r, f in zip(self.runs, self.floors, strict=True))
        return (
            f"ratio of the medians: {self.took / self.floor:.2f}× (target ≤ {target}×); "
            f"each pair: {', '.join(f'{r:.2f}×' for r in each)}"
        )


def spread(values: list[float]) -> str:
    return f"median of {len(values)}, {min(values):.2f}–{max(values):.2f} s"


def one_evaluate_per_row(source: Path, sample: int) -> float:
    """Seconds per row when each row is read into a case (``work.read_row``) and given to
    ``evaluate()`` alone, as the desk evaluates one case."""
    from datetime import date

    from engine.batch.columns import map_columns
    from engine.batch.reader import Reader
    from engine.batch.work import read_row
    from engine.evaluate import default_engine

    engine = default_engine()
    as_of = date.fromisoformat(AS_OF)
    reader = Reader(source)
    cols = map_columns(reader.headers, "person", engine.book.confirmation_keys())
    records = []
    for record in reader:
        records.append(record)
        if len(records) >= sample:
            break
    reader.close()
    start = time.perf_counter()
    for r in records:
        case, _ = read_row(cols, len(cols.headers), r.line, r.fields, r.error, as_of)
        if case is not None:
            engine.evaluate(case, as_of)
    return (time.perf_counter() - start) / len(records)


def parquet_floor(source: Path, result: Path, target: Path) -> float:
    """Reading the Parquet input and writing the same Parquet output with pyarrow alone (the
    output loaded before the clock starts)."""
    import pyarrow.parquet as pq

    table = pq.read_table(result, read_dictionary=[n for n in pq.read_schema(result).names if n != "行号"])
    start = time.perf_counter()
    pq.read_table(source)
    pq.write_table(table, target, store_schema=False)
    return time.perf_counter() - start


def profile(source: Path, rows: int) -> dict[str, float]:
    """Where one chunk's time goes, in one process: a worker's whole task, Parquet in and out
    (µs per row, chunks of 50,000; the rest of "total" is decoding the task and the row checks)."""
    from datetime import date

    import engine.columnar.chunk as chunk
    import engine.columnar.judged as judged
    import engine.columnar.parquet as parquet
    from engine.batch.columns import map_columns
    from engine.batch.layout import Layout
    from engine.batch.work import Job
    from engine.evaluate import default_engine

    spent: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    def watch(module, name: str, label: str) -> None:
        """Time ``module.name`` where the chunk calls it (a name it no longer uses is an error)."""
        assert hasattr(module, name), f"{module.__name__} has no {name}: the profile must follow the code"
        setattr(module, name, timed(label, getattr(module, name)))

    engine = default_engine()
    data = parquet.dataset(source)
    headers = [h.strip() for h in data.schema.names]
    cols = map_columns(headers, "person", engine.book.confirmation_keys())
    layout = Layout(engine.book, "zh", False, [headers[i] for i in cols.carried])
    chunk.set_job(Job(engine, cols, layout, date(2020, 9, 15)))
    with tempfile.TemporaryDirectory() as parts:
        parquet.process_batch(next(parquet.tasks(data, 1000, 0, parts))[0])  # warm up
        watch(parquet, "as_cells", "Parquet cells: texts and distinct values")
        watch(judged, "read_block", "validate cells as arrays")
        watch(judged, "build", "derived facts on arrays")
        watch(judged, "judge_table", "judge (codes, resolve, timeline, verdicts)")
        watch(chunk, "columns", "word the cells")
        watch(chunk, "_render", "Arrow table")
        watch(parquet, "write_part", "Parquet part file")
        work = timed("total", parquet.process_batch)  # the tasks are made outside the clock
        n = 0
        for task, _, _ in parquet.tasks(data, 50_000, 0, parts):
            done = work(task)
            n += done.decided + done.rejected
            if n >= rows:
                break
    return {k: v / n * 1e6 for k, v in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", default="2")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each batch and its floor, in turn")
    parser.add_argument("--sample", type=int, default=2000, help="rows timed one evaluate() at a time")
    parser.add_argument("--dask", type=int, default=0, help="also run on a LocalCluster of N workers")
    args = parser.parse_args()
    import polars as pl
    from make_registry import write_registry

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        source = d / "registry.csv"
        write_registry(source, args.rows)
        frame = pl.read_csv(source, infer_schema=False)
        frame = frame.with_columns([pl.col(c).str.to_date("%Y-%m-%d") for c in frame.columns if "日期" in c])
        frame.write_parquet(d / "registry.parquet")
        frame[:1].write_parquet(d / "empty.parquet")
        frame[: max(args.rows // 5, 1)].write_parquet(d / "fifth.parquet")
        print(f"{args.rows:,} person rows, {args.workers} workers", flush=True)

        csv = side_by_side(
            args.repeat,
            lambda: _run(str(source), "-o", str(d / "out.csv"), "--workers", args.workers),
            lambda: io_floor(source, d / "out.csv", d / "floor.csv"),
        )
        took = csv.took
        print(
            f"CSV → CSV columnar: {took:.1f} s ({spread(csv.runs)}), {args.rows / took:,.0f} rows/s, "
            f"peak RSS {csv.rss / 1024:.0f} MB"
        )
        print(
            f"I/O floor (polars reads the input and writes the same output): {csv.floor:.1f} s "
            f"({spread(csv.floors)})"
        )
        print(f"  {csv.ratios(1.25)}")
        took_one, _ = _run(str(source), "-o", str(d / "out1.csv"), "--workers", "1")
        print(f"  one worker: {took_one:.1f} s (the default must never be slower)")
        per_row = one_evaluate_per_row(source, args.sample)
        print(
            f"one evaluate() per row, one core: {per_row * 1e6:.0f} µs/row, timed on {args.sample:,} rows; "
            f"extrapolated to {args.rows:,}: {per_row * args.rows:,.0f} s, "
            f"{per_row * args.rows / took:.1f}× the CSV → CSV batch's time"
        )
        workers = args.workers
        pq = side_by_side(
            args.repeat,
            lambda: _run(str(d / "registry.parquet"), "-o", str(d / "out.parquet"), "--workers", workers),
            lambda: parquet_floor(d / "registry.parquet", d / "out.parquet", d / "floor.parquet"),
        )
        took_pq, rss_pq = pq.took, pq.rss
        print(
            f"Parquet → Parquet: {took_pq:.1f} s ({spread(pq.runs)}), {args.rows / took_pq:,.0f} rows/s "
            f"(target 1,000,000), peak RSS {rss_pq / 1024:.0f} MB"
        )
        print(
            f"I/O floor (pyarrow reads the input and writes the same output): {pq.floor:.1f} s "
            f"({spread(pq.floors)})"
        )
        print(f"  {pq.ratios(1.5)}; the floor alone: {args.rows / pq.floor:,.0f} rows/s")
        took_pq_one, _ = _run(str(d / "registry.parquet"), "-o", str(d / "out1.parquet"), "--workers", "1")
        print(f"  one worker: {took_pq_one:.1f} s")
        _, rss_fifth = _run(
            str(d / "fifth.parquet"), "-o", str(d / "fifth-out.parquet"), "--workers", args.workers
        )
        print(
            f"  peak RSS for a fifth of the rows: {rss_fifth / 1024:.0f} MB, for all: {rss_pq / 1024:.0f} MB "
            "(memory stays flat: record batches are streamed)"
        )
        took_start, _ = _run(
            str(d / "empty.parquet"), "-o", str(d / "empty-out.parquet"), "--workers", args.workers
        )
        print(f"  of which starting (a run of a one-row file): {took_start:.1f} s")
        print("where a row's time goes (µs/row, one process, chunks of 50,000):")
        for stage, us in profile(d / "registry.parquet", min(args.rows, 200_000)).items():
            print(f"  {stage}: {us:.1f}")
        if args.dask:
            from engine.columnar.cluster import run_dataset

            parts = d / "parts"
            parts.mkdir()
            step = max(args.rows // (4 * args.dask), 1)
            for k, start in enumerate(range(0, args.rows, step)):
                frame[start : start + step].write_parquet(parts / f"part-{k:04d}.parquet")
            from dask.distributed import Client, LocalCluster

            with (
                LocalCluster(n_workers=args.dask, threads_per_worker=1, processes=True) as cluster,
                Client(cluster) as client,
            ):
                t = time.perf_counter()
                run_dataset(client, parts, d / "results", as_of=AS_OF)
                took_dask = time.perf_counter() - t
            print(
                f"Dask LocalCluster, {args.dask} workers: {args.rows / took_dask * 60:,.0f} rows/min; "
                f"subsidy batch on this machine (Parquet → Parquet, {args.workers} workers): "
                f"{args.rows / took_pq * 60:,.0f} rows/min"
            )
    print(f"bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
