"""What a ``subsidy screen`` run is asked to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass
class Options:
    source: Path
    out: Path
    as_of: date
    horizon: int = 90
    district: str | None = None
    kind: str = "person"
    letters: bool = False
    workers: int | None = None
    chunk: int | None = None
    quiet: bool = False
    parquet: bool = False  # the worklists also as Parquet (same columns, every cell a string)
    resume: bool = False  # read on after the last chunk an interrupted run completed
    ignore: tuple[str, ...] = ()  # columns no rule reads, left out (--ignore and --carry)
