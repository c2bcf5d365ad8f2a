"""What the engine says beyond the evaluation date is what it would say on that date.

A decision's timeline, the conditions it decides without asking, and the Python reading of each
condition (``Cond.on``) are checked against the engine itself: evaluating the same case on the
day a change is announced, and on the day before, and evaluating the case with each possible
answer filled in.
"""

from __future__ import annotations

import copy
import random
from datetime import date, timedelta
from itertools import product
from typing import Any

import pytest

from engine import timeline
from engine.codes import MET_ANYWAY, MISSING, NOT_MET_ANYWAY
from engine.decision import Status
from engine.evaluate import Engine
from engine.facts import FACTS, case_facts
from engine.judge import checks
from engine.matcher import constants
from engine.models import parse_case
from engine.rulebook import load_rulebook
from tests.test_batch_matcher import _pools, _set, _variants

AS_OF = date(2020, 9, 15)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rulebook())


def _cases(engine: Engine, seed: int, rounds: int) -> list[Any]:
    cuts = [c for values in constants(engine.matcher.ruleset).values() for c in values]
    days = {c + d for c in cuts for d in (-1, 0, 1)}
    pools = _pools([date.fromordinal(int(d)) for d in days if d > 700_000])
    rng = random.Random(seed)
    out = []
    for subject in ("person", "enterprise") * rounds:
        keys = sorted(
            k
            for k in engine.book.confirmation_keys()
            if engine.book.rules[k.split(".")[0]].subject == subject
        )
        out += _variants(rng, subject, pools, keys)
    return out


def test_each_announced_change_happens_on_its_day_and_not_the_day_before(engine):
    cases = _cases(engine, 20201031, 4)
    checked = 0
    for case in cases:
        for d in engine.evaluate(case, AS_OF).decisions:
            if not d.timeline:
                continue
            before = d.status
            for change in d.timeline.changes:
                on = {x.program: x.status for x in engine.evaluate(case, change.date).decisions}
                eve = {
                    x.program: x.status
                    for x in engine.evaluate(case, change.date - timedelta(days=1)).decisions
                }
                assert on[d.program] == change.status, (case, d.program, change)
                assert eve[d.program] == before, (case, d.program, change)
                before = change.status
                checked += 1
    assert checked > 50  # the generator reaches programs that change with time


def test_no_change_is_missed_in_the_years_ahead(engine):
    """Sampled days between the announced changes give the status last announced."""
    rng = random.Random(7)
    for case in _cases(engine, 55, 2):
        decisions = engine.evaluate(case, AS_OF).decisions
        for offset in rng.sample(range(1, 365 * 40), 6):
            day = AS_OF + timedelta(days=offset)
            later = {x.program: x.status for x in engine.evaluate(case, day).decisions}
            for d in decisions:
                expected = d.status
                for change in d.timeline.changes if d.timeline else []:
                    if change.date <= day:
                        expected = change.status
                assert later[d.program] == expected, (case, d.program, day)


def test_a_change_day_worked_out_is_the_day_bisection_finds(engine, monkeypatch):
    """``timeline.flip`` works out the day a count reaches its threshold (``reach_days``) and checks it;
    bisection over days, the search it replaces, finds the same day forward and backward, from today
    and from each later start of a parameter, for every moving condition of the generated cases."""
    searched = 0
    bisect = timeline._bisect

    def counted(*args: Any) -> date:
        nonlocal searched
        searched += 1
        return bisect(*args)

    monkeypatch.setattr(timeline, "_bisect", counted)
    compared = 0
    for case in _cases(engine, 4242, 3):
        facts = case_facts(case, AS_OF, engine.settings)
        for plan in engine.judge_of(case.kind).plans:
            blind = copy.copy(plan)
            blind.motions = {}  # no formula: the day is searched for
            for i in plan.motions:
                starts = [None] + [s for s, _, _, _ in plan.conds[i].periods if s and s > AS_OF]
                for forward, start in product((True, False), starts):
                    worked_out = timeline.flip(plan, i, facts, case.kind, forward, start)
                    before = searched
                    assert worked_out == timeline.flip(blind, i, facts, case.kind, forward, start), (
                        case,
                        plan.rule.id,
                        i,
                        forward,
                    )
                    searched = before  # only the worked-out days' searches count
                    compared += worked_out is not None
    assert compared > 200
    assert searched == 0  # every change day was worked out, none searched for


def test_a_condition_decided_without_asking_is_decided_by_every_answer(engine):
    """MET_ANYWAY / NOT_MET_ANYWAY: filling in each possible answer gives that very result."""
    judge = engine.judge_of("person")
    found = 0
    for birth in ("1961-03-10", "1970-09-01", "1970-12-15", "2004-01-10", "1990-05-01"):
        data = {"kind": "person", "person": {"birth_date": birth, "sex": "female", "employed": False}}
        data["person"]["ui_benefit_end_date"] = "2020-08-31"
        [verdicts] = engine.judge_many([parse_case(data)], AS_OF)
        key = verdicts[0].outcomes
        for i, p, cond, options, _ in judge.resolvable:
            if key[i] not in (MET_ANYWAY, NOT_MET_ANYWAY):
                continue
            found += 1
            for post in options.get("person.female_post", ()):
                answered = parse_case(_set(data, "person.female_post", post))
                [filled] = engine.judge_many([answered], AS_OF)
                expected = {MET_ANYWAY: "met", NOT_MET_ANYWAY: "not_met"}[key[i]]
                a = judge.plans[p].span[0]
                check = checks(filled[p])[i - a]
                assert check.result.value == expected, (birth, cond.leaf, post)
    assert found >= 3


def test_python_reading_of_each_condition_equals_durable_rules(engine):
    """``Cond.on`` (used for other days and other answers) agrees with the durable-rules match on
    the evaluation date, for every condition of random cases around every constant."""
    compared = 0
    for case in _cases(engine, 1999, 3):
        facts, _ = engine._prepare(case, AS_OF)
        [verdicts] = engine.judge_many([case], AS_OF)
        judge = engine._judges[case.kind]
        for p, plan in enumerate(judge.plans):
            a = plan.span[0]
            ref = verdicts[p].ref
            for j, cond in enumerate(plan.conds):
                if cond.confirm is not None:
                    continue
                durable = verdicts[p].outcomes[a + j]
                if durable in (MET_ANYWAY, NOT_MET_ANYWAY):
                    durable = MISSING  # decided afterwards, from the unknown inputs' answers
                assert cond.on(facts, ref) == durable, (case, plan.rule.id, cond.leaf)
                compared += 1
    assert compared > 1000


def test_no_decision_needs_information_without_a_question(engine):
    for case in _cases(engine, 4, 4):
        for d in engine.evaluate(case, AS_OF).decisions:
            if d.status == Status.needs_information:
                assert d.missing, (case, d.program, [c.reason for c in d.conditions])


def test_no_reason_counts_negative_days(engine):
    """Reasons and their details are worded by dates (将于…期满), never as a negative count of days."""
    for case in _cases(engine, 11, 3):
        for d in engine.evaluate(case, AS_OF).decisions:
            for c in d.conditions:
                spec = FACTS.get(c.fact or "")
                if spec and spec.unit == "天":
                    assert "为-" not in c.reason + (c.detail or ""), (d.program, c.reason, c.detail)


def test_no_reason_or_timeline_shows_a_missing_value(engine):
    """Every reason and every timeline is worded from values the case has ("None" is a bug)."""
    for case in _cases(engine, 12, 3):
        for as_of, lang in product((date(2020, 3, 1), AS_OF), ("zh", "en")):  # before and after 2020-03-04
            for d in engine.evaluate(case, as_of, lang).decisions:
                texts = [t for c in d.conditions for t in (c.reason, c.detail or "")] + [d.summary]
                texts += [d.timeline.text] if d.timeline else []
                assert not any("None" in t for t in texts), (d.program, texts)
