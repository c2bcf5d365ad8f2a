"""The desk's caseload over time: what changes soon (待办), and what a rule change changes (recheck).

- ``due``: the user's stored cases whose decisions change in the next days, on their latest inputs
  judged again today by the desk's engine (the rules and district settings in force now, so the list
  follows a rule or settings change): the day a person qualifies, the last day of an entitlement,
  any other day a decision changes. Nothing is saved.
- ``recheck``: every stored case's last decision judged again under the rules and settings in
  force now, on the date it was decided on; the decisions whose status, amount or dates would change,
  each beside the stored one. Each stored decision carries its rules version (and engine version),
  so a changed outcome is traced to the rules, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.decision import Decision, Evaluation, Status
from engine.errors import describe
from engine.evaluate import CaseModel, Engine
from engine.models import parse_case
from engine.values import Words
from web.cases import store
from web.records import CaseRecord, DecisionRecord, User
from web.security import visible

WORDS = {Status.eligible: "符合", Status.not_eligible: "不符合", Status.needs_information: "需补充信息"}


@dataclass
class Due:
    record: CaseRecord
    program: str
    title: str
    day: date
    kind: str  # from | until | change
    text: str


def _cases(
    session: Session, user: User | None, district: str | None
) -> Iterator[tuple[CaseRecord, DecisionRecord]]:
    query = visible(CaseRecord, user) if user is not None else select(CaseRecord)  # the command: all
    if district:
        query = query.where(CaseRecord.district == district)
    for record in session.scalars(query.order_by(CaseRecord.id)):
        last = store.latest(record)
        if last is not None:
            yield record, last


def due(session: Session, user: User, engine: Engine, today: date, days: int) -> list[Due]:
    """What changes in the cases the user sees between tomorrow and ``days`` days from today."""
    end = today + timedelta(days=days)
    records, cases = [], []
    for record, last in _cases(session, user, None):
        try:
            cases.append(parse_case(last.inputs, today))
        except ValueError:  # inputs that cannot be true today (a rule of the models changed): skip
            continue
        records.append(record)
    out: list[Due] = []
    for record, evaluation in zip(records, evaluate_each(engine, cases, today), strict=True):
        if isinstance(evaluation, ValueError):  # the rules in force refuse it (a program withdrawn)
            continue
        for d in evaluation.decisions:
            out += _due(record, d, today, end)
    out.sort(key=lambda x: (x.day, x.record.id, x.program))
    return out


def evaluate_each(engine: Engine, cases: list[CaseModel], day: date) -> list[Evaluation | ValueError]:
    """The cases judged together, as fast as one batch; when the engine refuses one of them (it
    applies for a program the rules in force no longer have), the batch fails whole, so each is
    judged alone and the refused ones are the error instead of taking the whole list down."""
    try:
        return list(engine.evaluate_many(cases, day, "zh"))
    except ValueError:
        pass
    out: list[Evaluation | ValueError] = []
    for case in cases:
        try:
            out.append(engine.evaluate(case, day, "zh"))
        except ValueError as err:
            out.append(err)
    return out


def _due(record: CaseRecord, d: Decision, today: date, end: date) -> list[Due]:
    t = d.timeline
    if t is None:
        return []
    found = []
    for change in t.changes:
        if not today < change.date <= end:
            continue
        if t.eligible_from == change.date:
            text = f"自{change.date.isoformat()}起符合：当日告知本人"
            found.append(Due(record, d.program, d.title, change.date, "from", text))
        elif t.eligible_until is not None and change.date == t.eligible_until + timedelta(days=1):
            text = f"享受至{t.eligible_until.isoformat()}止：到期前联系本人"
            found.append(Due(record, d.program, d.title, t.eligible_until, "until", text))
        else:
            found.append(Due(record, d.program, d.title, change.date, "change", change.text))
    return found


@dataclass
class Change:
    """One program whose stored decision would be different under the rules in force now."""

    record: CaseRecord
    decision: DecisionRecord
    title: str
    before: Decision | None
    after: Decision | None

    @property
    def before_text(self) -> str:
        return _text(self.before)

    @property
    def after_text(self) -> str:
        return _text(self.after)


def _text(d: Decision | None) -> str:
    if d is None:
        return "（无此项目）"
    text = d.status_text
    if d.grant and d.grant.amount:
        text += f"（{d.grant.amount.text}）"
    if d.timeline and d.timeline.text:
        text += f"；{d.timeline.text}"
    return text


def _outcome(d: Decision | None) -> tuple[object, ...]:
    """What a decision decides (its wording may change with the words, not with the rules)."""
    if d is None:
        return ()
    amount = d.grant.amount.value if d.grant and d.grant.amount else None
    t = d.timeline
    return d.status, amount, t.eligible_from if t else None, t.eligible_until if t else None


@dataclass
class Refused:
    """A stored case whose inputs the case models refuse now (a rule of the models changed): it
    cannot be judged again, and a recheck says so rather than leaving it out unsaid."""

    record: CaseRecord
    why: Words


def why_refused(err: ValueError) -> Words:
    """What the case models refuse, in the form's words (Chinese, with the English beside it)."""
    if isinstance(err, ValidationError):
        found = describe(err)
        return Words("；".join(map(str, found)), "; ".join(f"{e.field}: {e.words.en}" for e in found))
    return err.args[0] if err.args and isinstance(err.args[0], Words) else Words(str(err), str(err))


def recheck(
    session: Session, user: User | None, engine: Engine, district: str | None = None
) -> tuple[int, list[Change], list[Refused]]:
    """(cases judged again, the decisions that would change, the cases that could not be judged
    again), in the cases' order. Cases decided on the same date are judged together."""
    by_day: dict[date, list[tuple[CaseRecord, DecisionRecord, CaseModel]]] = {}
    refused: list[Refused] = []
    for record, last in _cases(session, user, district):
        try:
            case = parse_case(last.inputs, last.as_of)
        except ValueError as err:
            refused.append(Refused(record, why_refused(err)))
            continue
        by_day.setdefault(last.as_of, []).append((record, last, case))
    found: list[tuple[int, list[Change]]] = []
    for day, group in by_day.items():
        evaluations = evaluate_each(engine, [case for _, _, case in group], day)
        for (record, last, _), after in zip(group, evaluations, strict=True):
            if isinstance(after, ValueError):
                refused.append(Refused(record, why_refused(after)))
                continue
            before = Evaluation.model_validate(last.evaluation)
            old = {d.program: d for d in before.decisions}
            new = {d.program: d for d in after.decisions}
            mine = []
            for program in [*old, *(p for p in new if p not in old)]:
                x, y = old.get(program), new.get(program)
                if _outcome(x) != _outcome(y):
                    mine.append(Change(record, last, (y or x).title, x, y))  # type: ignore[union-attr]
            found.append((record.id, mine))
    found.sort(key=lambda item: item[0])
    refused.sort(key=lambda r: r.record.id)
    return len(found), [c for _, changes in found for c in changes], refused
