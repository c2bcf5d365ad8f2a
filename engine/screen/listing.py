"""A judged chunk as one row per case and program: the facts ``subsidy screen`` and ``compare`` read.

The columnar evaluator (engine/columnar/) judges a chunk and words its cells through a layout;
``Plainly`` stands in for that layout and keeps each verdict's grant and questions as data, so the
office's lists are built from the same judgement ``subsidy batch`` writes, never a second one.
``listing`` turns the judgement into a polars frame: status, phase (not yet, ended), the first day
of eligibility and the last, the amount where set, and the questions still open.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from engine.batch.columns import Columns
from engine.columnar.chunk import Judgement, Piece
from engine.decision import Status
from engine.judge import Verdict
from engine.rulebook import Rule
from engine.timeline import Changes

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
    """The columnar evaluator's layout hooks (``cells``, ``change_text``), keeping data, not words."""

    lang = "zh"

    def cells(self, v: Verdict) -> Head:
        if v.status is Status.not_eligible:
            return Head(v.status.value, None, "", ())
        grant = "；".join(t for t in (v.amount.text if v.amount else "", v.period_text or "") if t)
        figure = v.amount.text if v.amount and v.amount.value is not None else ""
        return Head(v.status.value, cost(v), grant, v.missing, figure)

    def change_text(self, changes: Changes) -> Changes:
        return changes

    def phase_word(self, rule_id: str, phase: str) -> str:
        return phase


def _ends(changes: Changes, status: Status) -> tuple[date | None, date | None]:
    """(eligible from, eligible until) as the published timeline words them (engine/evaluate.py)."""
    eligible_from = eligible_until = None
    current = status
    for day, new in changes:
        if new is Status.eligible and status is Status.not_eligible and eligible_from is None:
            eligible_from = day
        if current is Status.eligible and new is not Status.eligible and eligible_until is None:
            eligible_until = day - timedelta(days=1)
        current = new
    return eligible_from, eligible_until


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


def _carried(piece: Piece, cols: Columns, fact: str) -> pl.Series:
    header = cols.header_of.get(fact)
    carried = [cols.headers[i] for i in cols.carried]
    if header is None or header not in carried:
        return pl.Series([""] * len(piece.lines), dtype=pl.String)
    return piece.carried[carried.index(header)]


def piece_frame(piece: Piece, cols: Columns) -> pl.DataFrame:
    """One row per case of ``piece`` and program of its subject."""
    n = len(piece.lines)
    d = piece.table.cols["district.name"]
    district = np.where(d.valid, d.values, NO_DISTRICT).astype(str) if n else np.array([], dtype=str)
    base = {
        "line": piece.lines,
        "case_id": piece.case_ids,
        "kind": [piece.subject] * n,
        "district": district.tolist(),
        "name": _carried(piece, cols, NAME[piece.subject]),
        "id_number": _carried(piece, cols, ID[piece.subject]),
    }
    frames = []
    for j in piece.judged:
        plan = j.plan
        status = np.array([STATUSES.index(o.status) for o in j.outcomes], dtype=np.int64)[j.outcome]
        ended = np.array([o is plan.ended for o in j.outcomes], dtype=bool)[j.outcome]
        heads = [h if isinstance(h, Head) else Head(*h) for h in j.heads]  # re-worded: a list again
        pick = np.asarray(j.head, dtype=np.int64)
        amount = np.array([None if h.amount is None else str(h.amount) for h in heads] + [None], object)
        grant = np.array([h.grant for h in heads] + [""], object)
        figure = np.array([h.amount_text for h in heads] + [""], object)
        missing = [list(h.missing) for h in heads]
        # eligible from / until: per distinct (changes, status today)
        key = (np.asarray(j.change, dtype=np.int64) + 1) * len(STATUSES) + status
        uniq, inverse = np.unique(key, return_inverse=True)
        found = []
        for k in uniq:
            group, today = divmod(int(k), len(STATUSES))
            changes: Changes = j.changes[group - 1] if group else ()  # type: ignore[assignment]
            found.append(_ends(changes, STATUSES[today]))
        starts = np.array([f for f, _ in found] + [None], object)[inverse] if n else []
        untils = np.array([u for _, u in found] + [None], object)[inverse] if n else []
        phase = np.array([s.value for s in STATUSES], object)[status]
        phase = np.where(ended, "ended", phase)
        not_yet = (status == STATUSES.index(Status.not_eligible)) & (
            np.array([s is not None for s in starts], bool) if n else np.zeros(0, bool)
        )
        phase = np.where(not_yet, "not_yet", phase)
        frames.append(
            pl.DataFrame(
                {
                    **base,
                    "program": [plan.rule.id] * n,
                    "status": np.array([s.value for s in STATUSES], object)[status].tolist(),
                    "phase": list(phase),
                    "eligible_from": list(starts),
                    "eligible_until": list(untils),
                    "amount": amount[pick].tolist(),
                    "grant": grant[pick].tolist(),
                    "amount_text": figure[pick].tolist(),
                    "missing": [missing[i] for i in pick],
                },
                schema=SCHEMA,
            )
        )
    return pl.concat(frames) if frames else pl.DataFrame(schema=SCHEMA)


def listing(judgement: Judgement, cols: Columns) -> pl.DataFrame:
    """Every decided case of a chunk, one row per program of its subject, in input order."""
    frames = [piece_frame(p, cols) for p in judgement.pieces]
    if not frames:
        return pl.DataFrame(schema=SCHEMA)
    return pl.concat(frames).sort(["line"], maintain_order=True)


def money(values: Any) -> Decimal:
    """The sum of amounts written as Decimal text (exact: no float on the way)."""
    return sum((Decimal(v) for v in values if v is not None), Decimal(0))
