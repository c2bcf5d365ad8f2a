"""A chunk of registry rows read and judged by the columnar evaluator, kept as data (not worded).

The one reading of a chunk that ``subsidy batch`` (engine/columnar/chunk.py, which words and
renders the tables), ``screen`` and ``compare`` (engine/screen/, which keep the judgement) share:
the column reader (``read_block``) for the rows it vouches for, the per-row reader
(``work.read_row``) for every other row, each bad row reported with its line, column and reason in
the job's language and blank rows counted; a template's example rows skipped and counted; then the
tables (``build``, ``from_facts``) and every program's judgement (``judge_table``). Nothing here
decides anything.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from engine.batch.reader import Plain, Row
from engine.batch.template import EXAMPLE_PREFIXES, is_example
from engine.batch.work import Job, read_row
from engine.columnar.judge import Judged, judge_table
from engine.columnar.parse import ASCII_SPACE, Distinct, read_block
from engine.columnar.table import Table, build, from_facts
from engine.facts import case_facts


@dataclass
class JudgedTable:
    """Rows of one kind of case judged together as one table."""

    subject: str
    lines: np.ndarray
    case_ids: pl.Series
    carried: list[pl.Series]  # the carried input columns' cells as written (stripped)
    applied: list[tuple[str, ...]] | None  # each row's 申请项目 (program ids), with that column
    table: Table
    judged: list[Judged]  # one per program of ``subject``, in rule-book order
    counts: Counter[str]  # "program|status" → cases, every program counted


@dataclass
class Judgement:
    """A chunk judged: its tables, its error rows (in line order) and its counts."""

    tables: list[JudgedTable] = field(default_factory=list)
    errors: list[list[str]] = field(default_factory=list)
    decided: int = 0
    rejected: int = 0
    blank: int = 0
    examples: int = 0  # a template's example rows, skipped

    @classmethod
    def joined(cls, parts: list[Judgement]) -> Judgement:
        """Judgements of consecutive rows as one (a chunk judged row by row)."""
        return cls(
            [t for p in parts for t in p.tables],
            [row for p in parts for row in p.errors],
            *(sum(getattr(p, k) for p in parts) for k in ("decided", "rejected", "blank", "examples")),
        )


def unjudgeable(job: Job, line: int, fields: list[str], err: Exception) -> list[str]:
    """The error row of a row the columnar evaluator cannot judge even alone (a bug in it): the row
    is reported, in the job's language, and the run goes on."""
    why = (
        f"无法评估本行（程序内部错误 {type(err).__name__}），请将本行报告给系统维护人员"
        if job.layout.lang == "zh"
        else f"this row could not be judged (an internal error, {type(err).__name__}): "
        "report it to the maintainers"
    )
    return [str(line), job.columns.case_id_of(fields), "", why]


def records(rows: list[Row] | Plain) -> list[Row]:
    """A chunk of CSV records one by one (to judge each alone after the chunk could not be)."""
    return rows.rows() if isinstance(rows, Plain) else rows


def cell_records(cells: list[pl.Series], first_line: int) -> list[Row]:
    """A block of text columns as records, numbered from ``first_line`` (as ``records``)."""
    return [(first_line + k, list(row), None) for k, row in enumerate(pl.DataFrame(cells).iter_rows())]


def judge_chunk(job: Job, rows: list[Row] | Plain) -> Judgement:
    """A chunk of CSV records (as the batch's reader gives them)."""
    return judge_rows(job, *split_rows(rows, len(job.columns.headers)))


def judge_cells(
    job: Job, cells: list[pl.Series], first_line: int, distinct: dict[int, Distinct] | None = None
) -> Judgement:
    """A block of rows given as text columns (a Parquet record batch), numbered from ``first_line``,
    with the columns whose distinct cells are known (``distinct``, by position); blank rows are
    read (and counted) one by one."""
    n = len(cells[0]) if cells else 0
    numbers = np.arange(n, dtype=np.int64) + first_line
    blank = _blank(cells, n)
    others: list[Row] = []
    distinct = distinct or {}
    if blank.any():
        frame = pl.DataFrame(cells)
        others = [(int(numbers[i]), list(frame.row(int(i))), None) for i in np.flatnonzero(blank)]
        keep = np.flatnonzero(~blank)
        cells, numbers = [c.gather(pl.Series(keep, dtype=pl.Int64)) for c in cells], numbers[~blank]
        distinct = {k: d.take(keep) for k, d in distinct.items()}
    return judge_rows(job, numbers, cells, others, distinct)


def _blank(cells: list[pl.Series], n: int) -> np.ndarray:
    """The rows whose every cell is empty or ASCII spaces: each column is looked at only in the
    rows still blank in the ones before it (a row's first cells are seldom all blank)."""
    blank = np.full(n, bool(cells))
    for column in cells:
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        part = column if len(rows) == n else column.gather(pl.Series(rows, dtype=pl.Int64))
        blank[rows] = part.str.contains(r"^[ \t\x0b\x0c\r\n]*$").to_numpy()
    return blank


def split_rows(rows: list[Row] | Plain, width: int) -> tuple[np.ndarray, list[pl.Series], list[Row]]:
    """(line numbers, cells by column) of records with exactly ``width`` fields that look like
    data, and every other record (blank, short, long, unreadable) to read one by one."""
    if isinstance(rows, Plain):  # split into lines by polars, as ``Plain.rows`` splits them
        s = pl.Series([rows.text], dtype=pl.String)
        if "\r" in rows.text:  # CRs all end lines
            s = s.str.replace_all("\r", "", literal=True)
        s = s.str.split("\n").explode()
        if rows.text.endswith("\n"):  # the text ends with a line break (unless the file ends without one)
            s = s.head(len(s) - 1)
        numbers = np.arange(len(s), dtype=np.int64) + rows.line
        fields = s.str.count_matches(",", literal=True).to_numpy() + 1
        good = (fields == width) & ~s.str.contains(r"^[, \t\x0b\x0c]*$").to_numpy()
        bad = np.flatnonzero(~good)
        others = [
            (int(numbers[i]), line.split(",") if line else [], None)
            for i, line in zip(bad, s.gather(pl.Series(bad, dtype=pl.Int64)).to_list(), strict=True)
        ]
        keep = pl.Series(np.flatnonzero(good), dtype=pl.Int64)
        parts = s.gather(keep).str.split_exact(",", width - 1).struct.unnest()
        return numbers[good], [parts.to_series(k) for k in range(width)], others
    good_rows = [r for r in rows if r[2] is None and len(r[1]) == width and "".join(r[1]).strip()]
    others = [r for r in rows if not (r[2] is None and len(r[1]) == width and "".join(r[1]).strip())]
    numbers = np.array([r[0] for r in good_rows], dtype=np.int64)
    columns = list(zip(*(r[1] for r in good_rows), strict=True)) if good_rows else [()] * width
    return numbers, [pl.Series(list(c), dtype=pl.String) for c in columns], others


def judge_rows(
    job: Job,
    numbers: np.ndarray,
    cells: list[pl.Series],
    others: list[Row],
    distinct: dict[int, Distinct] | None = None,
) -> Judgement:
    """Rows given as columns (``numbers``, ``cells``, and the columns' distinct cells where known)
    read by the column reader where it vouches for them, ``others`` and the rest one by one (bad
    rows become error rows, in the job's language), example rows skipped; then judged by every
    program of their subject."""
    distinct = distinct or {}
    cols, engine, lang = job.columns, job.engine, job.layout.lang
    out = Judgement()
    if cols.case_id is not None and len(numbers):
        case_id = cells[cols.case_id].str.strip_chars()
        example = np.zeros(len(numbers), dtype=bool)
        for prefix in EXAMPLE_PREFIXES:
            example |= case_id.str.starts_with(prefix).to_numpy()
        if example.any():
            out.examples += int(example.sum())
            keep = np.flatnonzero(~example)
            cells, numbers = [c.gather(pl.Series(keep, dtype=pl.Int64)) for c in cells], numbers[~example]
            distinct = {k: d.take(keep) for k, d in distinct.items()}
    suspect, reads, case_ids = read_block(cols, cells, job.as_of, distinct)
    for subject, read in reads.items():
        if not len(read.rows):
            continue
        table = build(subject, len(read.rows), job.as_of, engine.settings, read.inputs, read.confirmations)
        judged, counts = judge_table(engine.judge_of(subject), table, job.layout, lang, job.memo)
        idx = pl.Series(read.rows, dtype=pl.Int64)
        carried = [cells[i].gather(idx).str.strip_chars(ASCII_SPACE) for i in cols.carried]
        applied = None
        if cols.applied is not None:
            written = cells[cols.applied].gather(idx).str.strip_chars(ASCII_SPACE)
            ids = {t: cols.applied_for(t, subject)[0] for t in written.unique().to_list()}
            applied = [ids[t] for t in written.to_list()]
        lines = numbers[read.rows]
        out.tables.append(
            JudgedTable(subject, lines, case_ids.gather(idx), carried, applied, table, judged, counts)
        )
        out.decided += len(read.rows)
    if suspect.any():  # rows read one by one: the suspect ones and the rest
        frame = pl.DataFrame(cells)
        others = others + [(int(numbers[i]), list(frame.row(int(i))), None) for i in np.flatnonzero(suspect)]
    errors: list[tuple[int, list[list[str]]]] = []
    cases: dict[str, list] = {"person": [], "enterprise": []}
    for line, fields, problem in others:
        if is_example(cols.case_id_of(fields)):
            out.examples += 1
            continue
        case, bad = read_row(cols, len(cols.headers), line, fields, problem, job.as_of, lang)
        if case is not None:
            cases[case.kind].append((line, case, cols.carried_cells(fields)))
        elif bad:
            errors.append((line, bad))
            out.rejected += 1
        else:
            out.blank += 1
    for subject, found in cases.items():
        if not found:
            continue
        facts = [case_facts(case, job.as_of, engine.settings) for _, case, _ in found]
        table = from_facts(subject, facts, [c.confirmations for _, c, _ in found], job.as_of, engine.settings)
        judged, counts = judge_table(engine.judge_of(subject), table, job.layout, lang, job.memo)
        lines = np.array([line for line, _, _ in found], dtype=np.int64)
        ids = pl.Series([case.case_id or "" for _, case, _ in found], dtype=pl.String)
        carried = [
            pl.Series([cells[k] for _, _, cells in found], dtype=pl.String) for k in range(len(cols.carried))
        ]
        applied = [tuple(case.applied_for) for _, case, _ in found] if cols.applied is not None else None
        out.tables.append(JudgedTable(subject, lines, ids, carried, applied, table, judged, counts))
        out.decided += len(found)
    errors.sort(key=lambda e: e[0])
    out.errors = [row for _, bad in errors for row in bad]
    return out
