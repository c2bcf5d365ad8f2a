"""Evaluate a case against every program: durable-rules matches, this module explains.

For each program the condition tree is judged in three-valued logic (met / not met / unknown):
``all`` fails if any child fails, ``any`` holds if any child holds, otherwise an unknown child
leaves the program needing information. Leaf results come from the matcher's hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from engine import calendar
from engine.decision import (
    Amount,
    Citation,
    ConditionResult,
    Decision,
    Evaluation,
    Grant,
    KeyDate,
    MissingFact,
    Result,
    Status,
    WindowInfo,
)
from engine.facts import FACTS, ask, case_facts, missing_inputs
from engine.matcher import Matcher, encode, key, leaf_rule_names, ref_key, window_id
from engine.models import EnterpriseCase, PersonCase
from engine.rulebook import Bracket, Group, Leaf, ParamRef, Rule, RuleBook, load_rulebook
from engine.text import LOCAL_STANDARD, T, fmt_value, op_text

CaseModel = PersonCase | EnterpriseCase
Judged = tuple[Result, dict[str, "MissingFact"]]


class Engine:
    """A rule book compiled once, evaluating any number of cases (thread-safe)."""

    def __init__(self, book: RuleBook):
        self.book = book
        self.matcher = Matcher(book)
        self._confirmations = book.confirmation_keys()

    def evaluate(self, case: CaseModel, as_of: date, lang: str = "zh") -> Evaluation:
        return self.evaluate_many([case], as_of, lang)[0]

    def evaluate_many(self, cases: Sequence[CaseModel], as_of: date, lang: str = "zh") -> list[Evaluation]:
        prepared = [self._prepare(case, as_of) for case in cases]
        hits = self.matcher.match([durable_fact for _, durable_fact in prepared])
        return [
            self._explain(case, facts, matched, as_of, lang)
            for case, (facts, _), matched in zip(cases, prepared, hits, strict=True)
        ]

    def _prepare(self, case: CaseModel, as_of: date) -> tuple[dict[str, Any], dict[str, Any]]:
        unknown = set(case.confirmations) - self._confirmations
        if unknown:
            raise ValueError(f"未知的确认事项：{', '.join(sorted(unknown))}")
        facts = case_facts(case, as_of)
        durable = {key(n): encode(v) for n, v in facts.items() if v is not None}
        durable["subject"] = case.kind
        for name, value in case.confirmations.items():
            durable[key(f"confirm.{name}")] = value
        for rule in self.book.for_subject(case.kind):
            durable[ref_key(rule)] = _ref_date(rule, facts).toordinal()
        return facts, durable

    def _explain(
        self, case: CaseModel, facts: dict[str, Any], matched: set[str], as_of: date, lang: str
    ) -> Evaluation:
        decisions = [
            _decide(rule, facts, case.confirmations, matched, as_of, lang)
            for rule in self.book.for_subject(case.kind)
        ]
        return Evaluation(
            case_id=case.case_id,
            subject=case.kind,
            as_of=as_of,
            rules_version=self.book.version,
            lang="zh" if lang == "zh" else "en",
            decisions=decisions,
        )


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    return Engine(load_rulebook())


def evaluate(case: CaseModel, as_of: date | None = None, lang: str = "zh") -> Evaluation:
    """Evaluate one case with the shipped rules, on ``as_of`` (today by default)."""
    return default_engine().evaluate(case, as_of or date.today(), lang)


def _ref_date(rule: Rule, facts: dict[str, Any]) -> date:
    """Parameters are read on the date the policy names (``dated_by`` or the window's), else as-of."""
    name = rule.reference_fact
    if name and facts.get(name) is not None:
        return facts[name]
    return facts["case.as_of"]


class _Judge:
    """Judges one program's conditions for one case."""

    def __init__(
        self, rule: Rule, facts: dict[str, Any], confirmations: dict[str, bool], matched: set[str], lang: str
    ):
        self.rule, self.facts, self.confirmations = rule, facts, confirmations
        self.matched, self.lang = matched, lang
        self.ref = _ref_date(rule, facts)
        self.results: list[ConditionResult] = []

    def node(self, node: Leaf | Group, group: str | None = None) -> Judged:
        """A node's result, and the questions that could still change it (none once decided)."""
        if isinstance(node, Leaf):
            return self.leaf(node, group)
        if node.text:
            group = T("group_" + node.mode, self.lang, text=node.text(self.lang))
        judged = [self.node(child, group) for child in node.children]
        results = [result for result, _ in judged]
        decisive, other = (Result.not_met, Result.met) if node.mode == "all" else (Result.met, Result.not_met)
        if decisive in results:
            return decisive, {}
        if Result.unknown not in results:
            return other, {}
        return Result.unknown, {k: m for _, asks in judged for k, m in asks.items()}

    def window(self) -> Judged:
        w = self.rule.window
        assert w is not None
        value = self.facts.get(w.judged_on)
        label = FACTS[w.judged_on].label(self.lang)
        text = w.text(self.lang)
        asks: dict[str, MissingFact] = {}
        if value is None:
            result = Result.unknown
            reason = T("missing", self.lang, label=label)
            asks = self._ask(w.judged_on)
        else:
            result = Result.met if window_id(self.rule) in self.matched else Result.not_met
            reason = T(
                "window_" + result.value, self.lang, label=label, value=value, start=w.start or "—", end=w.end
            )
        self.results.append(
            ConditionResult(id="window", text=text, result=result, reason=reason, fact=w.judged_on)
        )
        return result, asks

    def leaf(self, leaf: Leaf, group: str | None) -> Judged:
        text = leaf.text(self.lang)
        asks: dict[str, MissingFact] = {}
        if leaf.confirm is not None:
            k = self.rule.confirmation_key(leaf)
            value = self.confirmations.get(k)
            if value is None:
                result, reason = Result.unknown, T("unconfirmed", self.lang)
                asks[k] = MissingFact(fact=f"confirm.{k}", label=text, question=leaf.confirm(self.lang))
            else:
                result = Result.met if f"{self.rule.id}/{leaf.id}" in self.matched else Result.not_met
                reason = T("confirmed_" + result.value, self.lang)
            self.results.append(
                ConditionResult(
                    id=leaf.id, text=text, result=result, reason=reason, fact=f"confirm.{k}", group=group
                )
            )
            return result, asks
        assert leaf.fact is not None
        spec = FACTS[leaf.fact]
        value = self.facts.get(leaf.fact)
        expected = self._expected(leaf)
        if expected is None:
            result, reason = Result.unknown, T("param_unset", self.lang)
        elif value is None:
            result, reason = Result.unknown, T("missing", self.lang, label=spec.label(self.lang))
            asks = self._ask(leaf.fact)
        else:
            names = [
                n
                for n, start, end in leaf_rule_names(self.rule, leaf)
                if start is None or (start <= self.ref and (end is None or self.ref < end))
            ]
            result = Result.met if names and names[0] in self.matched else Result.not_met
            reason = T(
                "compare_" + result.value,
                self.lang,
                label=spec.label(self.lang),
                value=fmt_value(value, spec, self.lang),
                expected=op_text(leaf.op, expected, spec, self.lang),
            )
        self.results.append(
            ConditionResult(id=leaf.id, text=text, result=result, reason=reason, fact=leaf.fact, group=group)
        )
        return result, asks

    def _expected(self, leaf: Leaf) -> Any:
        if isinstance(leaf.value, ParamRef):
            return self.rule.parameters[leaf.value.param].at(self.ref)
        return leaf.value

    def _ask(self, fact: str) -> dict[str, MissingFact]:
        return {
            name: MissingFact(fact=name, label=FACTS[name].label(self.lang), question=ask(name, self.lang))
            for name in missing_inputs(fact, self.facts)
        }


def _decide(
    rule: Rule,
    facts: dict[str, Any],
    confirmations: dict[str, bool],
    matched: set[str],
    as_of: date,
    lang: str,
) -> Decision:
    judge = _Judge(rule, facts, confirmations, matched, lang)
    judged = [judge.window()] if rule.window else []
    judged.append(judge.node(rule.conditions))
    results = [result for result, _ in judged]
    missing = {k: m for _, asks in judged for k, m in asks.items()}
    if Result.not_met in results:
        status = Status.not_eligible
    elif Result.unknown in results:
        status = Status.needs_information
    else:
        status = Status.eligible
    title = rule.title(lang)
    return Decision(
        program=rule.id,
        title=title,
        subject=rule.subject,
        kind=rule.kind,
        status=status,
        summary=T("summary_" + status.value, lang, title=title),
        conditions=judge.results,
        missing=list(missing.values()) if status == Status.needs_information else [],
        citation=Citation(tasks=rule.tasks, quote=rule.quote),
        lead_units=rule.lead_units,
        responsible_units=rule.responsible_units,
        window=_window_info(rule, as_of, lang),
        grant=None if status == Status.not_eligible else _grant(rule, facts, judge.ref, lang),
        dates=[] if status == Status.not_eligible else _dates(rule, facts, judge.ref, lang),
        notes=[n(lang) for n in rule.notes],
    )


def _window_info(rule: Rule, as_of: date, lang: str) -> WindowInfo | None:
    w = rule.window
    if w is None:
        return None
    if as_of > w.end:
        state = "closed"
    elif w.start and as_of < w.start:
        state = "not_started"
    else:
        state = "open"
    label = FACTS[w.judged_on].label(lang)
    return WindowInfo(
        start=w.start,
        end=w.end,
        judged_on=w.judged_on,
        judged_on_label=label,
        state=state,
        text=T("window_state_" + state, lang, end=w.end, label=label),
    )


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


def _grant(rule: Rule, facts: dict[str, Any], ref: date, lang: str) -> Grant:
    o = rule.outcome
    amount = None
    if o.amount is not None:
        a = o.amount
        per = a.per(lang) if a.per else None
        param = rule.parameters[a.param or a.rate or ""]
        value = param.at(ref)
        base = facts.get(a.of) if a.of else None
        if value is not None and a.rate and base is not None:
            money = (Decimal(str(value)) * Decimal(base)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            text = T("amount_rate", lang, rate=value, base=FACTS[a.of or ""].label(lang), money=money)
        elif value is not None and a.rate:
            money, text = None, T("amount_rate_pending", lang, rate=value, base=FACTS[a.of or ""].label(lang))
        elif value is not None:
            money = Decimal(str(value))
            text = f"{money} {param.unit}" + (f" / {per}" if per else "")
        else:
            money, text = None, LOCAL_STANDARD[lang]
        amount = Amount(value=money, unit=param.unit, per=per, text=text, local_standard=value is None)
    months = _period_months(rule, facts, ref)
    period_text = None
    if o.period is not None:
        if months is not None:
            period_text = T("months", lang, n=months)
        elif o.period.by and facts.get(o.period.by) is None:
            # A scale read at an unknown fact is pending that fact, not left to the local standard.
            period_text = T("period_pending", lang, label=FACTS[o.period.by].label(lang))
        else:
            period_text = LOCAL_STANDARD[lang]
    return Grant(text=o.grant(lang), amount=amount, period_months=months, period_text=period_text)


def _dates(rule: Rule, facts: dict[str, Any], ref: date, lang: str) -> list[KeyDate]:
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
        out.append(KeyDate(id=d.id, label=d.label(lang), date=day))
    return out
