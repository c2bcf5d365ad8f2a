"""A program's judgement of one case, as plain data: status, each condition, what to ask.

The published ``Decision`` (pydantic, worded in one language) and the batch writer both read this
one judgement, so they cannot disagree; building pydantic models per condition stays on the path
that publishes them (it is what made batch evaluation slow).

Conditions are judged in three-valued logic (met / not met / unknown): ``all`` fails if any child
fails, ``any`` holds if any child holds, otherwise an unknown child leaves the program needing
information. A leaf is met when durable-rules matched it (``matched`` holds the rule names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine import calendar
from engine.decision import Result, Status
from engine.facts import FACTS, missing_inputs
from engine.matcher import leaf_rule_names, window_id
from engine.rulebook import Bracket, Group, KeyDate, Leaf, ParamRef, Rule
from engine.text import LOCAL_STANDARD, T

Asks = dict[str, None]  # an ordered set of the facts that could still change a result


@dataclass(frozen=True, slots=True)
class Check:
    """One condition's result; ``why`` names its reason, worded only when a decision is published."""

    leaf: Leaf | None  # None for the program's window
    result: Result
    why: str  # window | compare | missing | param_unset | unconfirmed | confirmed
    fact: str | None
    group: Group | None = None  # the nearest enclosing group that has a text
    value: Any = None
    expected: Any = None

    @property
    def id(self) -> str:
        return "window" if self.leaf is None else self.leaf.id


@dataclass(frozen=True, slots=True)
class Money:
    value: Decimal | None
    text: str
    local_standard: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """Everything a decision says that depends on the case; grant and dates only if not refused."""

    rule: Rule
    status: Status
    checks: list[Check]
    missing: list[str]  # input facts, or ``confirm.<key>``, to ask for; only when information is needed
    amount: Money | None = None
    period_months: int | None = None
    period_text: str | None = None
    dates: tuple[tuple[KeyDate, date | None], ...] = ()

    @property
    def granted(self) -> bool:
        return self.status is not Status.not_eligible

    @property
    def failed(self) -> list[str]:
        return [c.id for c in self.checks if c.result is Result.not_met]


def ref_date(rule: Rule, facts: dict[str, Any]) -> date:
    """Parameters are read on the date the policy names (``dated_by`` or the window's), else as-of."""
    name = rule.reference_fact
    if name and facts.get(name) is not None:
        return facts[name]
    return facts["case.as_of"]


def judge(
    rule: Rule, facts: dict[str, Any], confirmations: dict[str, bool], matched: set[str], lang: str = "zh"
) -> Verdict:
    """The one judgement of ``rule`` for a case's facts and durable-rules matches."""
    walk = _Walk(rule, facts, confirmations, matched)
    judged = [walk.window()] if rule.window else []
    judged.append(walk.node(rule.conditions, None))
    results = [result for result, _ in judged]
    if Result.not_met in results:
        return Verdict(rule, Status.not_eligible, walk.checks, [])
    if Result.unknown in results:
        status = Status.needs_information
        missing = list(dict.fromkeys(name for _, asks in judged for name in asks))
    else:
        status, missing = Status.eligible, []
    ref = walk.ref
    months = _period_months(rule, facts, ref)
    return Verdict(
        rule,
        status,
        walk.checks,
        missing,
        amount=_amount(rule, facts, ref, lang),
        period_months=months,
        period_text=_period_text(rule, facts, months, lang),
        dates=_dates(rule, facts, ref),
    )


class _Walk:
    """Walks one program's condition tree for one case, recording each condition's Check."""

    __slots__ = ("checks", "confirmations", "facts", "matched", "ref", "rule")

    def __init__(self, rule: Rule, facts: dict[str, Any], confirmations: dict[str, bool], matched: set[str]):
        self.rule, self.facts, self.confirmations, self.matched = rule, facts, confirmations, matched
        self.ref = ref_date(rule, facts)
        self.checks: list[Check] = []

    def node(self, node: Leaf | Group, group: Group | None) -> tuple[Result, Asks]:
        """A node's result, and the questions that could still change it (none once decided)."""
        if isinstance(node, Leaf):
            return self.leaf(node, group)
        if node.text:
            group = node
        judged = [self.node(child, group) for child in node.children]
        results = [result for result, _ in judged]
        decisive, other = (Result.not_met, Result.met) if node.mode == "all" else (Result.met, Result.not_met)
        if decisive in results:
            return decisive, {}
        if Result.unknown not in results:
            return other, {}
        return Result.unknown, {k: None for _, asks in judged for k in asks}

    def window(self) -> tuple[Result, Asks]:
        w = self.rule.window
        assert w is not None
        value = self.facts.get(w.judged_on)
        asks: Asks = {}
        if value is None:
            result, why = Result.unknown, "missing"
            asks = self._ask(w.judged_on)
        else:
            result = Result.met if window_id(self.rule) in self.matched else Result.not_met
            why = "window"
        self.checks.append(Check(None, result, why, w.judged_on, value=value))
        return result, asks

    def leaf(self, leaf: Leaf, group: Group | None) -> tuple[Result, Asks]:
        if leaf.confirm is not None:
            k = self.rule.confirmation_key(leaf)
            fact = f"confirm.{k}"
            if self.confirmations.get(k) is None:
                self.checks.append(Check(leaf, Result.unknown, "unconfirmed", fact, group))
                return Result.unknown, {fact: None}
            result = Result.met if f"{self.rule.id}/{leaf.id}" in self.matched else Result.not_met
            self.checks.append(Check(leaf, result, "confirmed", fact, group))
            return result, {}
        assert leaf.fact is not None
        value = self.facts.get(leaf.fact)
        expected = self._expected(leaf)
        asks: Asks = {}
        if expected is None:
            result, why = Result.unknown, "param_unset"
        elif value is None:
            result, why = Result.unknown, "missing"
            asks = self._ask(leaf.fact)
        else:
            names = [
                n
                for n, start, end in leaf_rule_names(self.rule, leaf)
                if start is None or (start <= self.ref and (end is None or self.ref < end))
            ]
            result = Result.met if names and names[0] in self.matched else Result.not_met
            why = "compare"
        self.checks.append(Check(leaf, result, why, leaf.fact, group, value, expected))
        return result, asks

    def _expected(self, leaf: Leaf) -> Any:
        if isinstance(leaf.value, ParamRef):
            return self.rule.parameters[leaf.value.param].at(self.ref)
        return leaf.value

    def _ask(self, fact: str) -> Asks:
        return dict.fromkeys(missing_inputs(fact, self.facts))


def _period_months(rule: Rule, facts: dict[str, Any], ref: date) -> int | None:
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
    return Money(None, LOCAL_STANDARD[lang], True)


def _dates(rule: Rule, facts: dict[str, Any], ref: date) -> tuple[tuple[KeyDate, date | None], ...]:
    out = []
    for d in rule.outcome.dates:
        start = facts.get(d.fact)
        if d.add_months is None:
            months: int | None = 0
        elif d.add_months == "period":
            months = _period_months(rule, facts, ref)
        elif isinstance(d.add_months, ParamRef):
            raw = rule.parameters[d.add_months.param].at(ref)
            months = None if raw is None else int(raw)  # type: ignore[arg-type]
        else:
            months = d.add_months
        day = None
        if start is not None and months is not None:
            day = calendar.add_months(start, months) - timedelta(days=d.minus_days)
        out.append((d, day))
    return tuple(out)
