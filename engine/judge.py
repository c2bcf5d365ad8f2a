"""Every program of one subject judging a case, and each condition's reason.

The published ``Decision`` (pydantic, worded in one language) and the batch writer both read this
one judgement (``Verdict``, engine/plan.py), so they cannot disagree; building pydantic models per
condition stays on the path that publishes them (it is what made batch evaluation slow).

Two steps look beyond the evaluation date and beyond what the applicant said, both by reading
conditions in Python (``Cond.on``, held equal to durable-rules' matches by tests/test_foresight.py):
an unknown derived condition whose every possible answer gives one result takes it (nothing is
asked), and each program that moves with time gets the days its status changes (engine/timeline.py).
"""

from __future__ import annotations

from datetime import date
from itertools import product
from typing import Any

from engine import timeline
from engine.codes import (
    MET,
    MET_ANYWAY,
    MISSING,
    NOT_IN_FORCE,
    NOT_MET,
    NOT_MET_ANYWAY,
    RESULT,
    UNCONFIRMED,
    WHY,
)
from engine.decision import Result, Status
from engine.facts import Reads, missing_inputs, reading, rederive
from engine.matcher import Matches
from engine.plan import Check, Cond, Plan, Verdict
from engine.rulebook import Rule


def checks(v: Verdict) -> list[Check]:
    """Each condition's result with the values its reason quotes, in the rule's order; a condition
    that moves with time says since when it holds and until when (engine/timeline.py)."""
    if v.outcome is v.plan.ended:
        return [_ended(v), *_conditions(v)]
    return _conditions(v)


def _ended(v: Verdict) -> Check:
    """The entitlement's last day has passed: the reason the program no longer grants it (the
    day in ``value``, the key date that ended it in ``expected``)."""
    last = v.plan.last_day(v.dates)
    assert last is not None
    return Check(None, Result.not_met, "ended", None, value=last[1], expected=last[0])


def _conditions(v: Verdict) -> list[Check]:
    out = []
    a, b = v.plan.span
    for i, (cond, outcome) in enumerate(zip(v.plan.conds, v.outcomes[a:b], strict=True)):
        result = RESULT[outcome]
        if cond.leaf is None:
            value = v.facts.get(cond.fact)
            out.append(Check(None, result, "missing" if value is None else "window", cond.fact, value=value))
        elif cond.confirm is not None:
            why = "unconfirmed" if outcome == UNCONFIRMED else "confirmed"
            out.append(Check(cond.leaf, result, why, cond.fact, cond.group))
        elif outcome == NOT_IN_FORCE:
            out.append(Check(cond.leaf, result, WHY[outcome], cond.fact, cond.group, v.ref, cond.first_start))
        elif outcome in (MET_ANYWAY, NOT_MET_ANYWAY):
            regardless = tuple(missing_inputs(cond.fact, v.facts))
            out.append(Check(cond.leaf, result, "anyway", cond.fact, cond.group, regardless=regardless))
        else:
            value, expected = v.facts.get(cond.fact), cond.at(v.ref)[1]
            since = until = None
            if outcome in (MET, NOT_MET) and i in v.plan.flip_inputs:  # it moves with time
                subject = v.rule.subject
                since = timeline.flip(v.plan, i, v.facts, subject, forward=False)
                until = timeline.flip(v.plan, i, v.facts, subject, forward=True)
            out.append(
                Check(cond.leaf, result, WHY[outcome], cond.fact, cond.group, value, expected, since, until)
            )
    return out


class Judge:
    """Every program of one subject, judging a case in one pass over all their conditions.

    Most conditions compare a fact with a fixed value: their outcomes for all programs come from one
    comprehension; dated and confirmed ones are then worked out one by one, and each program reads
    what its own slice of them means (``Plan.outcome``).
    """

    def __init__(self, rules: list[Rule]):
        self.plans = [Plan(rule) for rule in rules]
        self.subject = rules[0].subject if rules else "person"
        self._flat: list[tuple[str, str | None]] = []  # (fact, durable rule name) of every condition
        self._special: list[tuple[int, int, Cond]] = []  # (flat index, plan index, condition)
        for p, plan in enumerate(self.plans):
            start = len(self._flat)
            for cond in plan.conds:
                if cond.fixed is None:
                    self._special.append((len(self._flat), p, cond))
                self._flat.append((cond.fact, cond.fixed[0] if cond.fixed else None))
            plan.span = (start, len(self._flat))
        # Parameters are read on the date the policy names (``Rule.reference_fact``), else as-of.
        self._ref_facts = [(p, plan.ref_fact) for p, plan in enumerate(self.plans) if plan.ref_fact]
        # Unknown derived conditions that may be decided whatever the answer (``_resolve``): (index
        # among all conditions, plan index, condition, each unknown input's answers, what to rederive)
        self.resolvable = [
            (plan.span[0] + j, p, plan.conds[j], options, _reads(self.subject, plan, plan.conds[j]))
            for p, plan in enumerate(self.plans)
            for j, options in plan.answers.items()
        ]
        self._timed = [p for p, plan in enumerate(self.plans) if plan.timed]
        self._ending = [p for p, plan in enumerate(self.plans) if plan.ends]

    def judge(
        self, facts: dict[str, Any], confirmations: dict[str, bool], matched: Matches, lang: str = "zh"
    ) -> list[Verdict]:
        """The one judgement of a case by every program of its subject, in rule-book order;
        ``matched`` as the matcher gave it for this case's facts."""
        get = facts.get
        as_of = facts["case.as_of"]
        refs = [as_of] * len(self.plans)
        for p, fact in self._ref_facts:
            if (day := get(fact)) is not None:
                refs[p] = day
        key = self._outcomes(facts, confirmations, matched, refs)
        if self.resolvable:
            key = self._resolve(key, facts, refs)
        verdicts = []
        for plan, ref in zip(self.plans, refs, strict=True):
            outcome = plan.outcome(key[slice(*plan.span)])
            if outcome.status is Status.not_eligible:
                verdicts.append(Verdict(plan, outcome, (), key, facts, ref))
            else:
                verdicts.append(plan.verdict(outcome, key, facts, ref, lang))
        for p in self._timed:
            plan = self.plans[p]
            verdicts[p].changes = timeline.changes(plan, key[slice(*plan.span)], facts, self.subject)
        for p in self._ending:
            verdicts[p] = v = self.plans[p].expired(verdicts[p])
            v.changes = timeline.until_end(v)
        return verdicts

    def _resolve(self, key: tuple[int, ...], facts: dict[str, Any], refs: list[date]) -> tuple[int, ...]:
        """Conditions unknown for want of a fact whose every possible answer gives the same result
        (a woman decades from retirement: whatever her post) take that result; nothing is asked."""
        out: list[int] | None = None
        for i, p, cond, options, reads in self.resolvable:
            if key[i] != MISSING:
                continue
            missing = missing_inputs(cond.fact, facts)
            if not missing or any(m not in options for m in missing):
                continue
            plan, seen = self.plans[p], set()
            for answers in product(*(options[m] for m in missing)):
                on = rederive(facts, self.subject, reads, dict(zip(missing, answers, strict=True)))
                seen.add(cond.on(on, plan.reference(on)))
            found = {MET: MET_ANYWAY, NOT_MET: NOT_MET_ANYWAY}.get(seen.pop()) if len(seen) == 1 else None
            if found is not None:
                out = out or list(key)
                out[i] = found
        return key if out is None else tuple(out)

    def _outcomes(
        self, facts: dict[str, Any], confirmations: dict[str, bool], matched: Matches, refs: list[date]
    ) -> tuple[int, ...]:
        """Every condition's outcome, for all programs."""
        get = facts.get
        outcomes = [MISSING if get(f) is None else MET if n in matched else NOT_MET for f, n in self._flat]
        for i, p, cond in self._special:
            outcomes[i] = cond.outcome(facts, confirmations, matched, refs[p])
        return tuple(outcomes)


def _reads(subject: str, plan: Plan, cond: Cond) -> Reads:
    """The facts a condition's answers-that-agree check works out again: its fact's derivation, and
    the date the program reads its parameters on."""
    facts = (cond.fact, plan.ref_fact) if plan.ref_fact else (cond.fact,)
    return reading(subject, facts, timed=False)
