"""The columnar batch evaluator, as ratios measured in one run (never a timed test).

    python bench/columnar_bench.py [--rows 1000000] [--workers 2] [--dask 0]

Measures, on one registry from bench/make_registry.py:

- CSV → CSV with ``subsidy batch`` (columnar), against the I/O floor: reading that input and
  writing that same output with polars alone (the issue's target: within 2×);
- the same with the per-row evaluator (``--evaluator rows``), on a tenth of the rows;
- Parquet → Parquet end to end (target: 1,000,000 rows/s on 2 cores);
- where a chunk's time goes (read and validate, derive, judge, word and write), one process;
- peak RSS of the largest process (bounded: record batches are streamed);
- with ``--dask N``: rows per minute on a LocalCluster of N workers against one machine's process.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
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
    """Reading the input and writing the same output bytes with polars alone."""
    import polars as pl

    start = time.perf_counter()
    pl.read_csv(source, infer_schema=False)
    out = pl.read_csv(result, infer_schema=False)
    out.write_csv(target)
    return time.perf_counter() - start


def profile(source: Path, rows: int) -> dict[str, float]:
    """Where one chunk's time goes, in one process (seconds per stage for ``rows`` rows)."""
    from datetime import date

    import engine.columnar.chunk as chunk
    import engine.columnar.judge as judge
    import engine.columnar.output as output
    import engine.columnar.parse as parse
    import engine.columnar.table as table
    from engine.batch.columns import map_columns
    from engine.batch.layout import Layout
    from engine.batch.reader import Reader
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

    chunk._split = timed("split lines into columns", chunk._split)
    chunk.read_block = timed("validate cells as arrays", parse.read_block)
    chunk.build = timed("derived facts on arrays", table.build)
    chunk.judge_table = timed("judge (codes, resolve, timeline, cells)", judge.judge_table)
    chunk.output_lines = timed("assemble output text", output.lines)
    engine = default_engine()
    reader = Reader(source)
    job = Job(engine, map_columns(reader.headers, "person", set()), Layout(engine.book), date(2020, 9, 15))
    t = time.perf_counter()
    n = 0
    for rows_, _, _ in reader.chunks(50_000):
        chunk.evaluate(job, rows_)
        n += 50_000
        if n >= rows:
            break
    spent["total"] = time.perf_counter() - t
    return {k: v / n * 1e6 for k, v in spent.items()}  # µs per row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", default="2")
    parser.add_argument("--dask", type=int, default=0, help="also run on a LocalCluster of N workers")
    args = parser.parse_args()
    import polars as pl
    from make_registry import write_registry

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        source = d / "registry.csv"
        write_registry(source, args.rows)
        small = d / "small.csv"
        write_registry(small, max(args.rows // 10, 1000))
        frame = pl.read_csv(source, infer_schema=False)
        frame = frame.with_columns([pl.col(c).str.to_date("%Y-%m-%d") for c in frame.columns if "日期" in c])
        frame.write_parquet(d / "registry.parquet")
        print(f"{args.rows:,} person rows, {args.workers} workers", flush=True)

        took, rss = _run(str(source), "-o", str(d / "out.csv"), "--workers", args.workers)
        floor = io_floor(source, d / "out.csv", d / "floor.csv")
        print(
            f"CSV → CSV columnar: {took:.1f} s, {args.rows / took:,.0f} rows/s, peak RSS {rss / 1024:.0f} MB"
        )
        print(f"I/O floor (polars reads the input, reads and writes the output): {floor:.1f} s")
        print(f"  ratio to the floor: {took / floor:.2f}× (target ≤ 2×)")
        took_pq, rss_pq = _run(str(d / "registry.parquet"), "-o", str(d / "out.parquet"))
        print(
            f"Parquet → Parquet: {took_pq:.1f} s, {args.rows / took_pq:,.0f} rows/s "
            f"(target 1,000,000), peak RSS {rss_pq / 1024:.0f} MB"
        )
        n_small = max(args.rows // 10, 1000)
        took_old, _ = _run(
            str(small), "-o", str(d / "old.csv"), "--workers", args.workers, "--evaluator", "rows"
        )
        took_new, _ = _run(str(small), "-o", str(d / "new.csv"), "--workers", args.workers)
        same = (d / "old.csv").read_bytes() == (d / "new.csv").read_bytes()
        print(
            f"{n_small:,} rows: per-row evaluator {took_old:.1f} s ({n_small / took_old:,.0f} rows/s), "
            f"columnar {took_new:.1f} s: {took_old / took_new:.1f}× faster; same bytes: {same}"
        )
        print("where a row's time goes (µs/row, one process, chunks of 50,000):")
        for stage, us in profile(source, min(args.rows, 200_000)).items():
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
                f"one process (Parquet → Parquet): {args.rows / took_pq * 60:,.0f} rows/min"
            )
    print(f"bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
