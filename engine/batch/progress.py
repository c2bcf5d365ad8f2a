"""A one-line progress bar on stderr, for a terminal only (never in CI, pipes or with --quiet)."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

WIDTH = 24
EVERY = 0.2  # seconds between redraws


def wanted(stream: TextIO, quiet: bool) -> bool:
    return not quiet and not os.environ.get("CI") and stream.isatty()


class Progress:
    """Draws ``[#####-----]  45%  450,000 行  21,000 行/秒`` in place (``rows  rows/s`` in
    English); silent when disabled."""

    def __init__(self, total_bytes: int, enabled: bool, stream: TextIO = sys.stderr, lang: str = "zh"):
        self.total, self.enabled, self.stream = max(total_bytes, 1), enabled, stream
        self.rows, self.rate = ("行", "行/秒") if lang == "zh" else ("rows", "rows/s")
        self.start = self.last = time.monotonic()

    def update(self, done_bytes: int, rows: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < EVERY:
            return
        self.last = now
        share = min(done_bytes / self.total, 1.0)
        bar = "#" * int(share * WIDTH)
        rate = rows / max(now - self.start, 1e-9)
        self.stream.write(f"\r[{bar:-<{WIDTH}}] {share:4.0%}  {rows:,} {self.rows}  {rate:,.0f} {self.rate} ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (WIDTH + 50) + "\r")
            self.stream.flush()
