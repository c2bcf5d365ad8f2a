"""The registry column 申请项目 on arrays: what each row applies for is decided, the rest advised.

``Engine._publish`` (engine/evaluate.py) and ``engine/applications.py`` say what an application
means for one case: only the programs applied for are decided; of the others, those the person may
get appear as suggestions (eligible now; eligible from a date; one answer away), never as refusals,
eligible ones first in rule-book order, then by date, then one answer away; a compliance check is
nothing a person gets. Here the same is read from a table's judgements, once per distinct
combination of a row's application and its programs' states.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import polars as pl

from engine.batch.layout import Layout, Suggested
from engine.columnar.judge import NEVER, Judged, phase_counts
from engine.decision import Status

NONE, NOW, LATER, NEAR = 0, 1, 2, 3  # a program's state, as a suggestion


def _states(j: Judged) -> tuple[np.ndarray, np.ndarray, list]:
    """Per row: the program's suggestion state and an index into its details (a date or a fact)."""
    n = len(j.outcome)
    state = np.full(n, NONE, dtype=np.int8)
    detail = np.zeros(n, dtype=np.int64)
    if j.plan.rule.kind == "compliance":
        return state, detail, []
    status = np.array([o.status for o in j.outcomes], dtype=object)[j.outcome]
    ended = np.array([o is j.plan.ended for o in j.outcomes])[j.outcome]
    state[status == Status.eligible] = NOW
    first = j.changes.first_eligible()
    later = (first != NEVER) & (status == Status.not_eligible) & ~ended
    days = np.unique(first[later])
    details: list = [None, *(date.fromordinal(int(d)) for d in days)]
    state[later] = LATER
    detail[later] = np.searchsorted(days, first[later]) + 1
    one = np.array([len(a) == 1 for a in j.asks])[j.head] & (status == Status.needs_information)
    facts = list(dict.fromkeys(a[0] for a in j.asks if len(a) == 1))
    base = len(details)
    details += facts
    state[one] = NEAR
    detail[one] = np.array([base + facts.index(j.asks[h][0]) for h in j.head[one].tolist()], dtype=np.int64)
    return state, detail, details


def applications(
    layout: Layout, judged: list[Judged], applied: list[tuple[str, ...]]
) -> tuple[list[np.ndarray], pl.Series]:
    """Per program, the rows that decide it (a row applying for nothing decides every program),
    and each row's 可能还符合 cell. ``applied``: per row, the programs it applies for."""
    n = len(applied)
    groups = {a: k for k, a in enumerate(dict.fromkeys(applied))}
    group = np.array([groups[a] for a in applied], dtype=np.int64)
    kinds = list(groups)
    shown = []
    for j in judged:
        decided = np.array([not a or j.plan.rule.id in a for a in kinds] + [True])
        shown.append(decided[group] if n else np.zeros(0, dtype=bool))
    states = [_states(j) for j in judged]
    # rows alike in application and in every program's state share one cell; a row applying for
    # nothing has none, whatever its states
    applies = np.array([bool(a) for a in kinds], dtype=np.int64)[group] if n else None
    key = (
        np.column_stack([group, *(s * applies for s, _, _ in states), *(d * applies for _, d, _ in states)])
        if n
        else None
    )
    if key is None:
        return shown, pl.Series([], dtype=pl.String)
    distinct, inverse = np.unique(key, axis=0, return_inverse=True)
    m = len(judged)
    texts = []
    for row in distinct.tolist():
        application = kinds[row[0]]
        if not application:
            texts.append("")
            continue
        now: list[Suggested] = []
        later: list[Suggested] = []
        near: list[Suggested] = []
        for k, j in enumerate(judged):
            program, state, detail = (
                j.plan.rule.id,
                row[1 + k],
                states[k][2][row[1 + m + k]] if states[k][2] else None,
            )
            if program in application or state == NONE:
                continue
            if state == NOW:
                now.append(("eligible", program, None, None))
            elif state == LATER:
                later.append(("eligible_from", program, detail, None))
            else:
                near.append(("one_answer", program, None, detail))
        later.sort(key=lambda s: s[2])  # the nearest date first (stable: rule-book order on a tie)
        texts.append(layout.suggestion_text([*now, *later, *near]))
    cells = pl.Series(texts, dtype=pl.String)
    return shown, cells.gather(pl.Series(np.asarray(inverse).reshape(-1), dtype=pl.Int64))


def decided_counts(judged: list[Judged], shown: list[np.ndarray]) -> Counter[str]:
    """Each program's phases over the rows that decide it ("program|phase" → rows)."""
    counts: Counter[str] = Counter()
    for j, rows in zip(judged, shown, strict=True):
        counts.update(phase_counts(j, j.phases()[rows]))
    return counts
