"""A rule compiled for judging: its conditions, what their outcomes mean, and a verdict's data.

Each rule is compiled once into a ``Plan``. Per case, a plan only reads each condition's outcome
(matched, not matched, fact missing, threshold unset, not confirmed); how those outcomes combine
through the ``all``/``any`` tree depends on nothing else (``Plan.outcome``), so the columnar batch
evaluator (engine/columnar/) asks it once per distinct combination in a registry.

Conditions are judged in three-valued logic (met / not met / unknown): ``all`` fails if any child
fails, ``any`` holds if any child holds, otherwise an unknown child leaves the program needing
information. A leaf is met when durable-rules matched it (``matched`` holds the rule names).

What a verdict reads of a case beyond its conditions' outcomes is declared once, in
``Plan.reads`` (``VerdictReads``): ``Plan.verdict`` is given only those facts, and the columnar
evaluator groups its rows by them, so a fact read by one and not the other cannot slip in.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine import calendar
from engine.codes import FAILS, MET, MISSING, NOT_IN_FORCE, NOT_MET, RESULT, UNCONFIRMED, UNSET
from engine.decision import Phase, Result, Status
from engine.facts import FACTS, depends_on, derivation, derivation_step, missing_inputs
from engine.matcher import Matches, leaf_rule_names, window_id
from engine.rulebook import Bracket, Group, KeyDate, Leaf, ParamRef, Rule
from engine.text import LOCAL_STANDARD, T

Changes = tuple[tuple[date, Status], ...]  # each later day the status changes, and the status from then


# The comparisons a rule file may write, as Python reads them; durable-rules reads the same ones on
# the evaluation date, and tests/test_foresight.py checks that the two agree.
HOLDS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "in": lambda value, expected: value in expected,
}


@dataclass(frozen=True, slots=True)
class Check:
    """One condition's result; ``why`` names its reason, worded only when a decision is published."""

    leaf: Leaf | None  # None for the program's window
    result: Result
    why: str  # window | compare | missing | param_unset | unconfirmed | confirmed | not_in_force | anyway
    fact: str | None
    group: Group | None = None  # the nearest enclosing group that has a text
    value: Any = None
    expected: Any = None
    since: date | None = None  # a condition that moves with time: the day it took its present result
    until: date | None = None  # … and the day it will take the other one
    regardless: tuple[str, ...] = ()  # ``anyway``: the unknown facts whose every answer gives this result

    @property
    def id(self) -> str:
        return "window" if self.leaf is None else self.leaf.id


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one combination of condition outcomes means for a program."""

    program: str  # the rule's id
    status: Status
    failed: tuple[str, ...]  # ids of the failed conditions that decide a refusal (else empty)
    fixed: tuple[str, ...] | None  # the questions, when the same for every case (else None)
    asks: tuple[tuple[str, bool], ...]  # (fact, derived?) to ask about
    reads: tuple[str, ...] = ()  # when not fixed: the facts whose being unknown decides the questions


@dataclass(frozen=True, slots=True)
class Money:
    """An amount as the decision states it: the figure when a source fixes one, and its words."""

    value: Decimal | None
    text: str
    local_standard: bool


@dataclass(frozen=True, slots=True)
class Cond:
    """A compiled condition: the fact it reads and, per dated period, its durable rule and value."""

    leaf: Leaf | None  # None for the window
    fact: str  # the fact compared, or ``confirm.<key>``
    confirm: str | None  # the confirmation key, for a condition the caseworker confirms
    group: Group | None
    periods: tuple[tuple[date | None, date | None, str, Any], ...]  # (start, end, rule name, expected)
    fixed: tuple[str, Any] | None = None  # (rule name, expected) when the fact alone decides
    derived: bool = False  # a derived fact: which inputs are missing must be worked out
    bounds: tuple[date | None, date] | None = None  # the window's first and last day

    def outcome(
        self, facts: dict[str, Any], confirmations: dict[str, bool], matched: Matches, ref: date
    ) -> int:
        """The outcome durable-rules' matches give on the evaluation date."""
        if self.confirm is not None:
            if confirmations.get(self.confirm) is None:
                return UNCONFIRMED
            return MET if self.periods[0][2] in matched else NOT_MET
        name, expected = self.at(ref)
        if name is None:
            return NOT_IN_FORCE
        if expected is None:
            return UNSET
        if facts.get(self.fact) is None:
            return MISSING
        return MET if name in matched else NOT_MET

    def on(self, facts: dict[str, Any], ref: date) -> int:
        """The outcome for facts durable-rules was not asked about: another day, another answer."""
        value = facts.get(self.fact)
        if self.bounds is not None:
            start, end = self.bounds
            if value is None:
                return MISSING
            return MET if (start is None or start <= value) and value <= end else NOT_MET
        name, expected = self.at(ref)
        if name is None:
            return NOT_IN_FORCE
        if expected is None:
            return UNSET
        if value is None:
            return MISSING
        assert self.leaf is not None
        return MET if HOLDS[self.leaf.op](value, expected) else NOT_MET

    @property
    def first_start(self) -> date | None:
        return self.periods[0][0]

    def at(self, ref: date) -> tuple[str | None, Any]:
        """The durable rule name and the expected value in force on ``ref``."""
        for start, end, name, expected in self.periods:
            if start is None or (start <= ref and (end is None or ref < end)):
                return name, expected
        return None, None


@dataclass(frozen=True, slots=True)
class Grant:
    """Amount, period and the period's words, as in force for a case (None when not fixed)."""

    amount: Money | None
    period_months: int | None
    period_text: str | None


NO_GRANT = Grant(None, None, None)


@dataclass(frozen=True, slots=True)
class Dates:
    """A program's key dates for a case."""

    days: tuple[tuple[KeyDate, date | None], ...]


NO_DATES = Dates(())


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ is several times slower
class Verdict:
    """Everything a decision says that depends on the case; grant and dates only if not refused."""

    plan: Plan
    outcome: Outcome
    missing: tuple[str, ...]  # input facts, or ``confirm.<key>``, to ask for; only when information is needed
    outcomes: tuple[int, ...]  # every condition's outcome, for all programs of the subject
    facts: dict[str, Any]
    ref: date
    grant: Grant = NO_GRANT
    dates: Dates = NO_DATES
    changes: Changes = ()  # each later day the status changes, other facts staying as they are

    @property
    def rule(self) -> Rule:
        return self.plan.rule

    @property
    def status(self) -> Status:
        return self.outcome.status

    @property
    def failed(self) -> tuple[str, ...]:
        return self.outcome.failed

    @property
    def amount(self) -> Money | None:
        return self.grant.amount

    @property
    def period_months(self) -> int | None:
        return self.grant.period_months

    @property
    def period_text(self) -> str | None:
        return self.grant.period_text

    @property
    def phase(self) -> Phase:
        """The status as people read it: a refusal that the timeline turns into eligibility on a
        later day is "not yet"; an entitlement whose last day has passed has "ended"."""
        if self.outcome is self.plan.ended:
            return Phase.ended
        if self.status is Status.not_eligible and any(new is Status.eligible for _, new in self.changes):
            return Phase.not_yet
        return Phase(self.status.value)

    @property
    def granted(self) -> bool:
        return self.status is not Status.not_eligible


# How a condition's fact moves with the evaluation date, where a formula gives the day it reaches a
# value (engine/timeline.py ``reach_days``): the fact is the date itself, or full years, months or
# days counted from another fact to the date, or days left from the date to another fact.
MOVES: dict[Any, str] = {
    calendar.age_on: "years",
    calendar.full_years: "years",
    calendar.full_months: "months",
    calendar.full_days: "days",
}


@dataclass(frozen=True, slots=True)
class Motion:
    """A timed condition's fact as a count between the evaluation date and one other fact."""

    kind: str  # "date" (the fact is the evaluation date), "years", "months", "days", "days_left"
    other: str | None = None  # the fact counted from (or, for days_left, to)


def motion(subject: str, cond: Cond) -> Motion | None:
    """How ``cond``'s fact moves with the evaluation date, or None where no formula says when it
    reaches a value (the timeline then searches for the day)."""
    if cond.fact == "case.as_of":
        return Motion("date")
    step = derivation_step(subject, cond.fact)
    if step is None or len(step[2]) != 2 or "case.as_of" not in step[2] or step[1] not in MOVES:
        return None
    first, second = step[2]
    kind = MOVES[step[1]]
    if second == "case.as_of":
        return Motion(kind, first)
    return Motion("days_left", second) if kind == "days" else None


@dataclass(frozen=True, slots=True)
class VerdictReads:
    """What a program's verdict reads of a case besides its conditions' outcomes and the questions'
    facts (``Outcome.reads``), declared once: ``Plan.verdict`` is given only these facts, and the
    columnar evaluator (engine/columnar/judge.py) groups its rows by exactly these."""

    grant: tuple[str, ...]  # the facts the amount and the period are read at
    dates: tuple[str, ...]  # the facts the key dates count from
    starts: tuple[date, ...]  # days from which a parameter of the grant or of a key date changes
    local: bool  # an amount a district's local standard may fix: read at the district, on the day
    facts: tuple[str, ...] = field(init=False)  # every fact a verdict is given

    def __post_init__(self) -> None:
        district = ("district.name", "district.settings") if self.local else ()
        object.__setattr__(self, "facts", (*self.grant, *self.dates, *district))

    def given(self, facts: dict[str, Any]) -> dict[str, Any]:
        """Of a case's facts, those a verdict reads (``facts``)."""
        return {name: facts.get(name) for name in self.facts}


MEANINGS = 4096  # combinations of condition outcomes a plan keeps the meaning of


class Plan:
    """One rule compiled for judging many cases; safe to share between threads."""

    def __init__(self, rule: Rule):
        self.rule = rule
        self.ref_fact = rule.reference_fact
        self.conds: list[Cond] = []
        if rule.window:
            name = window_id(rule)
            self.conds.append(
                Cond(
                    None,
                    rule.window.judged_on,
                    None,
                    None,
                    ((None, None, name, True),),
                    (name, True),
                    bounds=(rule.window.start, rule.window.end),
                )
            )
        self._compile(rule.conditions, None)
        self.conds = [
            c if c.confirm else replace(c, derived=bool(FACTS[c.fact].derived_from)) for c in self.conds
        ]
        self.span = (0, len(self.conds))  # where its conditions sit among all of the subject's (Judge)
        # Conditions that move with the evaluation date (engine/timeline.py): a fact derived from
        # it, a window judged on it, or a dated parameter read on it.
        self.reads_as_of = self.ref_fact in (None, "case.as_of")
        self.timed = tuple(
            (i, c)
            for i, c in enumerate(self.conds)
            if c.confirm is None
            and (
                c.fact == "case.as_of"
                or "case.as_of" in depends_on(c.fact)
                or (self.reads_as_of and c.first_start is not None)
            )
        )
        self.flip_inputs = {i: self._flip_inputs(c) for i, c in self.timed}
        self.motions = {i: found for i, c in self.timed if (found := motion(rule.subject, c)) is not None}
        # The answers each unknown input of a condition could take, where they are few (``_answers``):
        # a condition every answer decides alike is decided without asking, today and on later days.
        self.answers = {j: options for j, c in enumerate(self.conds) if (options := _answers(self, c))}
        o = rule.outcome
        params = [o.amount.param or o.amount.rate or ""] if o.amount else []
        params += [o.period.param] if o.period else []
        params += [d.add_months.param for d in o.dates if isinstance(d.add_months, ParamRef)]
        self.reads = VerdictReads(
            grant=tuple(f for f in (o.amount and o.amount.of, o.period and o.period.by) if f),
            dates=tuple(dict.fromkeys(d.fact for d in o.dates)),
            starts=tuple(sorted({start for p in params for start in rule.parameters[p].values})),
            local=bool(o.amount and o.amount.param),
        )
        # The key dates on which the entitlement ends, if it does: after the earliest known one the
        # program grants nothing.
        self.ends = tuple(i for i, d in enumerate(o.dates) if d.ends)
        self.ended = Outcome(rule.id, Status.not_eligible, ("entitlement_ended",), (), ())
        self._meanings: dict[tuple[int, ...], Outcome] = {}

    def _compile(self, node: Leaf | Group, group: Group | None) -> None:
        if isinstance(node, Group):
            for child in node.children:
                self._compile(child, node if node.text else group)
            return
        rule = self.rule
        if node.confirm is not None:
            key = rule.confirmation_key(node)
            name = f"{rule.id}/{node.id}"
            self.conds.append(Cond(node, f"confirm.{key}", key, group, ((None, None, name, True),)))
            return
        assert node.fact is not None
        if isinstance(node.value, ParamRef):
            values = rule.parameters[node.value.param].values
            periods = tuple((s, e, name, values[s]) for name, s, e in leaf_rule_names(rule, node))  # type: ignore[index]
            self.conds.append(Cond(node, node.fact, None, group, periods))
        else:
            name = f"{rule.id}/{node.id}"
            self.conds.append(
                Cond(node, node.fact, None, group, ((None, None, name, node.value),), (name, node.value))
            )

    def outcome(self, outcomes: tuple[int, ...]) -> Outcome:
        """What this program's conditions' outcomes (its own slice) mean: status, the failed
        conditions that decide it, and the facts to ask for (fixed when no derived fact is among
        them, else worked out per case). A function of the outcomes alone, and a program's cases
        repeat a few hundred combinations: each is worked out once (up to ``MEANINGS`` kept)."""
        found = self._meanings.get(outcomes)
        if found is None:
            if len(self._meanings) >= MEANINGS:
                self._meanings.clear()
            found = self._meanings[outcomes] = self._meaning(outcomes)
        return found

    def _meaning(self, outcomes: tuple[int, ...]) -> Outcome:
        index = iter(range(len(outcomes)))
        judged = []
        if self.rule.window:
            judged.append(_leaf(next(index), outcomes))
        judged.append(_tree(self.rule.conditions, index, outcomes))
        tops = [result for result, _, _ in judged]
        if Result.not_met in tops:
            status, asking = Status.not_eligible, ()
        elif Result.unknown in tops:
            status, asking = Status.needs_information, tuple(i for _, asks, _ in judged for i in asks)
        else:
            status, asking = Status.eligible, ()
        conds = self.conds
        asks = tuple((conds[i].fact, conds[i].derived) for i in asking)
        fixed = None if any(derived for _, derived in asks) else tuple(dict.fromkeys(f for f, _ in asks))
        reads = tuple(dict.fromkeys(n for f, derived in asks if derived for n in derivation(f)))
        failed = tuple(
            "window" if conds[i].leaf is None else conds[i].leaf.id for _, _, f in judged for i in f
        )  # type: ignore[union-attr]
        return Outcome(self.rule.id, status, failed, fixed, asks, reads)

    def verdict(
        self, combined: Outcome, outcomes: tuple[int, ...], facts: dict[str, Any], ref: date, lang: str
    ) -> Verdict:
        """The verdict of a program that does not refuse the case: what to ask, grant, key dates."""
        missing = combined.fixed
        if missing is None:  # a derived fact to ask about: which of its inputs are missing
            found: list[str] = []
            for fact, derived in combined.asks:
                found += _first_questions(missing_inputs(fact, facts)) if derived else [fact]
            missing = tuple(dict.fromkeys(found))
        v = Verdict(self, combined, missing, outcomes, facts, ref)
        rule, given = self.rule, self.reads.given(facts)  # the grant and key dates read these only
        if rule.outcome.amount or rule.outcome.period:
            months = period_months(rule, given, ref)
            v.grant = Grant(_amount(rule, given, ref, lang), months, _period_text(rule, given, months, lang))
        if self.reads.dates:
            v.dates = Dates(_dates(rule, given, ref, v.grant.period_months))
        return v

    def end_of(self, v: Verdict) -> tuple[KeyDate, date] | None:
        """The entitlement's last day for a verdict, worked out also for one refused today (its
        timeline may grant it on a later day, and the grant must end then too)."""
        if v.dates.days or not self.ends:
            return self.last_day(v.dates)
        given = self.reads.given(v.facts)
        months = period_months(self.rule, given, v.ref)
        return self.last_day(Dates(_dates(self.rule, given, v.ref, months)))

    def reference(self, facts: dict[str, Any]) -> date:
        """The day the program's dated parameters are read on: its reference fact's, else the
        evaluation date."""
        if self.ref_fact is not None and (day := facts.get(self.ref_fact)) is not None:
            return day
        return facts["case.as_of"]

    def _flip_inputs(self, cond: Cond) -> tuple[str, ...]:
        """The input facts (besides the evaluation date) that decide when ``cond`` changes
        (engine/timeline.py): what its fact is derived from, and the parameters' reference fact."""
        names = [n for n in derivation(cond.fact) if not FACTS[n].derived_from and n != "case.as_of"]
        if self.ref_fact is not None and self.ref_fact not in names:
            names.append(self.ref_fact)
        return tuple(names)

    def last_day(self, dates: Dates) -> tuple[KeyDate, date] | None:
        """The entitlement's last day: the earliest known of its ending key dates (None if none is known)."""
        known = [dates.days[i] for i in self.ends if dates.days and dates.days[i][1] is not None]
        return min(known, key=lambda kd: kd[1]) if known else None  # type: ignore[return-value]

    def expired(self, v: Verdict) -> Verdict:
        """An entitlement not refused whose last day has passed is refused, nothing asked; its dates
        stay. It ends whatever is still unknown: a stated end date needs no other answer."""
        if v.status is Status.not_eligible:
            return v
        last = self.last_day(v.dates)
        if last is None or last[1] >= v.facts["case.as_of"]:
            return v
        return Verdict(self, self.ended, (), v.outcomes, v.facts, v.ref, dates=v.dates, changes=v.changes)


Judged = tuple[Result, tuple[int, ...], tuple[int, ...]]  # result, conditions to ask, conditions failed


def _leaf(i: int, outcomes: tuple[int, ...]) -> Judged:
    outcome = outcomes[i]
    result = RESULT[outcome]
    return result, (i,) if outcome in (MISSING, UNCONFIRMED) else (), (i,) if outcome in FAILS else ()


def _tree(node: Leaf | Group, index: Any, outcomes: tuple[int, ...]) -> Judged:
    """A node's result; the questions that could still change it; the failures that decide it."""
    if isinstance(node, Leaf):
        return _leaf(next(index), outcomes)
    judged = [_tree(child, index, outcomes) for child in node.children]
    found = [result for result, _, _ in judged]
    decisive, other = (Result.not_met, Result.met) if node.mode == "all" else (Result.met, Result.not_met)
    if decisive in found:
        fails = (
            tuple(i for r, _, f in judged if r is Result.not_met for i in f)
            if decisive is Result.not_met
            else ()
        )
        return decisive, (), fails
    if Result.unknown not in found:
        return other, (), tuple(i for _, _, f in judged for i in f) if other is Result.not_met else ()
    return Result.unknown, tuple(i for _, asks, _ in judged for i in asks), ()


def period_months(rule: Rule, facts: dict[str, Any], ref: date) -> int | None:
    period = rule.outcome.period
    if period is None:
        return None
    value = rule.parameters[period.param].at(ref)
    if isinstance(value, list):
        by = facts.get(period.by) if period.by else None
        value = None if by is None else _scale(value, by)
    return None if value is None else int(value)


def _scale(brackets: list[Bracket], x: float) -> float | None:
    """The value of the highest bracket whose threshold the fact reaches (以上 includes it)."""
    value = None
    for b in sorted(brackets, key=lambda b: b.threshold):
        if x >= b.threshold:
            value = b.value
    return value


def _period_text(rule: Rule, facts: dict[str, Any], months: int | None, lang: str) -> str | None:
    period = rule.outcome.period
    if period is None:
        return None
    if months is not None:
        return T("months", lang, n=months)
    if period.by and facts.get(period.by) is None:
        # A scale read at an unknown fact is pending that fact, not left to the local standard.
        return T("period_pending", lang, label=FACTS[period.by].label(lang))
    return LOCAL_STANDARD[lang]


def _amount(rule: Rule, facts: dict[str, Any], ref: date, lang: str) -> Money | None:
    a = rule.outcome.amount
    if a is None:
        return None
    per = a.per(lang) if a.per else None
    param = rule.parameters[a.param or a.rate or ""]
    value = param.at(ref)
    base = facts.get(a.of) if a.of else None
    of = FACTS[a.of].label(lang) if a.of else ""
    if value is not None and a.rate and base is not None:
        money = (Decimal(str(value)) * Decimal(base)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return Money(money, T("amount_rate", lang, rate=value, base=of, money=money), False)
    if value is not None and a.rate:
        return Money(None, T("amount_rate_pending", lang, rate=value, base=of), False)
    if value is not None:
        money = Decimal(str(value))
        return Money(money, f"{money} {param.unit}" + (f" / {per}" if per else ""), False)
    if a.param and (settings := facts.get("district.settings")) is not None:
        district = facts.get("district.name")
        standard = settings.standard(district, f"{rule.id}.{a.param}", ref)
        if standard is not None:
            text = T(
                "amount_local",
                lang,
                money=standard.value,
                unit=param.unit,
                per=f" / {per}" if per else "",
                district=district,
                document=standard.document,
                start=standard.from_,
            )
            return Money(standard.value, text, True)
    return Money(None, LOCAL_STANDARD[lang], True)


def _dates(
    rule: Rule, facts: dict[str, Any], ref: date, period: int | None
) -> tuple[tuple[KeyDate, date | None], ...]:
    out = []
    for d in rule.outcome.dates:
        start = facts.get(d.fact)
        if start is None:  # the usual case while information is still needed
            out.append((d, None))
            continue
        if d.add_months is None:
            months: int | None = 0
        elif d.add_months == "period":
            months = period
        elif isinstance(d.add_months, ParamRef):
            raw = rule.parameters[d.add_months.param].at(ref)
            months = None if raw is None else int(raw)  # type: ignore[arg-type]
        else:
            months = d.add_months
        day = None
        if months == 0 and d.minus_days == 0:
            day = start
        elif months is not None:
            day = calendar.add_months(start, months) - timedelta(days=d.minus_days)
        out.append((d, day))
    return tuple(out)


def _answers(plan: Plan, cond: Cond) -> dict[str, tuple[Any, ...]]:
    """The answers each unknown input of a derived condition could take, where they are few: yes or
    no, each option, and for the date a window is judged on its first and last day (the derived fact
    grows with that date, so an order comparison true on both is true between them)."""
    if cond.confirm is not None or cond.leaf is None or not cond.derived:
        return {}
    window = plan.rule.window
    out: dict[str, tuple[Any, ...]] = {}
    for name in depends_on(cond.fact):
        spec = FACTS[name]
        if spec.derived_from or name == "case.as_of":
            continue
        if spec.type == "bool":
            out[name] = (True, False)
        elif spec.type == "choice":
            out[name] = spec.choices
        elif window and window.start and name == window.judged_on and cond.leaf.op in ("<", "<=", ">", ">="):
            out[name] = (window.start, window.end)
    return out


def _first_questions(inputs: list[str]) -> list[str]:
    """Of the unknown inputs of a derived fact, those to ask first: a yes/no or an option (a woman's
    post) matters only once the dates beside it are known, so it waits for them."""
    dates = [name for name in inputs if FACTS[name].type not in ("bool", "choice")]
    return dates or inputs
