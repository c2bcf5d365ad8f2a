"""When a decision changes with time, the other facts staying as they are.

Some conditions move with the evaluation date: an age, the months registered unemployed, the days
since a period ended, a window judged on that date, a dated parameter read on it. Each such fact
only grows (or only shrinks) as days pass, so a comparison on it changes its result at most once.
Where the fact counts years, months or days between the date and another fact, the day it reaches
the value compared with is worked out (``reach_days``) and checked on the facts of that day and the
day before (``facts.on_day``); any other fact's day is found by bisection over days. A program's
status on each such day is its own condition tree read again with those conditions moved
(``Plan.outcome``): the timeline is never a second copy of the policy.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product
from typing import Any

from engine import calendar
from engine.codes import MET, MET_ANYWAY, MISSING, NOT_IN_FORCE, NOT_MET, NOT_MET_ANYWAY, UNSET
from engine.decision import Status
from engine.facts import missing_inputs, on_day, reading, rederive
from engine.plan import Changes, Cond, Motion, Plan, Verdict

HORIZON_DAYS = 36_525  # a hundred years: past it no decision of this notice can still change
FIRST_DAY, LAST_DAY = date(1, 1, 2).toordinal(), date(9999, 12, 30).toordinal()


def flip(
    plan: Plan, index: int, facts: dict[str, Any], subject: str, forward: bool, start: date | None = None
) -> date | None:
    """The day condition ``index`` of ``plan`` changes from its result on the evaluation date (forward),
    or the day it took that result (backward), as its fact moves with time; None beyond a century.
    From ``start`` instead of the evaluation date, the parameters are read as in force on ``start``
    (a parameter's later value: ``changes`` searches each of its periods from its first day).

    Where the fact is a count between the date and another fact (``Plan.motions``), the days its
    result can change on are worked out (``reach_days``) and each is checked, with the day before it;
    otherwise, or if no such day checks out, the day is found by bisection."""
    cond = plan.conds[index]
    ref = plan.reference(facts) if start is None else start
    reads = reading(subject, (cond.fact,))

    def met(ordinal: int) -> bool:
        return cond.on(on_day(facts, date.fromordinal(ordinal), subject, reads), ref) == MET

    now = (start or facts["case.as_of"]).toordinal()
    held = met(now)
    far = min(now + HORIZON_DAYS, LAST_DAY) if forward else max(now - HORIZON_DAYS, FIRST_DAY)
    if met(far) == held:  # no change between today and ``far``
        return None
    moves = plan.motions.get(index)
    days = reach_days(moves, cond, facts, ref) if moves is not None else None
    for day in sorted(days or (), reverse=not forward):
        if forward and now < day <= far and met(day) != held:
            return date.fromordinal(day) if met(day - 1) == held else _bisect(met, held, now, far, forward)
        if not forward and far < day <= now and met(day - 1) != held:
            return date.fromordinal(day) if met(day) == held else _bisect(met, held, now, far, forward)
    return _bisect(met, held, now, far, forward)


def _bisect(met: Any, held: bool, inside: int, outside: int, forward: bool) -> date:
    """The change day between ``inside`` (today's result) and ``outside`` (the other), by bisection."""
    while abs(outside - inside) > 1:
        mid = (inside + outside) // 2
        inside, outside = (mid, outside) if met(mid) == held else (inside, mid)
    return date.fromordinal(outside if forward else inside)


def reach_days(moves: Motion, cond: Cond, facts: dict[str, Any], ref: date) -> list[int] | None:
    """The days (as day numbers) on which ``cond``'s result can change, its fact moving as ``moves``
    says: where the count reaches the value compared with, or one past it (``>`` and ``<=`` change
    there); a window's first day and the day after its last. None where no formula applies."""
    if cond.bounds is not None:
        first, last = cond.bounds
        return [*([first.toordinal()] if first else []), last.toordinal() + 1]
    expected = cond.at(ref)[1]
    if moves.kind == "date":
        return [expected.toordinal(), expected.toordinal() + 1] if isinstance(expected, date) else None
    other = facts.get(moves.other) if moves.other else None
    if not isinstance(expected, int) or isinstance(expected, bool) or other is None:
        return None
    if moves.kind == "days":  # the date minus ``other``: at least k from other + k
        return [other.toordinal() + expected, other.toordinal() + expected + 1]
    if moves.kind == "days_left":  # ``other`` minus the date: at most k from other - k
        return [other.toordinal() - expected, other.toordinal() - expected + 1]
    if expected < 1:  # a count of months or years below one: no formula here
        return None
    months = 12 if moves.kind == "years" else 1
    return [calendar.add_months(other, months * k).toordinal() for k in (expected, expected + 1)]


def answered(plan: Plan, j: int, facts: dict[str, Any], subject: str) -> list[dict[str, Any]] | None:
    """The facts had the applicant given each possible answer to what keeps condition ``j``
    unknown (``Plan.answers``); None when an unknown input has no such short list."""
    options = plan.answers.get(j)
    cond = plan.conds[j]
    missing = missing_inputs(cond.fact, facts)
    if options is None or not missing or any(m not in options for m in missing):
        return None
    reads = reading(subject, (cond.fact, plan.ref_fact) if plan.ref_fact else (cond.fact,), timed=False)
    return [
        {**facts, **rederive(facts, subject, reads, dict(zip(missing, answers, strict=True)))}
        for answers in product(*(options[m] for m in missing))
    ]


def changes(plan: Plan, outcomes: tuple[int, ...], facts: dict[str, Any], subject: str) -> Changes:
    """Each later day on which the program's status changes, and the status from that day.

    A condition decided whatever the unknown answer (a woman's post, today) moves with each answer:
    from the day the answers part it needs that answer, and once they agree again it is decided."""
    variants = {
        j: found
        for j, _ in plan.timed
        if outcomes[j] in (MET_ANYWAY, NOT_MET_ANYWAY, MISSING)
        and (found := answered(plan, j, facts, subject)) is not None
    }
    moving = [j for j, _ in plan.timed if outcomes[j] in (MET, NOT_MET, NOT_IN_FORCE) or j in variants]
    if not moving:
        return ()
    day = facts["case.as_of"]
    days: set[date] = set()
    for j in moving:
        for each in variants.get(j, [facts]):
            if (found := flip(plan, j, each, subject, forward=True)) is not None:
                days.add(found)
            if plan.reads_as_of:
                # A parameter read on the evaluation date comes into force, or changes, on each of
                # its starts: each is a day, and the condition may change again inside that period
                # (a business counts its months under a threshold not yet in force today).
                for start, _, _, _ in plan.conds[j].periods:
                    if start and start > day:
                        days.add(start)
                        if (found := flip(plan, j, each, subject, forward=True, start=start)) is not None:
                            days.add(found)
    status = plan.outcome(outcomes).status
    current = list(outcomes)
    out: list[tuple[date, Status]] = []
    names = tuple(plan.conds[j].fact for j in moving)
    reads = reading(subject, (*names, plan.ref_fact) if plan.ref_fact else names)
    for when in sorted(days):
        on = on_day(facts, when, subject, reads)
        ref = plan.reference(on)
        for j in moving:
            if j in variants:
                cond = plan.conds[j]
                seen = {
                    cond.on(o, plan.reference(o))
                    for o in (on_day(v, when, subject, reads) for v in variants[j])
                }
                current[j] = AGREED.get(seen.pop(), MISSING) if len(seen) == 1 else MISSING
            else:
                current[j] = plan.conds[j].on(on, ref)
        new = plan.outcome(tuple(current)).status
        if new is not status:
            out.append((when, new))
            status = new
    return tuple(out)


# What every answer agreeing gives, as the engine reads it on that day (engine/judge.py
# ``Judge._resolve``): a rule not yet in force, or a threshold not set, reads so whatever the answer.
AGREED = {MET: MET_ANYWAY, NOT_MET: NOT_MET_ANYWAY, NOT_IN_FORCE: NOT_IN_FORCE, UNSET: UNSET}


def until_end(verdict: Verdict) -> Changes:
    """An entitlement with a last day (the benefit's 最长领取至) stops the day after it, whether it
    is granted today or only from a later day."""
    plan = verdict.plan
    last = plan.end_of(verdict)
    if verdict.outcome is plan.ended or last is None:
        return verdict.changes
    return stop_after(verdict.changes, verdict.status, last[1])


def stop_after(changes: Changes, status: Status, last: date | None) -> Changes:
    """``changes`` of a program whose status is ``status`` today, ending the day after ``last``."""
    if last is None:
        return changes
    stop = last + timedelta(days=1)
    before = tuple((day, new) for day, new in changes if day < stop)
    status = before[-1][1] if before else status
    return before if status is Status.not_eligible else (*before, (stop, Status.not_eligible))
