"""Measure ``subsidy batch`` end to end, against one ``evaluate`` per row and against bare CSV I/O.

    python bench/batch_bench.py [--rows 1000000] [--workers 2] [--sample 2000] [--dir /tmp/bench]

Reports, in one run:
  * cases per second end to end (the real command in a subprocess, process start included);
  * peak memory: the largest single process (``getrusage`` of the children) and the sum over the
    command and its workers (sampled from /proc every 0.1 s), for the full file and for a tenth of
    it: the two are close when memory is flat;
  * the ratio against evaluating the same rows one ``evaluate`` call at a time (each row parsed into
    a case, then ``engine.evaluate.evaluate``), timed on a sample and extrapolated: it says so;
  * the ratio against only reading and writing the same CSV with the csv module (the I/O floor);
  * the machine's parallel ceiling: a one-worker run alone, then as many side by side as there
    are workers, so the speed-up from workers is read against what the hardware allows.
Speed is measured here, never by timed assertions in tests.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from make_registry import write_registry

AS_OF = "2020-09-15"


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def batch_command(source: Path, out: Path, workers: int) -> list[str]:
    code = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", code, "batch", str(source), "-o", str(out), "--as-of", AS_OF]
    return [*command, "--quiet", "--workers", str(workers)]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_batch(source: Path, out: Path, workers: int) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds of all its processes, peak RSS of the largest process in kB,
    peak summed RSS in kB)."""
    command = batch_command(source, out, workers)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    peak_sum = 0
    while process.poll() is None:
        peak_sum = max(peak_sum, _tree_rss_kb(process.pid))
        time.sleep(0.1)
    wall = time.perf_counter() - start
    stderr = process.stderr.read() if process.stderr else ""
    if process.returncode != 0:
        sys.exit(f"subsidy batch failed:\n{stderr}")
    print(stderr.splitlines()[0])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    return wall, cpu, max(usage.ru_maxrss, before), peak_sum


def side_by_side(source: Path, out_dir: Path, rows: int, copies: int) -> tuple[float, float]:
    """CPU seconds per row of a one-worker run alone, and of each of ``copies`` run at once.

    How much slower a busy process runs while others are busy (shared caches, memory bandwidth,
    a virtual machine's neighbours) bounds what more workers can gain, whatever the code does.
    """
    before = children_cpu()
    subprocess.run(batch_command(source, out_dir / "alone.csv", 1), check=True, stderr=subprocess.DEVNULL)
    alone = children_cpu() - before
    before = children_cpu()
    runs = [
        subprocess.Popen(batch_command(source, out_dir / f"side-{i}.csv", 1), stderr=subprocess.DEVNULL)
        for i in range(copies)
    ]
    if any(run.wait() for run in runs):
        sys.exit("subsidy batch failed in the side-by-side runs")
    return alone / rows, (children_cpu() - before) / (copies * rows)


def one_call_per_row(source: Path, sample: int) -> float:
    """Seconds per row when each row is parsed into a case and given to ``evaluate`` alone."""
    from engine.batch.columns import map_columns, row_case
    from engine.batch.reader import Reader
    from engine.evaluate import default_engine, evaluate

    engine = default_engine()
    reader = Reader(source)
    columns = map_columns(reader.headers, "person", engine.book.confirmation_keys())
    rows = []
    for record in reader:
        rows.append(record.fields)
        if len(rows) >= sample:
            break
    reader.close()
    as_of = date.fromisoformat(AS_OF)
    evaluate(row_case(columns, rows[0])[0], as_of)  # warm up
    start = time.perf_counter()
    for fields in rows:
        case, _ = row_case(columns, fields)
        if case is not None:
            evaluate(case, as_of)
    return (time.perf_counter() - start) / len(rows)


def io_floor(source: Path, out: Path) -> float:
    """Seconds to read the CSV and write every row back, with nothing in between."""
    start = time.perf_counter()
    with (
        source.open(encoding="utf-8-sig", newline="") as f,
        out.open("w", encoding="utf-8-sig", newline="") as g,
    ):
        csv.writer(g, lineterminator="\r\n").writerows(csv.reader(f))
    return time.perf_counter() - start


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, load average before: {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=2000, help="rows timed one evaluate call at a time")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/subsidy-bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"{date.today()}  {machine()}")

    full, tenth = args.dir / f"registry-{args.rows}.csv", args.dir / f"registry-{args.rows // 10}.csv"
    for path, rows in ((full, args.rows), (tenth, args.rows // 10)):
        if not path.exists():
            start = time.perf_counter()
            write_registry(path, rows)
            took = time.perf_counter() - start
            print(f"generated {path} ({rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB) in {took:.0f} s")

    small_wall, _, small_largest, small_sum = run_batch(tenth, args.dir / "out-tenth.csv", args.workers)
    wall, cpu, largest, peak_sum = run_batch(full, args.dir / "out.csv", args.workers)
    alone, together = side_by_side(tenth, args.dir, args.rows // 10, args.workers)
    per_call = one_call_per_row(full, args.sample)
    floor = io_floor(full, args.dir / "io-floor.csv")

    rate = args.rows / wall
    est = per_call * args.rows
    mb = 1024
    lines = [
        f"subsidy batch, {args.rows:,} rows, --workers {args.workers}:",
        f"  end to end: {wall:.1f} s, {rate:,.0f} rows/s",
        f"  CPU, all processes: {cpu:.1f} s = {cpu / args.rows * 1e6:.0f} us/row"
        f" (with {args.workers} idle cores: at most {args.workers * args.rows / cpu:,.0f} rows/s)",
        f"  a tenth of the rows: {small_wall:.1f} s, {args.rows // 10 / small_wall:,.0f} rows/s",
        f"  peak RSS, largest process: {largest / mb:.0f} MB (a tenth of the rows: {small_largest / mb:.0f})",
        f"  peak RSS, all processes: {peak_sum / mb:.0f} MB (a tenth of the rows: {small_sum / mb:.0f} MB)",
        f"  one evaluate() per row: {per_call * 1e6:.0f} us/row on one core, timed on {args.sample:,} rows,"
        f" extrapolated to {args.rows:,}: {est:,.0f} s = {est / wall:.1f}x the batch's time",
        f"  I/O floor (csv read + write only, one core): {floor:.1f} s; the batch takes {wall / floor:.1f}x",
        f"  this machine's ceiling: one --workers 1 run alone costs {alone * 1e6:.0f} us/row of CPU,"
        f" {args.workers} at once {together * 1e6:.0f} us/row each (a tenth of the rows), so"
        f" {args.workers} workers do at most {args.workers * alone / together:.1f}x the work of one",
    ]
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
