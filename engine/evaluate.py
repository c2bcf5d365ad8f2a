"""Evaluate a case against every program: durable-rules matches, ``judge`` decides, this explains.

``Engine.judge_many`` is the one path from cases to judgements (plain data, see engine/plan.py);
``evaluate`` words those judgements as the published pydantic ``Evaluation``, and the batch writer
reads them directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from engine.applications import check_applied, questions, suggestions, waits_for
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
    StatusChange,
    Timeline,
    WindowInfo,
)
from engine.districts import DistrictBook, districts
from engine.facts import FACTS, FactSpec, ask, case_facts, missing_inputs
from engine.judge import Judge, checks
from engine.matcher import SUBJECTS, Matcher, encode, key, ref_key
from engine.models import EnterpriseCase, PersonCase
from engine.plan import Check, Verdict
from engine.rulebook import Rule, RuleBook, load_rulebook
from engine.text import T, fmt_value, op_text, status_words
from engine.values import Worded

CaseModel = PersonCase | EnterpriseCase


class Engine:
    """A rule book compiled once, evaluating any number of cases (thread-safe)."""

    def __init__(self, book: RuleBook, settings: DistrictBook | None = None):
        self.book = book
        # The district settings in force (rules/districts.yaml, SUBSIDY_DISTRICTS_FILE, or the desk's).
        self.settings = settings or districts()
        _check_standards(book, self.settings)
        self.matcher = Matcher(book)
        self._confirmations = book.confirmation_keys()
        self._rules = {subject: book.for_subject(subject) for subject in SUBJECTS}
        self._judges = {subject: Judge(rules) for subject, rules in self._rules.items()}
        # Only what some durable rule compares is asserted: every other property would be copied
        # into each match durable-rules reports, and read back, for nothing.
        read = self.matcher.fields
        # Typed once per fact, not per value: dates as day numbers, numbers by ``encode``, the rest as is.
        self._dates: dict[str, list[tuple[str, str]]] = {}
        self._numbers: dict[str, list[tuple[str, str]]] = {}
        self._plain: dict[str, list[tuple[str, str]]] = {}
        for s in SUBJECTS:
            facts = [(n, key(n), spec.type) for n, spec in FACTS.items() if s in spec.subjects]
            facts = [fact for fact in facts if fact[1] in read]
            self._dates[s] = [(n, k) for n, k, t in facts if t == "date"]
            self._numbers[s] = [(n, k) for n, k, t in facts if t == "number"]
            self._plain[s] = [(n, k) for n, k, t in facts if t not in ("date", "number")]
        # The date each program's dated parameters are read on: its reference fact's, else as-of.
        self._refs = {
            s: [(r.reference_fact, ref_key(r)) for r in rules if ref_key(r) in read]
            for s, rules in self._rules.items()
        }

    def evaluate(self, case: CaseModel, as_of: date, lang: str = "zh") -> Evaluation:
        return self.evaluate_many([case], as_of, lang)[0]

    def evaluate_many(self, cases: Sequence[CaseModel], as_of: date, lang: str = "zh") -> list[Evaluation]:
        judged = self.judge_many(cases, as_of, lang)
        return [
            self._publish(case, verdicts, as_of, lang) for case, verdicts in zip(cases, judged, strict=True)
        ]

    def judge_of(self, subject: str) -> Judge:
        """The compiled programs of one kind of case (the columnar evaluator judges tables with it)."""
        return self._judges[subject]

    def judge_many(self, cases: Sequence[CaseModel], as_of: date, lang: str = "zh") -> list[list[Verdict]]:
        """Each case's verdict per program of its subject; durable-rules matches them in batches."""
        prepared = [self._prepare(case, as_of) for case in cases]
        hits = self.matcher.match([durable_fact for _, durable_fact in prepared])
        return [
            self._judges[case.kind].judge(facts, case.confirmations, matched, lang)
            for case, (facts, _), matched in zip(cases, prepared, hits, strict=True)
        ]

    def _prepare(self, case: CaseModel, as_of: date) -> tuple[dict[str, Any], dict[str, Any]]:
        if case.confirmations and (unknown := set(case.confirmations) - self._confirmations):
            names = ", ".join(sorted(unknown))
            raise Worded(f"未知的确认事项：{names}", f"unknown confirmations: {names}")
        if case.applied_for:
            check_applied(self.book, case.kind, case.applied_for)
        facts = case_facts(case, as_of, self.settings)
        get, kind = facts.get, case.kind
        durable = {k: v for n, k in self._plain[kind] if (v := get(n)) is not None}
        durable.update({k: v.toordinal() for n, k in self._dates[kind] if (v := get(n)) is not None})
        durable.update({k: encode(v) for n, k in self._numbers[kind] if (v := get(n)) is not None})
        durable["subject"] = kind
        for name, value in case.confirmations.items():
            durable[key(f"confirm.{name}")] = value
        day = as_of.toordinal()
        for fact, k in self._refs[kind]:
            durable[k] = day if fact is None or (ref := get(fact)) is None else ref.toordinal()
        return facts, durable

    def _publish(self, case: CaseModel, verdicts: list[Verdict], as_of: date, lang: str) -> Evaluation:
        """Every program decided (a screening), or those applied for and the rest as suggestions."""
        decisions = [_decision(v, as_of, lang) for v in verdicts]
        offered: list[Decision] = []
        if applied := case.applied_for:
            by_program = {d.program: d for d in decisions}
            offered = [d for d in decisions if d.program not in applied]
            decisions = [by_program[p] for p in applied]
            verdicts = [v for v in verdicts if v.rule.id in applied]
        return Evaluation(
            case_id=case.case_id,
            subject=case.kind,
            as_of=as_of,
            rules_version=self.book.version,
            lang="zh" if lang == "zh" else "en",
            applied_for=applied,
            decisions=decisions,
            questions=questions(decisions, waits_for(verdicts)),
            suggestions=suggestions(offered),
        )


def _check_standards(book: RuleBook, settings: DistrictBook) -> None:
    """Every local standard names a rule's amount that the notice leaves to 当地标准."""
    for name, district in settings.districts.items():
        for standard in district.standards:
            program, _, param = standard.partition(".")
            rule = book.rules.get(program)
            amount = rule.outcome.amount if rule else None
            if amount is None or amount.param != param:
                known = ", ".join(local_standard_keys(book))
                raise ValueError(f"{name}: `{standard}` is no amount left to local standards ({known})")


def local_standard_keys(book: RuleBook) -> list[str]:
    """The amounts a district may set ("program.parameter"): those whose rule leaves a value unset."""
    out = []
    for rule in book.rules.values():
        a = rule.outcome.amount
        if a is not None and a.param and None in rule.parameters[a.param].values.values():
            out.append(f"{rule.id}.{a.param}")
    return out


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    return Engine(load_rulebook())


def evaluate(case: CaseModel, as_of: date | None = None, lang: str = "zh") -> Evaluation:
    """Evaluate one case with the shipped rules, on ``as_of`` (today by default)."""
    return default_engine().evaluate(case, as_of or date.today(), lang)


def _decision(v: Verdict, as_of: date, lang: str) -> Decision:
    rule = v.rule
    title = rule.title(lang)
    reasons = checks(v)
    timeline = _timeline(v, reasons, lang) if v.changes else None
    phase = v.phase
    word = status_words(rule.kind, lang)[phase if rule.kind != "compliance" else v.status]
    summary = T("summary_" + v.status.value, lang, title=title)
    if rule.kind == "compliance":
        summary = T("summary_compliance", lang, title=title, word=word)
    if timeline and timeline.eligible_from:
        summary = T("summary_not_yet", lang, title=title, day=timeline.eligible_from)
    return Decision(
        program=rule.id,
        title=title,
        subject=rule.subject,
        kind=rule.kind,
        status=v.status,
        phase=phase,
        status_text=word,
        summary=summary,
        conditions=[_condition(rule, c, lang, v.facts) for c in reasons],
        missing=[missing_fact(rule, name, lang, v.facts) for name in v.missing],
        citation=Citation(tasks=rule.tasks, quote=rule.quote),
        lead_units=rule.lead_units,
        responsible_units=rule.responsible_units,
        window=_window_info(rule, as_of, lang),
        grant=_grant(v, lang) if v.granted else None,
        dates=[KeyDate(id=d.id, label=d.label(lang), date=day) for d, day in v.dates.days],
        timeline=timeline,
        notes=[n(lang) for n in rule.notes],
    )


def _timeline(v: Verdict, checks: list[Check], lang: str) -> Timeline:
    """The days the status changes, worded: "not yet, from DATE" is not a refusal."""
    status = v.status
    eligible_from = eligible_until = None
    for day, new in v.changes:
        refused_today = v.status is Status.not_eligible  # "not yet" is said of a refusal only
        if new is Status.eligible and refused_today and eligible_from is None:
            eligible_from = day
        if status is Status.eligible and new is not Status.eligible and eligible_until is None:
            eligible_until = day - timedelta(days=1)
        status = new
    still = [c.leaf.text(lang) for c in checks if c.leaf and c.result is Result.met and c.until is None]
    still = still if eligible_from else []
    words = status_words(v.rule.kind, lang)
    if eligible_from:
        parts = [T("timeline_from", lang, day=eligible_from)]
        if eligible_until:
            parts.append(T("timeline_until", lang, day=eligible_until))
        if still:
            parts.append(
                T("timeline_still", lang, conditions="、".join(still) if lang == "zh" else "; ".join(still))
            )
    elif eligible_until:
        parts = [T("timeline_until", lang, day=eligible_until)]
        after = next(new for day, new in v.changes if day > eligible_until)
        if after is Status.needs_information:  # not a refusal: from then on a question decides it
            parts.append(
                T("timeline_change", lang, day=eligible_until + timedelta(days=1), status=words[after])
            )
    else:
        parts = [T("timeline_change", lang, day=day, status=words[new]) for day, new in v.changes]
    sep = "；" if lang == "zh" else "; "
    return Timeline(
        eligible_from=eligible_from,
        eligible_until=eligible_until,
        changes=[
            StatusChange(date=day, status=new, text=T("timeline_change", lang, day=day, status=words[new]))
            for day, new in v.changes
        ],
        still_required=still,
        text=sep.join(parts),
    )


def _between(spec: FactSpec, facts: dict[str, Any]) -> list[tuple[str, Any]] | None:
    """A count of days between two dates is quoted by its dates, never as a (negative) count."""
    if spec.unit != "天" or len(spec.derived_from) != 2:
        return None
    if any(FACTS[n].type != "date" or facts.get(n) is None for n in spec.derived_from):
        return None
    return [(n, facts[n]) for n in spec.derived_from]


def _condition(rule: Rule, c: Check, lang: str, facts: dict[str, Any]) -> ConditionResult:
    """A condition's result worded: the reason is the rule's sentence about the person, the detail
    the comparison behind it (fact, the case's value, the rule's) for reviewers."""
    if c.why == "ended":  # worded as the rule words the event that ended it
        return ConditionResult(
            id="entitlement_ended",
            text=T("ended_text", lang),
            result=c.result,
            reason=c.expected.ends(lang).format(date=c.value),
        )
    if c.leaf is None:
        w = rule.window
        assert w is not None and c.fact is not None
        if c.why == "missing":
            reason = _unknown(rule, c.fact, lang, facts)
        else:
            period = T("window_period", lang, start=w.start, end=w.end) if w.start else None
            period = period or T("window_period_open", lang, end=w.end)
            label = FACTS[w.judged_on].label(lang)
            reason = T("window_" + c.result.value, lang, label=label, value=c.value, period=period)
        return ConditionResult(id="window", text=w.text(lang), result=c.result, reason=reason, fact=c.fact)
    leaf = c.leaf
    detail = None
    if c.why == "missing":
        assert c.fact is not None
        reason = _unknown(rule, c.fact, lang, facts)
    elif c.why == "unconfirmed":
        reason = T("unconfirmed", lang, text=leaf.text(lang))
    elif c.why == "param_unset":
        reason = T("param_unset", lang)
    elif c.why == "not_in_force":
        reason = T("not_in_force", lang, day=c.value, start=c.expected)
    elif c.why == "anyway":
        labels = "、".join(FACTS[n].label(lang) for n in c.regardless)
        labels = labels if lang == "zh" else labels[:1].lower() + labels[1:]  # “whatever the training …”
        said = (leaf.holds if c.result is Result.met else leaf.fails)(lang)
        quotes = "{" in said  # a sentence that quotes the value cannot be said of an unknown one
        reason = T("anyway_" + c.result.value if quotes else "anyway", lang, labels=labels, sentence=said)
    elif c.why == "confirmed":
        reason, detail = _sentence(c, lang), T("confirmed_" + c.result.value, lang)
    else:
        reason, detail = _sentence(c, lang), _comparison(c, lang, facts)
        if c.until or (leaf.timing and (c.since or _last_day(c, facts))):
            reason = _timed_reason(c, reason, lang, facts)
    group = T("group_" + c.group.mode, lang, text=c.group.text(lang)) if c.group and c.group.text else None
    return ConditionResult(
        id=leaf.id,
        text=leaf.text(lang),
        result=c.result,
        reason=reason,
        detail=detail,
        fact=c.fact,
        group=group,
        changes_on=c.until,
    )


def _sentence(c: Check, lang: str) -> str:
    """The rule file's sentence for a met or failed condition, quoting the value and the threshold."""
    assert c.leaf is not None
    said = (c.leaf.holds if c.result is Result.met else c.leaf.fails)(lang)
    if c.leaf.fact is None:
        return said
    spec = FACTS[c.leaf.fact]
    return said.format(value=fmt_value(c.value, spec, lang), expected=fmt_value(c.expected, spec, lang))


def _comparison(c: Check, lang: str, facts: dict[str, Any]) -> str:
    """The fact, the case's value and the rule's, as a reviewer checks them; a count of days between
    two dates is quoted by its dates."""
    assert c.leaf is not None and c.fact is not None
    spec = FACTS[c.fact]
    expected = op_text(c.leaf.op, c.expected, spec, lang)
    between = _between(spec, facts)
    if between:
        (a, day_a), (b, day_b) = between
        return T(
            "compare_dates_" + c.result.value,
            lang,
            a=FACTS[a].label(lang),
            day_a=day_a,
            b=FACTS[b].label(lang),
            day_b=day_b,
            label=spec.label(lang),
            expected=expected,
        )
    value = fmt_value(c.value, spec, lang)
    return T("compare_" + c.result.value, lang, label=spec.label(lang), value=value, expected=expected)


def _unknown(rule: Rule, fact: str, lang: str, facts: dict[str, Any]) -> str:
    """What is not yet known, as the questions that obtain it (the unknown inputs behind ``fact``); a
    district setting not yet declared says so in its own words."""
    asked = [missing_fact(rule, n, lang, facts) for n in missing_inputs(fact, facts) or [fact]]
    questions = ("" if lang == "zh" else " ").join(m.question for m in asked if m.asked_of != "district")
    said = [T("unknown", lang, what=questions)] if questions else []
    said += [m.question for m in asked if m.asked_of == "district"]
    return ("；" if lang == "zh" else "; ").join(said)


def _last_day(c: Check, facts: dict[str, Any]) -> date | None:
    """The last day of the period a ``period_ended`` condition waits for (None if not one, or unknown)."""
    return facts.get(c.leaf.period_ended) if c.leaf and c.leaf.period_ended else None


def _timed_reason(c: Check, sentence: str, lang: str, facts: dict[str, Any]) -> str:
    """A condition that moves with time, worded by its dates, never by a count of days: as the notice
    words its event (``timing``), else the sentence with the day it changes. A period's end is
    worded by its last day, though the condition it triggers holds from the day after."""
    assert c.leaf is not None
    timing = c.leaf.timing
    last = _last_day(c, facts)
    if timing and last:  # a period's end: the same day whether it is still to come or has passed
        return (timing.after if c.result is Result.met else timing.before)(lang).format(date=last)
    if timing and c.until:
        return timing.before(lang).format(date=c.until)
    if timing and c.since:
        return timing.after(lang).format(date=c.since)
    assert c.until is not None
    if c.result is Result.met:
        return T("met_until", lang, sentence=sentence, day=c.until - timedelta(days=1))
    return T("not_met_from", lang, sentence=sentence, day=c.until)


def missing_fact(rule: Rule, name: str, lang: str, facts: dict[str, Any]) -> MissingFact:
    for leaf in rule.leaves:
        if leaf.confirm is not None and name == f"confirm.{rule.confirmation_key(leaf)}":
            return MissingFact(
                fact=name, label=leaf.text(lang), question=leaf.confirm(lang), asked_of="caseworker"
            )
    spec = FACTS[name]
    if spec.asked_of == "district":
        unit = facts["district.settings"].terms[name.split(".", 1)[1]].declared_by(lang)
        question = T(
            "district_undeclared", lang, district=facts["district.name"], label=spec.label(lang), unit=unit
        )
        return MissingFact(fact=name, label=spec.label(lang), question=question, asked_of="district")
    return MissingFact(fact=name, label=spec.label(lang), question=ask(name, lang))


def _grant(v: Verdict, lang: str) -> Grant:
    rule = v.rule
    a = rule.outcome.amount
    amount = None
    if a is not None and v.amount is not None:
        amount = Amount(
            value=v.amount.value,
            unit="元" if a.rate else rule.parameters[a.param or ""].unit,  # a rate of a sum of money is money
            per=a.per(lang) if a.per else None,
            text=v.amount.text,
            local_standard=v.amount.local_standard,
        )
    return Grant(
        text=rule.outcome.grant(lang), amount=amount, period_months=v.period_months, period_text=v.period_text
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
