"""Applications: what a case applies for, the order of its questions, and what else to suggest.

A district office decides an application (申请事项) for one program or a few; screening the
applicant for everything else is advice (``Suggestion``), never a refusal. Without ``applied_for``
every program of the case's subject is decided, as a screening.

Questions come in the order a caseworker can stop early in: those that settle the decisions
nearest to an answer first (a program waiting on one question before one waiting on five, then
the question more programs wait on), and a question about what happened when a period ended
after the date the period ends on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from engine.codes import MISSING, UNCONFIRMED
from engine.decision import Decision, MissingFact, Phase, Question, Status, Suggestion
from engine.facts import missing_inputs
from engine.plan import Verdict
from engine.rulebook import Rule, RuleBook
from engine.values import Worded, visible

SUBJECT_ZH = {"person": "个人", "enterprise": "单位"}
SUBJECT_EN = {"person": "a person", "enterprise": "an enterprise"}


def find_program(book: RuleBook, text: str) -> Rule | None:
    """A program named by its id or its title (Chinese or English), as a caseworker types it."""
    text = text.strip()
    if (rule := book.rules.get(text)) is not None:
        return rule
    return next((r for r in book.rules.values() if text in (r.title.zh, r.title.en)), None)


def close_programs(book: RuleBook, text: str) -> list[Rule]:
    """The programs whose id or title holds ``text`` (what a caseworker who typed part of a
    title may have meant)."""
    text = text.strip().lower()
    if not text:
        return []
    return [r for r in book.rules.values() if any(text in n.lower() for n in (r.id, r.title.zh, r.title.en))]


def no_such_program(book: RuleBook, text: str, lang: str, option: str = "") -> str:
    """The refusal of a program name that names none, with the close ones, in ``lang``."""
    close, shown = close_programs(book, text), visible(text)
    if lang == "en":
        hint = f". Did you mean {', '.join(f'{r.title.en} ({r.id})' for r in close)}?" if close else ""
        return f"{option}No such program: {shown} (an id or a title; subsidy rules lists them all){hint}"
    hint = f"。是否指：{'、'.join(f'{r.title.zh}（{r.id}）' for r in close)}？" if close else ""
    return f"{option}没有这个项目：{shown}（项目ID或名称，用 subsidy rules 查看全部）{hint}"


def check_applied(book: RuleBook, subject: str, applied_for: list[str]) -> None:
    """Refuse, naming the field and the id, a program the rule book lacks or of the other subject."""
    unknown = [p for p in applied_for if p not in book.rules]
    if unknown:
        raise Worded(
            f"申请事项（applied_for）：没有这个项目：{'、'.join(unknown)}（用 subsidy rules 查看全部项目）",
            f"applied_for: no such program: {', '.join(unknown)} (subsidy rules lists them all)",
        )
    other = [p for p in applied_for if book.rules[p].subject != subject]
    if other:
        named = "、".join(f"{p}（{book.rules[p].title.zh}）" for p in other)
        theirs = book.rules[other[0]].subject
        raise Worded(
            f"申请事项（applied_for）：{named}是{SUBJECT_ZH[theirs]}的项目，本案为{SUBJECT_ZH[subject]}案件",
            f"applied_for: {', '.join(other)} {'is a program' if len(other) == 1 else 'are programs'} "
            f"for {SUBJECT_EN[theirs]}; this case is {SUBJECT_EN[subject]}'s",
        )


def waits_for(verdicts: Iterable[Verdict]) -> dict[str, set[str]]:
    """Per question, the questions it is asked after: in a program's conditions, what follows a
    ``period_ended`` condition (the notice's 期满) is what happened when that period ended
    ("领取期满仍未就业"), asked once the period's last day is known."""
    after: dict[str, set[str]] = {}
    for v in verdicts:
        if v.status is not Status.needs_information:
            continue
        asked, dated = set(v.missing), set()
        a, b = v.plan.span
        for cond, outcome in zip(v.plan.conds, v.outcomes[a:b], strict=True):
            if outcome not in (MISSING, UNCONFIRMED):
                continue
            if cond.confirm is not None:
                inputs = [cond.fact] if cond.fact in asked else []
            else:
                inputs = [n for n in missing_inputs(cond.fact, v.facts) if n in asked]
            for name in inputs:
                if dated and name not in dated:
                    after.setdefault(name, set()).update(dated)
            if cond.leaf is not None and cond.leaf.period_ended:
                dated.update(inputs)
    return after


def questions(decisions: list[Decision], after: dict[str, set[str]]) -> list[Question]:
    """Every decision's questions once, nearest decisions first (see the module's docstring)."""
    found: dict[str, tuple[MissingFact, list[str]]] = {}
    nearest: dict[str, int] = {}
    for d in decisions:
        for m in d.missing:
            found.setdefault(m.fact, (m, []))[1].append(d.program)
            nearest[m.fact] = min(nearest.get(m.fact, len(d.missing)), len(d.missing))
    ranked = sorted(found, key=lambda fact: (nearest[fact], -len(found[fact][1])))
    ordered: list[str] = []
    while ranked:  # the first in rank whose prerequisites are asked; in a cycle, the first
        ready = next((f for f in ranked if not (after.get(f, set()) & set(ranked))), ranked[0])
        ranked.remove(ready)
        ordered.append(ready)
    return [Question(**found[f][0].model_dump(), programs=found[f][1]) for f in ordered]


def suggestions(decisions: list[Decision]) -> list[Suggestion]:
    """The programs not applied for that the person may get: eligible now, from a later date, or
    one answer away. A refusal, an entitlement that has ended, or a program needing more than one
    answer is no suggestion, and a compliance check is nothing a person gets."""
    now: list[Suggestion] = []
    later: list[Suggestion] = []
    near: list[Suggestion] = []
    for d in decisions:
        base = {"program": d.program, "title": d.title, "lead_units": d.lead_units}
        if d.kind == "compliance":
            continue
        if d.phase is Phase.eligible:
            now.append(Suggestion(kind="eligible", **base))
        elif d.phase is Phase.not_yet and d.timeline:
            later.append(Suggestion(kind="eligible_from", date=d.timeline.eligible_from, **base))
        elif d.phase is Phase.needs_information and len(d.missing) == 1:
            near.append(Suggestion(kind="one_answer", question=d.missing[0], **base))
    later.sort(key=lambda s: s.date or date.max)  # the nearest date first
    return [*now, *later, *near]
