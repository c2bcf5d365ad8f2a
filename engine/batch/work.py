"""A batch run's job, a chunk's result, and the per-row reader.

The columnar evaluator (engine/columnar/chunk.py) judges a chunk as arrays; rows its column reader
cannot vouch for are read here one at a time (``read_row``), so each bad cell is reported with its
line, column and reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.batch.columns import Columns, row_case
from engine.batch.layout import Layout
from engine.evaluate import CaseModel, Engine
from engine.values import Words, in_lang

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Job:
    """Everything a worker needs, fixed for the run."""

    engine: Engine
    columns: Columns
    layout: Layout
    as_of: date
    # What the columnar evaluator works out once per distinct combination of values, kept for the
    # run's later chunks (engine/columnar/judge.py ``judge_table``)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class Done:
    """A chunk's result: encoded rows for both files and what to count. The output rows may be
    left in Arrow's memory (``pa.Buffer``), which files are written from without a copy, or be an
    Arrow table (a Parquet run's, written to Parquet where the chunk was judged)."""

    out: bytes | pa.Buffer | pa.Table
    err: bytes
    decided: int = 0
    rejected: int = 0
    blank: int = 0
    examples: int = 0  # a template's example rows, skipped
    counts: Counter[str] = field(default_factory=Counter)  # "program|status" → cases
    out_file: str | None = None  # a worker's ``out`` left in this file instead (``chunk.handed_over``,
    # ``parquet.process_batch``)


def read_row(
    cols: Columns,
    width: int,
    line: int,
    fields: list[str],
    problem: str | None,
    as_of: date,
    lang: str = "zh",
) -> tuple[CaseModel | None, list[list[str]]]:
    """One record: its validated case, or its error rows (line, case id, column, reason in
    ``lang``); neither for a blank line."""
    if problem is None and not "".join(fields).strip():
        return None, []
    if problem is None and len(fields) != width:
        problem = Words(
            f"本行有{len(fields)}列，而列名行有{width}列", f"{len(fields)} fields, the header has {width}"
        )
    if problem is not None:
        return None, [[str(line), cols.case_id_of(fields), "", in_lang(problem, lang)]]
    case, problems = row_case(cols, fields, as_of)
    if case is None:
        case_id = cols.case_id_of(fields)
        return None, [
            [str(line), case_id, in_lang(column, lang), in_lang(reason, lang)] for column, reason in problems
        ]
    return case, []
