"""A judged chunk as one row per case and program: the facts ``subsidy screen`` and ``compare`` read.

The columnar evaluator (engine/columnar/) judges a chunk and words its cells through a layout;
``Plainly`` stands in for that layout and keeps each verdict's grant and questions as data, so the
office's lists are built from the same judgement ``subsidy batch`` writes, never a second one.
``listing`` turns the judgement into a polars frame: status, phase (not yet, ended), the first day
of eligibility and the last, the amount where set, and the questions still open.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from engine.batch.columns import Columns
from engine.columnar.cal import EPOCH
from engine.columnar.judge import NEVER, Changes
from engine.columnar.judged import JudgedTable, Judgement
from engine.decision import Status
from engine.plan import Verdict
from engine.rulebook import Rule

# Carried columns by the fact they hold: the person a row is about, for each kind of case.
NAME = {"person": "person.name", "enterprise": "enterprise.name"}
ID = {"person": "person.id_number", "enterprise": "enterprise.credit_code"}
NO_DISTRICT = "（未填区县）"

SCHEMA = {
    "line": pl.Int64,
    "case_id": pl.String,
    "kind": pl.String,
    "district": pl.String,
    "name": pl.String,
    "id_number": pl.String,
    "program": pl.String,
    "status": pl.String,
    "phase": pl.String,
    "eligible_from": pl.Date,
    "eligible_until": pl.Date,
    "amount": pl.String,  # what the grant costs (``cost``) as Decimal text where set, else null
    "grant": pl.String,  # amount and period in words ("按当地标准" where the notice sets none)
    "amount_text": pl.String,  # the amount in words where its figure is set, else ""
    "missing": pl.List(pl.String),  # the facts still to ask (input facts or confirm.<key>)
}


class Head(NamedTuple):
    """What a verdict says beyond its status, as data. A tuple whose first item is the status cell,
    as the layout's cells are: the evaluator re-words that cell for a "not yet" row."""

    word: str
    amount: Decimal | None  # what it costs (``cost``), where a source or a local standard sets it
    grant: str
    missing: tuple[str, ...]
    amount_text: str = ""  # the amount in words where its figure is set (“1500 元/月”), else ""


class Plainly:
    """The columnar evaluator's layout hooks (``cells``, ``phase_word``), keeping data, not words."""

    lang = "zh"

    def cells(self, v: Verdict) -> Head:
        if v.status is Status.not_eligible:
            return Head(v.status.value, None, "", ())
        grant = "；".join(t for t in (v.amount.text if v.amount else "", v.period_text or "") if t)
        figure = v.amount.text if v.amount and v.amount.value is not None else ""
        return Head(v.status.value, cost(v), grant, v.missing, figure)

    def phase_word(self, rule_id: str, phase: str) -> str:
        return phase


def _ends(changes: Changes, today: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, (eligible from, eligible until) as day numbers (NEVER: none), as the published
    timeline words them (engine/evaluate.py): from the first eligible day of a row refused today;
    until the day before the first change that leaves eligibility."""
    eligible, refused = STATUSES.index(Status.eligible), STATUSES.index(Status.not_eligible)
    start = np.where(today == refused, changes.first_eligible(), NEVER)
    status, days = changes.status, changes.days
    before = np.concatenate([today[:, None], status[:, :-1]], axis=1)  # the status before each slot
    leaves = (before == eligible) & (status >= 0) & (status != eligible)
    k = leaves.argmax(axis=1)
    until = np.where(leaves.any(axis=1), days[np.arange(len(k)), k] - 1, NEVER)
    return start, until


def _dates(days: np.ndarray) -> pl.Series:
    """Day numbers as dates (NEVER: null)."""
    known = days != NEVER
    series = pl.Series(np.where(known, days, EPOCH) - EPOCH, dtype=pl.Int64).cast(pl.Int32).cast(pl.Date)
    return pl.select(pl.when(pl.Series(known)).then(series).otherwise(None)).to_series()


STATUSES = list(Status)


def money_unit(rule: Rule) -> str | None:
    """The unit of a program's amount when it is a sum of money: 元 (once) or 元/月 (a month)."""
    a = rule.outcome.amount
    if a is None:
        return None
    unit = "元" if a.rate else rule.parameters[a.param or ""].unit
    return unit if unit in ("元", "元/月") else None  # a rate in % is no sum to add up


def cost(v: Verdict) -> Decimal | None:
    """What a grant costs for one person where its figures are set: the amount, or a monthly
    amount times the months of the period; None where the notice leaves it to 当地标准."""
    unit = money_unit(v.rule)
    if unit is None or v.amount is None or v.amount.value is None:
        return None
    if unit == "元/月":
        return None if v.period_months is None else v.amount.value * v.period_months
    return v.amount.value


def _carried(piece: JudgedTable, cols: Columns, fact: str) -> pl.Series:
    header = cols.header_of.get(fact)
    carried = [cols.headers[i] for i in cols.carried]
    if header is None or header not in carried:
        return pl.Series([""] * len(piece.lines), dtype=pl.String)
    return piece.carried[carried.index(header)]


def _pick(values: list[Any], dtype: Any, index: np.ndarray) -> pl.Series:
    """``values[index[i]]`` for every row, taken by polars (a few distinct values, many rows)."""
    return pl.Series(values, dtype=dtype).gather(pl.Series(index, dtype=pl.Int64))


LEAN = ("line", "district", "program", "status", "amount")  # what ``compare`` reads


def piece_frame(piece: JudgedTable, cols: Columns, lean: bool = False) -> pl.DataFrame:
    """One row per case of ``piece`` and program of its subject (``lean``: only the LEAN columns)."""
    n = len(piece.lines)
    d = piece.table.cols["district.name"]
    district = pl.Series(np.where(d.valid, d.values, NO_DISTRICT).astype(str) if n else [], dtype=pl.String)
    base = {"line": pl.Series(piece.lines, dtype=pl.Int64), "district": district}
    if not lean:
        base |= {
            "case_id": piece.case_ids,
            "kind": pl.Series([piece.subject], dtype=pl.String).gather(pl.Series(np.zeros(n, np.int64))),
            "name": _carried(piece, cols, NAME[piece.subject]),
            "id_number": _carried(piece, cols, ID[piece.subject]),
        }
    words = [s.value for s in STATUSES]
    frames = []
    for j in piece.judged:
        plan = j.plan
        status = np.array([STATUSES.index(o.status) for o in j.outcomes], dtype=np.int64)[j.outcome]
        heads = [h if isinstance(h, Head) else Head(*h) for h in j.heads]  # re-worded: a list again
        pick = np.asarray(j.head, dtype=np.int64)
        columns = {
            **base,
            "program": pl.Series([plan.rule.id], dtype=pl.String).gather(pl.Series(np.zeros(n, np.int64))),
            "status": _pick(words, pl.String, status),
            "amount": _pick([None if h.amount is None else str(h.amount) for h in heads], pl.String, pick),
        }
        if not lean:
            columns |= _timeline(plan, j, status, heads, pick)
        frames.append(pl.DataFrame(columns).select(LEAN if lean else list(SCHEMA)))
    if frames:
        return pl.concat(frames)
    return pl.DataFrame(schema={k: SCHEMA[k] for k in LEAN} if lean else SCHEMA)


def _timeline(
    plan: Any, j: Any, status: np.ndarray, heads: list[Head], pick: np.ndarray
) -> dict[str, pl.Series]:
    """Phase, eligible from and until, grant words and questions for every row of one program."""
    ended = np.array([o is plan.ended for o in j.outcomes], dtype=bool)[j.outcome]
    start, until = _ends(j.changes, np.asarray(status, dtype=np.int64))
    phase = np.where(ended, 5, status)  # 0..2: the statuses; 3: not yet; 5: ended
    phase = np.where((status == STATUSES.index(Status.not_eligible)) & (start != NEVER) & ~ended, 3, phase)
    return {
        "phase": _pick([*(s.value for s in STATUSES), "not_yet", "", "ended"], pl.String, phase),
        "eligible_from": _dates(start),
        "eligible_until": _dates(until),
        "grant": _pick([h.grant for h in heads], pl.String, pick),
        "amount_text": _pick([h.amount_text for h in heads], pl.String, pick),
        "missing": _pick([list(h.missing) for h in heads], pl.List(pl.String), pick),
    }


def listing(judgement: Judgement, cols: Columns, lean: bool = False) -> pl.DataFrame:
    """Every decided case of a chunk, one row per program of its subject, in input order."""
    frames = [piece_frame(p, cols, lean) for p in judgement.tables]
    if not frames:
        return pl.DataFrame(schema={k: SCHEMA[k] for k in LEAN} if lean else SCHEMA)
    return pl.concat(frames).sort(["line"], maintain_order=True)
