"""A table of cases judged by the rule book's own compiled plans, column by column.

No second copy of the policy: each condition of each ``Plan`` (engine/plan.py ``Cond``: its fact,
its operator as ``HOLDS`` reads it, its dated periods, a window's bounds) becomes one array
expression giving the outcome codes of engine/codes.py for every row, exactly as ``Cond.outcome``
gives them from durable-rules' matches. What those codes mean goes through ``Plan.outcome`` once
per distinct combination (the all/any tree exists once). Everything that depends on a row's own
values beyond its codes is worked out by the per-case code itself, once per distinct combination
of exactly the inputs it reads:

- an unknown derived condition every answer agrees on: ``Judge._resolve``;
- questions, grant and key dates: ``Plan.verdict``;
- the days the status changes: ``timeline.changes``;
- the output cells: ``Layout``'s own wording of such a ``Verdict``.

A registry repeats these combinations (a few thousand per program in a million rows), so the
scalar code runs a few thousand times, never once per row. A chunk's groups are told apart by codes
local to it; the verdicts and their cells are kept by the values those codes stand for, in the job
(``Job.memo``), so a later chunk's repeated combinations cost a lookup. A condition alike in
several programs (``_alike``: the age and retirement conditions of four) is read once per table:
its codes today, its resolution with each answer, its change days and its codes on those days.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import product
from typing import Any, NamedTuple

import numpy as np

from engine.codes import (
    MET,
    MET_ANYWAY,
    MISSING,
    NOT_IN_FORCE,
    NOT_MET,
    NOT_MET_ANYWAY,
    UNCONFIRMED,
    UNSET,
)
from engine.columnar import cal
from engine.columnar.table import Col, Moving, Table, groups
from engine.decision import Phase, Status
from engine.facts import ENGINE_INPUTS, derivation, missing_inputs
from engine.judge import Judge
from engine.plan import HOLDS, Cond, Outcome, Plan, Verdict, period_months
from engine.rulebook import ParamRef
from engine.timeline import AGREED, HORIZON_DAYS, LAST_DAY

# The per-case reading's comparisons work on arrays as they are; ``in`` is read by np.isin (below).
_OPS: dict[str, Callable[[Any, Any], Any]] = {op: f for op, f in HOLDS.items() if op != "in"}


def _typed(value: Any, col: Col) -> Any:
    """A rule's constant as the column holds it (dates as day numbers)."""
    if isinstance(value, date):
        return value.toordinal()
    return value


def holds(op: str, col: Col, expected: Any) -> np.ndarray:
    """``HOLDS[op](value, expected)`` for every row (garbage where the value is unknown)."""
    if op == "in":
        out = np.zeros(len(col.values), dtype=bool)
        for e in expected:
            out |= np.asarray(col.values == _typed(e, col), dtype=bool)
        return out
    return np.asarray(_OPS[op](col.values, _typed(expected, col)), dtype=bool)


@dataclass
class Changes:
    """``timeline.changes`` of every row as arrays: slot k of a row is its k-th change, in day order
    (``days`` day numbers, ``status`` an index into STATUSES, -1 for an empty slot). Merged, tested
    and worded as arrays: a row's changes are its own days (a birthday, a retirement date), so any
    work per distinct row would be work per row."""

    days: np.ndarray
    status: np.ndarray

    @staticmethod
    def none(n: int) -> Changes:
        return Changes(np.zeros((n, 1), dtype=np.int64), np.full((n, 1), -1, dtype=np.int64))

    def any(self) -> np.ndarray:
        return self.status[:, 0] >= 0

    def soon(self) -> np.ndarray:
        """Rows that become eligible on some later day."""
        return (self.status == STATUSES.index(Status.eligible)).any(axis=1)

    def first_eligible(self) -> np.ndarray:
        """Per row, the first day it is eligible from (NEVER: none)."""
        hit = self.status == STATUSES.index(Status.eligible)
        k = hit.argmax(axis=1)
        return np.where(hit.any(axis=1), self.days[np.arange(len(k)), k], NEVER)

    def take(self, rows: np.ndarray) -> Changes:
        return Changes(self.days[rows], self.status[rows])


@dataclass
class Judged:
    """One program's judgement of every row of a table."""

    plan: Plan
    outcomes: list[Outcome]  # distinct outcomes
    outcome: np.ndarray  # per row: index into ``outcomes``
    head: np.ndarray  # per row: index into ``heads``
    heads: list[list[str]]  # the first four cells (status, grant, failed, questions)
    dates: list[tuple[Any, np.ndarray, np.ndarray]] | None  # key dates: (KeyDate, day, known)
    changes: Changes  # per row: each later day the status changes, and the status from then
    asks: list[tuple[str, ...]] = field(default_factory=list)  # per head: the facts still needed

    def phases(self) -> np.ndarray:
        """Each row's ``Verdict.phase`` (an index into PHASES): a refusal with an eligible day to
        come is "not yet", an entitlement past its last day "ended"; what the batch counts."""
        ended = self.plan.ended
        found = [PHASES.index(Phase.ended if o is ended else Phase(o.status.value)) for o in self.outcomes]
        phase = np.array(found, dtype=np.int64)[self.outcome]
        refused = PHASES.index(Phase.not_eligible)
        phase[(phase == refused) & self.changes.soon()] = PHASES.index(Phase.not_yet)
        return phase


def codes(cond: Cond, table: Table, ref: np.ndarray) -> np.ndarray:
    """``cond``'s outcome for every row on the evaluation date (``Cond.outcome``)."""
    n = table.n
    if cond.confirm is not None:
        given = table.confirmations.get(cond.confirm)
        if given is None:
            return np.full(n, UNCONFIRMED, dtype=np.int8)
        return np.where(given < 0, UNCONFIRMED, np.where(given == 1, MET, NOT_MET)).astype(np.int8)
    col = table.cols[cond.fact]
    if cond.bounds is not None:
        start, end = cond.bounds
        inside = col.values <= end.toordinal()
        if start is not None:
            inside &= col.values >= start.toordinal()
        return np.where(col.valid, np.where(inside, MET, NOT_MET), MISSING).astype(np.int8)
    assert cond.leaf is not None
    op = cond.leaf.op
    if cond.fixed is not None:
        met = holds(op, col, cond.fixed[1])
        return np.where(col.valid, np.where(met, MET, NOT_MET), MISSING).astype(np.int8)
    # A dated parameter: the period in force on the reference date, as ``Cond.at``.
    starts = np.array([s.toordinal() for s, _, _, _ in cond.periods], dtype=np.int64)
    period = np.searchsorted(starts, ref, side="right") - 1
    out = np.full(n, NOT_IN_FORCE, dtype=np.int8)
    for k, (_, _, _, expected) in enumerate(cond.periods):
        here = period == k
        if expected is None:
            out[here] = UNSET
            continue
        met = holds(op, col, expected)
        out[here] = np.where(col.valid, np.where(met, MET, NOT_MET), MISSING)[here]
    return out


def judge_table(
    judge: Judge, table: Table, layout: Any, lang: str, memo: dict[Any, Any] | None = None
) -> tuple[list[Judged], Counter[str]]:
    """Every program's judgement and output cells for every row of ``table``; ``memo`` keeps what
    is worked out once per distinct combination of values for the next tables (a job's, so the
    layout is the same: ``Job.memo``)."""
    memo = {} if memo is None else memo
    n = table.n
    ref = [reference(plan, table) for plan in judge.plans]
    width = sum(len(p.conds) for p in judge.plans)
    matrix = np.zeros((n, width), dtype=np.int8)
    first: dict[Any, int] = {}  # a condition alike in several programs is read once
    for p, plan in enumerate(judge.plans):
        a = plan.span[0]
        for j, cond in enumerate(plan.conds):
            i = first.setdefault(_alike(plan, j), a + j)
            matrix[:, a + j] = codes(cond, table, ref[p]) if i == a + j else matrix[:, i]
    _resolve(judge, table, matrix, ref)
    counts: Counter[str] = Counter()
    out = []
    for p, plan in enumerate(judge.plans):
        judged = _program(judge, p, plan, table, matrix, ref[p], layout, lang, memo)
        counts.update(phase_counts(judged, judged.phases()))
        out.append(judged)
    return out, counts


def phase_counts(judged: Judged, phases: np.ndarray) -> Counter[str]:
    """Rows per phase of one program ("program|phase" → rows): not yet is not counted as a refusal."""
    program = judged.plan.rule.id
    found = np.bincount(phases, minlength=len(PHASES))
    return Counter({f"{program}|{p.value}": int(c) for p, c in zip(PHASES, found, strict=True) if c})


def _resolve(judge: Judge, table: Table, matrix: np.ndarray, ref: list[np.ndarray]) -> None:
    """Unknown derived conditions whose every possible answer agrees (``Judge._resolve``): the
    facts to ask are found by ``missing_inputs`` once per pattern of unknown facts, then the
    condition is read on arrays for every combination of answers, once per table for conditions
    alike in several programs (``_alike``)."""
    done: dict[Any, int] = {}
    for i, p, cond, options, _ in judge.resolvable:
        plan = judge.plans[p]
        alike = done.setdefault(_alike(plan, i - plan.span[0]), i)
        if alike != i:  # the same codes today, the same answers: the same resolution
            matrix[:, i] = matrix[:, alike]
            continue
        rows = np.flatnonzero(matrix[:, i] == MISSING)
        if not len(rows):
            continue
        names = [n for n in derivation(cond.fact) if n in table.cols]  # the settings are always known
        inverse, firsts = groups([(~table.cols[n].valid[rows]).astype(np.int64) for n in names])
        for g, first in enumerate(firsts):
            missing = missing_inputs(cond.fact, table.facts(int(rows[first])))
            if not missing or any(m not in options for m in missing):
                continue
            sub = rows[inverse == g]
            # rows with equal values of what the condition reads are answered once
            reads = [n for n in names if n not in ENGINE_INPUTS]
            if plan.ref_fact and plan.ref_fact not in reads:
                reads.append(plan.ref_fact)
            same_as, reps = groups(
                [table.cols[n].codes()[sub] for n in reads] or [np.zeros(len(sub), np.int64)]
            )
            part = table.take(sub[reps])
            seen: list[np.ndarray] = []
            for answers in product(*(options[m] for m in missing)):
                on = part.answered(dict(zip(missing, answers, strict=True)))
                seen.append(codes(cond, on, reference(plan, on)))
            first_seen = seen[0]
            same = np.logical_and.reduce([s == first_seen for s in seen])
            found = np.where(
                same & (first_seen == MET),
                MET_ANYWAY,
                np.where(same & (first_seen == NOT_MET), NOT_MET_ANYWAY, MISSING),
            )
            matrix[sub, i] = found[same_as]


def reference(plan: Plan, table: Table) -> np.ndarray:
    """``Plan.reference`` per row: the day the program's dated parameters are read on, its reference
    fact's where known, else the evaluation date."""
    as_of = table.cols["case.as_of"].values
    if plan.ref_fact is None:
        return as_of
    c = table.cols[plan.ref_fact]
    return np.where(c.valid, c.values, as_of)


def _pack(block: np.ndarray) -> np.ndarray:
    """Each row of small codes (< 8) as one integer."""
    key = np.zeros(block.shape[0], dtype=np.int64)
    for j in range(block.shape[1]):
        key = (key << 3) | block[:, j].astype(np.int64)
    return key


def _program(
    judge: Judge,
    p: int,
    plan: Plan,
    table: Table,
    matrix: np.ndarray,
    ref: np.ndarray,
    layout: Any,
    lang: str,
    memo: dict[Any, Any],
) -> Judged:
    n = table.n
    a, b = plan.span
    block = matrix[:, a:b]
    packed = _pack(block)
    slice_of, firsts = groups([packed])
    slices = [tuple(block[f].tolist()) for f in firsts]
    outcomes = [plan.outcome(s) for s in slices]
    outcome = slice_of  # the outcome is a function of the slice: index by it
    refused = np.array([o.status is Status.not_eligible for o in outcomes], dtype=bool)[outcome]

    # Questions and grant: per distinct (outcome, which of the questions' facts are unknown,
    # parameter period, the grant's two facts, the district), everything Plan.verdict reads.
    verdict_group = np.full(n, -1, dtype=np.int64)
    found: list[tuple[Any, tuple[str, ...]]] = []  # per verdict group: its head, its questions
    rows = np.flatnonzero(~refused)
    period = np.zeros(n, dtype=np.int64)
    if plan.reads.starts:
        starts = np.array([s.toordinal() for s in plan.reads.starts], dtype=np.int64)
        period = np.searchsorted(starts, ref, side="right")
    if len(rows):
        cols = table.cols
        parts = [outcome[rows], period[rows]]
        reads = sorted({f for o in outcomes if o.fixed is None for f in o.reads})
        parts += [(~cols[f].valid[rows]).astype(np.int64) for f in reads]
        # what the grant reads (``Plan.reads``): its facts, and the district whose local standard
        # may fix the amount, read on the row's own day
        local = _local_standards(plan, table)
        facts = [*plan.reads.grant, *(("district.name",) if local else ())]
        inputs = [f for f in table.inputs_of(facts) if f in cols]
        parts += [cols[f].codes()[rows] for f in inputs]
        if local:
            parts.append(ref[rows] - int(ref.min()))
        inverse, group_firsts = groups(parts)
        at = rows[group_firsts]
        kept = _kept(memo, (plan.rule.id, "verdict", lang, table.as_of))
        keys = _verdict_keys(table, slices, outcomes, outcome[at], period[at], reads, inputs, ref, local, at)
        for key, r in zip(keys, at.tolist(), strict=True):
            head = kept.get(key)
            if head is None:
                o, day = outcomes[outcome[r]], _day(ref[r])
                v = plan.verdict(o, tuple(matrix[r].tolist()), table.facts(r), day, lang)
                head = kept[key] = (layout.cells(v), v.missing)
            found.append(head)
        verdict_group[rows] = inverse

    changes = _changes(plan, block, table) if plan.timed else Changes.none(n)

    # The first four cells, worded by the layout from one Verdict per distinct shape; a refusal's
    # read its outcome only.
    inverse, seg_firsts = groups([outcome, verdict_group + 1])
    heads = []
    asks: list[tuple[str, ...]] = []
    refusals = _kept(memo, (plan.rule.id, "refused", lang))
    for first in seg_firsts.tolist():
        g = int(verdict_group[first])
        if g >= 0:
            cells, missing = found[g]
        else:
            s = slices[outcome[first]]
            cells, missing = refusals.get(s), ()
            if cells is None:
                v = Verdict(plan, outcomes[outcome[first]], (), (), {}, _day(ref[first]))
                cells = refusals[s] = layout.cells(v)
        heads.append(cells)
        asks.append(missing)
    dates = None
    if plan.reads.dates:
        # every row's key dates (``Plan.end_of`` reads them for a row refused today too); a
        # refused row shows none
        every = _key_dates(plan, table, ref, period, _months(plan, table, ref, period), np.ones(n, bool))
        dates = [(d, day, known & ~refused) for d, day, known in every]
        if plan.ends:
            outcome, inverse, changes = _ending(
                plan, table, every, outcomes, outcome, refused, inverse, heads, changes, layout
            )
    inverse = _not_yet(plan, outcomes, outcome, inverse, heads, changes, layout)
    return Judged(
        plan,
        outcomes,
        outcome,
        inverse,
        heads,
        dates,
        changes,
        asks + [()] * (len(heads) - len(asks)),  # heads added for refusals ask nothing
    )


KEPT = 8192  # answers a job keeps per program and kind (``_kept``): its memory stays flat


def _kept(memo: dict[Any, Any], scope: tuple[Any, ...]) -> dict[Any, Any]:
    """The answers ``memo`` keeps for ``scope`` (a program, a kind of answer, the language, the
    evaluation date where it is read), emptied once it holds ``KEPT``."""
    found = memo.get(scope)
    if found is None or len(found) >= KEPT:
        found = memo[scope] = {}
    return found


def _verdict_keys(
    table: Table,
    slices: list[tuple[int, ...]],
    outcomes: list[Outcome],
    outcome: np.ndarray,  # at ``rows``, as ``period``
    period: np.ndarray,
    reads: list[str],
    inputs: list[str],
    ref: np.ndarray,
    local: bool,
    rows: np.ndarray,
) -> list[tuple[Any, ...]]:
    """For ``rows``, the values of what ``Plan.verdict`` reads, as ``_program`` groups them by codes
    local to a table: the program's outcomes, which of its questions' facts are unknown (the
    outcome's own ``reads``), the parameter period, the grant's inputs and, with a local standard,
    the day it is read on."""
    cols = table.cols
    known = {f: cols[f].valid[rows].tolist() for f in reads}
    values = [_values(cols[f], rows) for f in inputs]
    grant = list(zip(*values, strict=True)) if values else [()] * len(rows)
    days = ref[rows].tolist() if local else [None] * len(rows)
    out = []
    for g, (k, p, day) in enumerate(zip(outcome.tolist(), period.tolist(), days, strict=True)):
        unknown = tuple(known[f][g] for f in outcomes[k].reads) if outcomes[k].fixed is None else ()
        out.append((slices[k], p, unknown, grant[g], day))
    return out


def _values(col: Col, rows: np.ndarray) -> list[Any]:
    """A column's values at ``rows`` as ``Col.codes`` tells them apart (None: unknown)."""
    known = col.valid[rows].tolist()
    return [v if ok else None for v, ok in zip(col.values[rows].tolist(), known, strict=True)]


def _local_standards(plan: Plan, table: Table) -> bool:
    """Whether some district sets one of the program's amounts by a local standard."""
    prefix = f"{plan.rule.id}."
    districts = table.settings.districts.values()
    return plan.reads.local and any(k.startswith(prefix) for d in districts for k in d.standards)


def _ending(
    plan: Plan,
    table: Table,
    dates: list[tuple[Any, np.ndarray, np.ndarray]],
    outcomes: list[Outcome],
    outcome: np.ndarray,
    refused: np.ndarray,
    head: np.ndarray,
    heads: list[list[str]],
    changes: Changes,
    layout: Any,
) -> tuple[np.ndarray, np.ndarray, Changes]:
    """``Plan.verdict`` and ``timeline.until_end`` on arrays: an entitlement whose last day has
    passed is refused (``plan.ended``); one still running stops the day after its last day."""
    # the earliest known of the ending key dates (``Plan.last_day``)
    last = np.min([np.where(dates[i][2], dates[i][1], NEVER) for i in plan.ends], axis=0)
    known = last != NEVER
    as_of = table.cols["case.as_of"].values
    ended = ~refused & known & (last < as_of)
    if ended.any():
        outcomes.append(plan.ended)
        outcome = np.where(ended, len(outcomes) - 1, outcome)
        heads.append(layout.cells(Verdict(plan, plan.ended, (), (), {}, _day(as_of[0]))))
        head = np.where(ended, len(heads) - 1, head)
    running = ~ended & known & (~refused | changes.any())
    if running.any():
        today = np.array([STATUSES.index(o.status) for o in outcomes], dtype=np.int64)[outcome]
        changes = _stop_after(changes, today, last, running)
    return outcome, head, changes


def _stop_after(changes: Changes, today: np.ndarray, last: np.ndarray, rows: np.ndarray) -> Changes:
    """``timeline.stop_after`` for the rows ``rows`` (a mask): their changes from the day after
    ``last`` dropped, and a refusal from that day unless the row is refused by then anyway."""
    days, status = changes.days, changes.status
    n = len(status)
    stop = np.where(rows, last, 0) + 1  # an unknown last day is NEVER: not for these rows
    kept = (status >= 0) & (days < stop[:, None])  # a prefix: the slots are in day order
    count = kept.sum(axis=1)
    before = np.where(count > 0, status[np.arange(n), np.maximum(count - 1, 0)], today)
    refused = STATUSES.index(Status.not_eligible)
    add = rows & (before != refused)
    days = np.concatenate([days, np.zeros((n, 1), dtype=np.int64)], axis=1)
    status = np.concatenate([np.where(rows[:, None] & ~kept, -1, status), np.full((n, 1), -1, np.int64)], 1)
    at = np.flatnonzero(add)
    days[at, count[at]] = stop[at]
    status[at, count[at]] = refused
    return Changes(days, status)


def _not_yet(
    plan: Plan,
    outcomes: list[Outcome],
    outcome: np.ndarray,
    head: np.ndarray,
    heads: list[list[str]],
    changes: Changes,
    layout: Any,
) -> np.ndarray:
    """``Verdict.phase`` on arrays: a refused row whose changes make it eligible later reads
    "not yet" in its status cell, never as a refusal."""
    refused = np.array([o.status is Status.not_eligible and o is not plan.ended for o in outcomes])
    rows = np.flatnonzero(refused[outcome] & changes.soon())
    if not len(rows):
        return head
    head = head.copy()
    word = layout.phase_word(plan.rule.id, Phase.not_yet)
    variants: dict[int, int] = {}
    for h in np.unique(head[rows]).tolist():
        variants[h] = len(heads)
        heads.append([word, *heads[h][1:]])
    head[rows] = np.array([variants[h] for h in head[rows].tolist()], dtype=head.dtype)
    return head


def _months(plan: Plan, table: Table, ref: np.ndarray, period: np.ndarray) -> np.ndarray:
    """The grant's period in months for every row (``plan.period_months``; -1 when not fixed),
    worked out once per distinct parameter period and grant facts (``Plan.reads``)."""
    if plan.rule.outcome.period is None:
        return np.full(table.n, -1, dtype=np.int64)
    inverse, firsts = groups([period] + [table.cols[f].codes() for f in plan.reads.grant])
    given = plan.reads.given
    found = [period_months(plan.rule, given(table.facts(int(f))), _day(ref[f])) for f in firsts]
    return np.array([-1 if m is None else m for m in found], dtype=np.int64)[inverse]


def _key_dates(
    plan: Plan, table: Table, ref: np.ndarray, period: np.ndarray, months: np.ndarray, granted: np.ndarray
) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """Each key date of the program for every row (``plan._dates``): (KeyDate, day, known)."""
    rule = plan.rule
    out = []
    for d in rule.outcome.dates:
        start = table.cols[d.fact]
        valid = start.valid & granted
        if d.add_months is None:
            add = np.zeros(table.n, dtype=np.int64)
        elif d.add_months == "period":
            add = months
            valid = valid & (months >= 0)
        elif isinstance(d.add_months, ParamRef):
            param = rule.parameters[d.add_months.param]
            values = [param.at(s) for s in plan.reads.starts]  # in force from each start on
            table_ = np.array([-1] + [-1 if v is None else int(v) for v in values], dtype=np.int64)
            add = table_[period]
            valid = valid & (add >= 0)
        else:
            add = np.full(table.n, int(d.add_months), dtype=np.int64)
        safe = np.where(valid, start.values, cal.EPOCH)
        moved, ok = cal.add_months(safe, np.where(valid, add, 0))
        day = np.where((add == 0) & (d.minus_days == 0), start.values, moved - d.minus_days)
        out.append((d, day, valid & ok))
    return out


STATUSES = list(Status)
PHASES = list(Phase)
NEVER = np.iinfo(np.int64).max


def _statuses(plan: Plan, block: np.ndarray) -> np.ndarray:
    """Each row's status (index into STATUSES), through ``Plan.outcome`` once per distinct row."""
    inverse, firsts = groups([_pack(block)])
    found = [STATUSES.index(plan.outcome(tuple(block[f].tolist())).status) for f in firsts]
    return np.array(found, dtype=np.int64)[inverse]


def _flip(plan: Plan, j: int, part: Table, start: int | None = None) -> np.ndarray:
    """``timeline.flip`` forward for every row: the day condition ``j`` changes from its result on
    the evaluation date (or on day number ``start``, parameters as in force then), as its fact moves
    with time (NEVER beyond a century): worked out where a formula gives it (``_reach``) and checked
    with the day before, else found by bisection."""
    cond = plan.conds[j]
    moving = part.moving((cond.fact,))
    if start is None:
        ref = reference(plan, part)  # parameters as in force today, as the scalar flip reads them
        now = part.cols["case.as_of"].values
    else:
        ref = now = np.full(part.n, start, dtype=np.int64)

    def met(rows: np.ndarray, days: np.ndarray) -> np.ndarray:
        return codes(cond, moving.on(rows, days), ref[rows]) == MET

    every = np.arange(part.n)
    held = met(every, now)
    lo, hi = now.copy(), np.minimum(now + HORIZON_DAYS, LAST_DAY)
    found = met(every, hi) != held
    out = np.where(found, hi, NEVER)
    settled = ~found  # no change within the century: nothing to work out
    search = np.zeros(part.n, dtype=bool)
    reach = _reach(plan, j, part, ref)
    for days in np.sort(reach, axis=1).T if reach is not None else ():  # candidates, earliest first
        rows = np.flatnonzero(~settled & (days > now) & (days <= hi))
        if not len(rows):
            continue
        day = days[rows]
        changed = met(rows, day) != held[rows]
        rows, day = rows[changed], day[changed]
        right = met(rows, day - 1) == held[rows]  # else the formula is wrong here: search
        out[rows[right]] = day[right]
        settled[rows] = True
        search[rows[~right]] = True
    search |= ~settled  # a change no candidate gave: search
    active = search.copy()
    while True:
        active &= hi - lo > 1
        rows = np.flatnonzero(active)
        if not len(rows):
            break
        mid = (lo[rows] + hi[rows]) // 2
        same = met(rows, mid) == held[rows]
        lo[rows] = np.where(same, mid, lo[rows])
        hi[rows] = np.where(same, hi[rows], mid)
    return np.where(search, hi, out)


def _reach(plan: Plan, j: int, part: Table, ref: np.ndarray) -> np.ndarray | None:
    """``timeline.reach_days`` for every row: two candidate days per row (NEVER where none), or
    None where no formula applies to condition ``j``."""
    cond, moves = plan.conds[j], plan.motions.get(j)
    if moves is None:
        return None
    n = part.n
    if cond.bounds is not None:
        first, last = cond.bounds
        return np.column_stack(
            [np.full(n, NEVER if first is None else first.toordinal()), np.full(n, last.toordinal() + 1)]
        ).astype(np.int64)
    # the value compared with, per row (a dated parameter: as in force on the row's day)
    periods = [(s, e) for s, _, _, e in cond.periods]
    if any(e is not None and (isinstance(e, bool) or not isinstance(e, int | date)) for _, e in periods):
        return None
    if moves.kind == "date" and any(not isinstance(e, date) for _, e in periods if e is not None):
        return None
    if moves.kind != "date" and any(isinstance(e, date) for _, e in periods):
        return None
    values = [-1 if e is None else _typed(e, None) for _, e in periods]
    known = [e is not None for _, e in periods]
    starts = np.array([s.toordinal() if s else np.iinfo(np.int64).min for s, _ in periods], dtype=np.int64)
    k = np.clip(np.searchsorted(starts, ref, side="right") - 1, 0, len(periods) - 1)
    inside = np.searchsorted(starts, ref, side="right") > 0
    expected = np.array(values, dtype=np.int64)[k]
    valid = np.array(known, dtype=bool)[k] & inside
    if moves.kind == "date":
        days = np.column_stack([expected, expected + 1])
    else:
        other = part.cols[moves.other]
        valid &= other.valid
        base = np.where(valid, other.values, 0)
        if moves.kind == "days":
            days = np.column_stack([base + expected, base + expected + 1])
        elif moves.kind == "days_left":
            days = np.column_stack([base - expected, base - expected + 1])
        else:
            months = 12 if moves.kind == "years" else 1
            valid &= expected >= 1
            safe = np.where(valid, base, cal.EPOCH)
            a, ok_a = cal.add_months(safe, np.where(valid, months * expected, 0))
            b, ok_b = cal.add_months(safe, np.where(valid, months * (expected + 1), 0))
            days = np.column_stack([np.where(ok_a, a, NEVER), np.where(ok_b, b, NEVER)])
    return np.where(valid[:, None], days, NEVER)


@dataclass
class _Answers:
    """``timeline.answered`` for every row of a table: the rows grouped by what keeps a condition
    unknown, each group's rows had the applicant given each possible answer (only the condition's
    fact, the program's reference fact and what they derive from worked out again), ready to be
    read on any day. Worked out once per table: every day and every program with the condition
    reads them."""

    group: np.ndarray  # per row: its group, -1 where nothing is missing or an unknown has no short list
    at: np.ndarray  # per row: its position among its group's rows
    tables: list[list[Table]]  # per group: its rows with each answer
    moving: list[list[Moving]]  # the same, to be read on other days


def _answered(plan: Plan, j: int, table: Table) -> _Answers:
    """Condition ``j``'s ``_Answers`` for ``table`` (once per table, fact and answers)."""
    cond, options = plan.conds[j], plan.answers[j]
    reads = _reads(plan, (j,))
    key = ("answers", reads, tuple(options.items()))
    found = table.memo.get(key)
    if found is not None:
        return found
    names = [n for n in derivation(cond.fact) if n in table.cols]
    inverse, firsts = groups([(~table.cols[n].valid).astype(np.int64) for n in names])
    group = np.full(table.n, -1, dtype=np.int64)
    at = np.zeros(table.n, dtype=np.int64)
    tables: list[list[Table]] = []
    for g, first in enumerate(firsts):
        missing = missing_inputs(cond.fact, table.facts(int(first)))
        if not missing or any(m not in options for m in missing):
            continue
        sub = np.flatnonzero(inverse == g)
        group[sub], at[sub] = len(tables), np.arange(len(sub))
        taken = table.take(sub)
        answers = product(*(options[m] for m in missing))
        tables.append([taken.answered(dict(zip(missing, a, strict=True)), reads) for a in answers])
    moving = [[t.moving(reads) for t in each] for each in tables]
    found = table.memo[key] = _Answers(group, at, tables, moving)
    return found


def _agreed(plan: Plan, j: int, table: Table, rows: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Condition ``j`` for ``rows`` on ``days`` as every answer agreeing reads it
    (``timeline.AGREED``), else MISSING."""
    cond = plan.conds[j]
    answers = _answered(plan, j, table)
    out = np.full(len(rows), MISSING, dtype=np.int8)
    group = answers.group[rows]
    for g, moving in enumerate(answers.moving):
        sel = np.flatnonzero(group == g)
        if not len(sel):
            continue
        at = answers.at[rows[sel]]
        seen = [codes(cond, on, reference(plan, on)) for on in (m.on(at, days[sel]) for m in moving)]
        first = seen[0]
        same = np.logical_and.reduce([s == first for s in seen])
        agreed = np.full(len(sel), MISSING, dtype=np.int8)
        for code, reads_as in AGREED.items():
            agreed[first == code] = reads_as
        out[sel] = np.where(same, agreed, MISSING)
    return out


def _reads(plan: Plan, js: Any) -> tuple[str, ...]:
    """What conditions ``js`` read on another day: their facts, and the program's reference fact."""
    ref = [plan.ref_fact] if plan.ref_fact else []
    return tuple(dict.fromkeys([*(plan.conds[j].fact for j in js), *ref]))


@dataclass
class _Flips:
    """The days one condition can change on (``timeline.flip``, from the evaluation date and from
    each later start of its parameters), per group of a table's rows with equal inputs of those
    days (``Plan.flip_inputs``): worked out for the groups asked for so far, once per table for
    every program with the same condition (the age and retirement conditions of four programs)."""

    inverse: np.ndarray  # per row: its group
    firsts: np.ndarray  # per group: its first row
    days: np.ndarray  # per group: the days, NEVER where none (a column per answer and start)
    done: np.ndarray  # per group: worked out


def _flips(plan: Plan, j: int, table: Table, rows: np.ndarray, answered: bool) -> np.ndarray:
    """The days condition ``j`` of ``rows`` can change on, as with each possible answer where
    ``answered`` (``timeline.answered``): a row per row, NEVER where none."""
    cond = plan.conds[j]
    last = int(table.cols["case.as_of"].values.max()) if table.n else 0
    starts = [s.toordinal() for s, _, _, _ in cond.periods if s is not None] if plan.reads_as_of else []
    starts = [s for s in starts if s > last]  # a start no row has still to come gives no day
    slots = int(np.prod([len(a) for a in plan.answers[j].values()])) if answered else 1
    key = ("flips", _alike(plan, j), answered)
    found = table.memo.get(key)
    if found is None:
        names = tuple(m for m in plan.flip_inputs[j] if m in table.cols and m not in ENGINE_INPUTS)
        inverse, firsts = _grouped(table, names)
        width = slots * (1 + 2 * len(starts))
        days = np.full((len(firsts), width), NEVER, dtype=np.int64)
        found = table.memo[key] = _Flips(inverse, firsts, days, np.zeros(len(firsts), dtype=bool))
    group = found.inverse[rows]
    wanted = np.zeros(len(found.firsts), dtype=bool)
    wanted[group] = True
    need = np.flatnonzero(wanted & ~found.done)
    if len(need):
        reps = found.firsts[need]
        found.days[need] = _flip_days(plan, j, table, reps, answered, starts, found.days.shape[1])
        found.done[need] = True
    return found.days[group]


def _flip_days(
    plan: Plan, j: int, table: Table, reps: np.ndarray, answered: bool, starts: list[int], width: int
) -> np.ndarray:
    """``_flips`` for rows ``reps`` of ``table``: a column per answer, each followed by every later
    start of the parameters and the day the condition changes from it."""
    out = np.full((len(reps), width), NEVER, dtype=np.int64)
    if answered:
        answers = _answered(plan, j, table)
        group = answers.group[reps]
        variants = []
        for g, tables in enumerate(answers.tables):
            sel = np.flatnonzero(group == g)
            if len(sel):
                variants.append((sel, [t.take(answers.at[reps[sel]]) for t in tables]))
    else:
        variants = [(np.arange(len(reps)), [table.take(reps)])]
    as_of = table.cols["case.as_of"].values[reps]
    per = 1 + 2 * len(starts)
    for sel, parts in variants:
        for c, part in enumerate(parts):
            out[sel, c * per] = _flip(plan, j, part)
            for s, day in enumerate(starts):  # each start of a parameter is a day, and a period to search
                later = day > as_of[sel]
                out[sel, c * per + 1 + 2 * s] = np.where(later, day, NEVER)
                out[sel, c * per + 2 + 2 * s] = np.where(later, _flip(plan, j, part, day), NEVER)
    return out


def _alike(plan: Plan, j: int) -> Any:
    """What condition ``j``'s codes depend on besides the row, today, with each answer to its
    unknowns and on any later day (conditions of other programs alike in it share them): its fact
    and comparison, values and windows, the program's reference fact and the answers its unknowns
    could take, and a confirmation's key."""
    cond = plan.conds[j]
    key = (
        cond.fact,
        cond.confirm,
        cond.leaf.op if cond.leaf is not None else None,
        tuple((s, e, x) for s, e, _, x in cond.periods),
        None if cond.fixed is None else (cond.fixed[1],),
        cond.bounds,
        plan.ref_fact,
        plan.reads_as_of,
        tuple(plan.answers.get(j, {}).items()),
    )
    try:
        hash(key)
    except TypeError:  # a value with no hash (a list): shared with no other program
        return (plan.rule.id, j)
    return key


def _grouped(table: Table, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``groups`` of all of the table's rows by the values of ``names`` (once per table)."""
    key = ("groups", names)
    found = table.memo.get(key)
    if found is None:
        codes_ = [table.cols[m].codes() for m in names] or [np.zeros(table.n, np.int64)]
        found = table.memo[key] = groups(codes_)
    return found


# A condition's code today (engine/codes.py) → 1 where it moves with time, 2 where it moves with
# each answer to what keeps it unknown (a condition with a short list of answers: ``Plan.answers``).
_PLAIN = np.isin(np.arange(8), (MET, NOT_MET, NOT_IN_FORCE)).astype(np.int8)
_ANSWERABLE = 2 * np.isin(np.arange(8), (MET_ANYWAY, NOT_MET_ANYWAY, MISSING)).astype(np.int8)


class _Moved(NamedTuple):
    """The program's moving conditions on each day their rows' status may change, for one group of
    rows that move alike (the same conditions, moving with time or with each answer): read once per
    table for every program whose moving conditions are alike (``_alike``: four programs read age
    and retirement), each program then reading only its own statuses from them."""

    rows: np.ndarray  # the group's rows
    ks: list[int]  # which of the program's moving conditions move (positions in ``plan.timed``)
    steps: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (positions in rows, day, codes there)


def _moved(plan: Plan, block: np.ndarray, table: Table) -> list[_Moved]:
    """Each group of rows whose moving conditions move alike, and those conditions' codes on each
    candidate day (their change days, sorted, a day repeated once), once per table and alike
    conditions."""
    timed = [j for j, _ in plan.timed]
    key = ("moved", tuple(_alike(plan, j) for j in timed))
    found = table.memo.get(key)
    if found is not None:
        return found
    # 1: a condition that moves with time; 2: one decided whatever the unknown answer, or not yet
    # decided, that moves with each answer (``timeline.answered``)
    answerable = np.array([j in plan.answers for j in timed], dtype=bool)
    now = block[:, timed]
    kind = _PLAIN[now] + np.where(answerable, _ANSWERABLE[now], 0).astype(np.int8)
    pattern, firsts = groups([_pack(kind)])
    found = []
    for g, first in enumerate(firsts):
        ks = np.flatnonzero(kind[first]).tolist()
        js = [timed[k] for k in ks]
        if not js:
            continue
        answered = {timed[k] for k in ks if kind[first, k] == 2}
        rows = np.flatnonzero(pattern == g)
        candidates = np.concatenate([_flips(plan, j, table, rows, j in answered) for j in js], axis=1)
        days = np.sort(candidates[:, (candidates != NEVER).any(axis=0)], axis=1)
        moving = table.moving(_reads(plan, js))
        steps = []
        for k in range(days.shape[1]):
            live = np.flatnonzero(days[:, k] != NEVER)
            if not len(live):
                continue
            # the same day twice changes nothing the second time
            if k:
                live = live[days[live, k] != days[live, k - 1]]
            sub, day = rows[live], days[live, k]
            on = moving.on(sub, day)
            ref = reference(plan, on)
            moved = np.empty((len(live), len(js)), dtype=np.int8)
            for c, j in enumerate(js):
                if j in answered:
                    moved[:, c] = _agreed(plan, j, table, sub, day)
                else:
                    moved[:, c] = codes(plan.conds[j], on, ref)
            steps.append((live, day, moved))
        found.append(_Moved(rows, ks, steps))
    table.memo[key] = found
    return found


def _changes(plan: Plan, block: np.ndarray, table: Table) -> Changes:
    """``timeline.changes`` for every row: each later day the program's status changes, the other
    facts staying as they are."""
    n = table.n
    timed = [j for j, _ in plan.timed]
    status = _statuses(plan, block)
    events: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (rows, day, new status)
    for rows, ks, steps in _moved(plan, block, table):
        js = [timed[k] for k in ks]
        current = status[rows].copy()
        for live, day, moved in steps:
            sub = rows[live]
            cur = block[sub]
            cur[:, js] = moved
            new = _statuses(plan, cur)
            changed = new != current[live]
            events.append((sub[changed], day[changed], new[changed]))
            current[live] = new
    if not events:
        return Changes.none(n)
    # Each row's changes as one row of (day, status) slots.
    width = max(int(np.bincount(np.concatenate([e[0] for e in events]), minlength=n).max()), 1)
    day_m = np.zeros((n, width), dtype=np.int64)
    st_m = np.full((n, width), -1, dtype=np.int64)
    fill = np.zeros(n, dtype=np.int64)
    for rows, days_k, new in events:  # in day order within each row (slots are sorted)
        day_m[rows, fill[rows]] = days_k
        st_m[rows, fill[rows]] = new
        fill[rows] += 1
    return Changes(day_m, st_m)


def _day(x: Any) -> date:
    return date.fromordinal(int(x))
