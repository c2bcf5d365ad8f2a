"""A judged table's rows as the CSV text ``Layout.lines`` writes, built column by column (polars)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from engine.batch.layout import Layout, csv_field
from engine.columnar.judge import Judged


def _gather(strings: list[str], index: np.ndarray) -> pl.Series:
    return pl.Series(strings, dtype=pl.String).gather(pl.Series(index, dtype=pl.Int64))


def segments(judged: Judged, n: int) -> list[pl.Series | str]:
    """A program's cells for every row: the first four, the key dates, a comma, the changes."""
    parts: list[pl.Series | str] = [_gather(judged.heads, judged.head)]
    if judged.dates is not None:
        parts.append(judged.dates_cells)  # type: ignore[attr-defined]
    parts.append(",")
    if judged.changes:
        parts.append(_gather(["", *judged.changes], judged.change + 1))
    return parts


def lines(
    layout: Layout,
    subject: str,
    case_ids: list[str],
    line_numbers: np.ndarray,
    judged: list[Judged],
    carried: list[list[str]] | None = None,
) -> pl.Series:
    """Each row's output text (wide: one line; long: one line per program), CRLF-terminated;
    ``carried``: each row's cells of the carried input columns (names, ID numbers), as ``Layout.lines``."""
    n = len(line_numbers)
    for j in judged:
        if j.dates is not None:
            j.dates_cells = layout.date_cells(j.dates)  # type: ignore[attr-defined]
    # Text from the registry goes through the one CSV writer (formulas and control characters made safe).
    ids = pl.Series([csv_field(c) for c in case_ids], dtype=pl.String)
    head: list[Any] = [ids, ",", pl.Series(line_numbers, dtype=pl.Int64).cast(pl.String)]
    head += ["," + layout._kind[subject]]
    if carried:
        head.append(
            pl.Series(["".join(["," + csv_field(c) for c in row]) for row in carried], dtype=pl.String)
        )
    pieces: list[Any] = []
    if layout.long:
        for j in judged:
            pieces += [*head, "," + layout._program[j.plan.rule.id] + ",", *segments(j, n), "\r\n"]
    else:
        pieces += head
        mine = iter(judged)
        for rule in layout.rules:
            if rule.subject == subject:
                pieces += [",", *segments(next(mine), n)]
            else:
                pieces.append(",,,,,,")
        pieces.append("\r\n")
    exprs = [pl.lit(p) for p in pieces]
    return pl.select(pl.concat_str(exprs)).to_series()
