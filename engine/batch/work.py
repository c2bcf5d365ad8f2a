"""One chunk of records in, its output and error rows out: validate, judge, word.

Runs in forked worker processes (each with its own copy of the compiled ruleset, built before the
fork) or in-process for ``--workers 1``; the bytes are the same either way, so the writer only has
to put chunks back in input order.
"""

from __future__ import annotations

import gc
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

from engine.batch.columns import Columns, row_case
from engine.batch.layout import Layout, csv_text
from engine.batch.reader import Plain, Row
from engine.evaluate import CaseModel, Engine
from engine.judge import Outcome, Verdict


@dataclass(frozen=True)
class Job:
    """Everything a worker needs, fixed for the run and inherited through fork."""

    engine: Engine
    columns: Columns
    layout: Layout
    as_of: date


@dataclass
class Done:
    """A chunk's result: encoded rows for both files and what to count."""

    out: bytes
    err: bytes
    decided: int = 0
    rejected: int = 0
    blank: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # "program|status" → cases


_job: Job | None = None
_OUTCOME = attrgetter("outcome")


def set_job(job: Job) -> None:
    """Install the run's job; called before workers fork so they inherit it."""
    global _job
    _job = job


def process(rows: list[Row] | Plain) -> Done:
    """Decide every readable, valid row of a chunk; report every other one with its line.

    The cyclic garbage collector is paused for the chunk: a chunk allocates hundreds of thousands
    of short-lived objects without cycles (reference counting frees them), and its collections,
    each walking every live object, cost as much as judging the rows.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _process(rows.rows() if isinstance(rows, Plain) else rows)
    finally:
        if paused:
            gc.enable()


def _judge(job: Job, cases: list[CaseModel]) -> list[list[Verdict]] | list[list[Verdict] | Exception]:
    """Every case's verdicts, judged together; if that fails, one by one, so a case the engine
    cannot judge (a bug) is reported on its own row instead of aborting the run at every resume."""
    try:
        return job.engine.judge_many(cases, job.as_of, job.layout.lang)
    except Exception:
        judged: list[list[Verdict] | Exception] = []
        for case in cases:
            try:
                judged += job.engine.judge_many([case], job.as_of, job.layout.lang)
            except Exception as err:
                judged.append(err)
        return judged


def read_row(
    cols: Columns, width: int, line: int, fields: list[str], problem: str | None, as_of: date
) -> tuple[CaseModel | None, list[list[str]]]:
    """One record: its validated case, or its error rows (line, case id, column, reason); neither
    for a blank line."""
    if problem is None and not "".join(fields).strip():
        return None, []
    if problem is None and len(fields) != width:
        problem = f"本行有{len(fields)}列，而列名行有{width}列"
    if problem is not None:
        return None, [[str(line), cols.case_id_of(fields), "", problem]]
    case, problems = row_case(cols, fields, as_of)
    if case is None:
        case_id = cols.case_id_of(fields)
        return None, [[str(line), case_id, column, reason] for column, reason in problems]
    return case, []


def _process(rows: list[Row]) -> Done:
    job = _job
    assert job is not None, "set_job() before process()"
    cols = job.columns
    width = len(cols.headers)
    done = Done(b"", b"")
    errors: list[list[str]] = []
    cases: list[CaseModel] = []
    lines: list[int] = []
    carried: list[list[str]] = []
    for line, fields, problem in rows:
        case, bad = read_row(cols, width, line, fields, problem, job.as_of)
        if case is not None:
            cases.append(case)
            lines.append(line)
            carried.append(cols.carried_cells(fields))
        elif bad:
            errors += bad
            done.rejected += 1
        else:
            done.blank += 1
    out: list[str] = []
    outcomes: list[Outcome] = []  # shared objects, one per program and combination: counted at the end
    layout = job.layout
    judged = _judge(job, cases)
    for case, line, cells, verdicts in zip(cases, lines, carried, judged, strict=True):
        if isinstance(verdicts, Exception):
            why = f"无法评估本行（程序内部错误 {type(verdicts).__name__}），请将本行报告给系统维护人员"
            errors.append([str(line), case.case_id or "", "", why])
            done.rejected += 1
            continue
        out.append(layout.lines(case.case_id or "", line, case.kind, verdicts, cells))
        outcomes += map(_OUTCOME, verdicts)
        done.decided += 1
    for outcome, n in Counter(outcomes).items():
        done.counts[f"{outcome.program}|{outcome.status}"] += n
    done.out, done.err = "".join(out).encode("utf-8"), csv_text(errors).encode("utf-8")
    return done
