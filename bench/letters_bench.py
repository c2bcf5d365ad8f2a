"""Letters to the people a screen lists: pages per second, beside a plain WeasyPrint render.

    python bench/letters_bench.py [--rows 20000] [--letters 2000] [--workers 2]

A realistic registry (bench/make_registry.py) is screened on 2020-09-15; its first ``--letters``
people get a letter each. Measured on the same pages:

1. ``subsidy screen --letters``' rendering (engine/screen/letters.py): a hundred letters to a
   document, parts in ``--workers`` processes, joined per district;
2. plain WeasyPrint, one process: all the letters as one document;
3. plain WeasyPrint, one process: each letter its own document (on a sample, extrapolated).

Read the ratios: the machine is shared.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000, help="registry rows to screen")
    parser.add_argument("--letters", type=int, default=2_000, help="letters to render")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=50, help="letters rendered one document each")
    args = parser.parse_args()

    import polars as pl
    from pypdf import PdfReader
    from weasyprint import HTML

    from engine.evaluate import default_engine
    from engine.screen import letters as L
    from engine.screen.options import Options
    from engine.screen.screen import judge
    from engine.screen.words import Words

    work = Path(tempfile.mkdtemp(prefix="letters-bench-"))
    try:
        registry = work / "registry.csv"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "make_registry.py"),
                str(registry),
                "--rows",
                str(args.rows),
            ],
            check=True,
        )
        engine = default_engine()
        opts = Options(registry, work / "out", date(2020, 9, 15), workers=args.workers, quiet=True)
        listed = judge(opts, engine).listed.collect()
        lines = listed.get_column("line").unique(maintain_order=True).head(args.letters)
        listed = listed.filter(pl.col("line").is_in(lines.implode()))
        words = Words(engine.book, engine.settings)
        people = [p for group in L.letters(listed, words).values() for p in group]
        print(f"{len(people):,} letters from {args.rows:,} registry rows", flush=True)

        start = time.perf_counter()
        files, _ = L.write_letters(listed.lazy(), opts, words)
        ours = time.perf_counter() - start
        pages = sum(len(PdfReader(f).pages) for f in files)

        office = L.DistrictSettings()
        version = engine.book.version
        start = time.perf_counter()
        one = HTML(string=L.html(people, "", office, opts.as_of, version), base_url=None).write_pdf()
        plain = time.perf_counter() - start
        plain_pages = len(PdfReader(_bytes(work / "one.pdf", one)).pages)

        sample = people[: args.sample]
        start = time.perf_counter()
        for p in sample:
            HTML(string=L.html([p], "", office, opts.as_of, version), base_url=None).write_pdf()
        each = (time.perf_counter() - start) / len(sample)

        rows = [
            (
                f"subsidy screen --letters, {args.workers} workers, joined",
                f"{pages:,}",
                f"{ours:.1f}",
                pages / ours,
            ),
            (
                "plain WeasyPrint, one document, one process",
                f"{plain_pages:,}",
                f"{plain:.1f}",
                plain_pages / plain,
            ),
            (f"plain WeasyPrint, a document per letter ({len(sample)} sampled)", "—", "—", 1 / each),
        ]
        print(f"| letters to {len(people):,} people | pages | seconds | pages/s |")
        print("|---|---|---|---|")
        for name, n, seconds, rate in rows:
            print(f"| {name} | {n} | {seconds} | {rate:.1f} |")
        print(f"ratio: {(pages / ours) / (plain_pages / plain):.2f}x the plain one-document render")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


if __name__ == "__main__":
    main()
