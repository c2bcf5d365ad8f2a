"""Decisions as readable text for a terminal or a case file."""

from __future__ import annotations

from dataclasses import dataclass

from engine.decision import Decision, Evaluation, Phase, Question, Result, Status, Suggestion

# The English heading of a decision by its phase (the Chinese one is the decision's status_text).
HEAD_EN = {
    Phase.eligible: "ELIGIBLE",
    Phase.not_yet: "NOT YET ELIGIBLE",
    Phase.needs_information: "NEEDS INFORMATION",
    Phase.not_eligible: "NOT ELIGIBLE",
    Phase.ended: "ENDED",
}
MARK = {Result.met: "✓", Result.not_met: "✗", Result.unknown: "?"}
WORDS = {
    "zh": {
        "task": "任务",
        "lead": "牵头单位",
        "grant": "给予",
        "amount": "标准",
        "period": "期限",
        "conditions": "条件",
        "ask": "需询问申请人",
        "dates": "重要日期",
        "quote": "通知原文",
        "window": "实施期限",
        "as_of": "评估日期",
        "version": "规则版本",
        "case": "案件",
        "notes": "说明",
        "when": "何时变化",
        "summary": "【摘要】",
        "now": "现在符合",
        "later": "尚未符合，届时符合",
        "questions": "需询问（离结论最近的项目所需的在前）",
        "waiting": "需补充信息",
        "refused": "不符合",
        "affects": "影响",
        "details": "【各项目详情】",
        "applied": "【申请事项】",
        "suggested": "【可能还符合（未申请，供参考）】",
        "eligible": "现在符合",
        "eligible_from": "自{day}起符合",
        "one_answer": "还需回答一个问题：{question}",
    },
    "en": {
        "task": "task",
        "lead": "lead unit",
        "grant": "grants",
        "amount": "amount",
        "period": "period",
        "conditions": "conditions",
        "ask": "ask the applicant",
        "dates": "key dates",
        "quote": "notice",
        "window": "period in force",
        "as_of": "as of",
        "version": "rules version",
        "case": "case",
        "notes": "notes",
        "when": "changes",
        "summary": "SUMMARY",
        "now": "eligible now",
        "later": "not yet, eligible from a date",
        "questions": "to ask (those that settle the nearest decisions first)",
        "waiting": "needs information",
        "refused": "not eligible",
        "affects": "for",
        "details": "DETAILS",
        "applied": "APPLIED FOR",
        "suggested": "MAY ALSO QUALIFY (not applied for; advice)",
        "eligible": "eligible now",
        "eligible_from": "eligible from {day}",
        "one_answer": "one answer away: {question}",
    },
}
ORDER = [Status.eligible, Status.needs_information, Status.not_eligible]


# Punctuation follows the language of the words around it; quoted Chinese text keeps its own.
PUNCT = {
    "zh": {":": "：", "(": "（", ")": "）", ";": "；", ",": "、", "task": "任务"},
    "en": {":": ": ", "(": " (", ")": ")", ";": "; ", ",": ", ", "task": "task "},
}


def _head(d: Decision, lang: str) -> str:
    """The decision's word by its phase: 符合 / 尚未符合 / 需补充信息 / 不符合 / 已期满 (合规 …),
    ELIGIBLE, NOT YET ELIGIBLE … in English."""
    head = d.status_text if lang == "zh" or d.kind == "compliance" else HEAD_EN[d.phase]
    return head if lang == "zh" else head.upper()


def render_decision(d: Decision, lang: str = "zh") -> str:
    w, p = WORDS[lang], PUNCT[lang]
    colon = p[":"]
    tasks = p[","].join(str(t) for t in d.citation.tasks)
    lead = p[","].join(d.lead_units)
    head = _head(d, lang)
    lines = [f"【{head}】{d.title}{p['(']}{p['task']}{tasks}{p[';']}{w['lead']}{colon}{lead}{p[')']}"]
    if d.grant:
        lines.append(f"  {w['grant']}{colon}{d.grant.text}")
        if d.grant.amount:
            lines.append(f"  {w['amount']}{colon}{d.grant.amount.text}")
        if d.grant.period_text:
            lines.append(f"  {w['period']}{colon}{d.grant.period_text}")
    if d.window:
        start = d.window.start or "—"
        lines.append(f"  {w['window']}{colon}{start} ~ {d.window.end}{p['(']}{d.window.text}{p[')']}")
    lines.append(f"  {w['conditions']}{colon}".rstrip())
    group = None
    for c in d.conditions:
        if c.group and c.group != group:
            lines.append(f"    {c.group}{colon}".rstrip())
        group = c.group
        pad = "      " if c.group else "    "
        lines.append(f"{pad}{MARK[c.result]} {c.text} —— {c.reason}")
    if d.missing:
        lines.append(f"  {w['ask']}{colon}".rstrip())
        lines += [f"    · {m.question}" for m in d.missing]
    if d.timeline:
        lines.append(f"  {w['when']}{colon}{d.timeline.text}")
    shown = [k for k in d.dates if k.date]
    if shown:
        lines.append(f"  {w['dates']}{colon}" + p[";"].join(f"{k.label} {k.date}" for k in shown))
    lines += [f"  {w['notes']}{colon}{n}" for n in d.notes]
    lines.append(f"  {w['quote']}{colon}{d.citation.quote}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Summary:
    """What a caseworker reads first: eligible now, eligible from a date ("not yet"), the questions
    in the order that settles most decisions, then the undecided and the refused."""

    now: list[Decision]
    later: list[Decision]
    questions: list[Question]
    waiting: list[Decision]
    refused: list[Decision]


def summarise(e: Evaluation) -> Summary:
    later = [d for d in e.decisions if d.timeline and d.timeline.eligible_from]
    return Summary(
        now=[d for d in e.decisions if d.status == Status.eligible],
        later=later,
        questions=list(e.questions),
        waiting=[d for d in e.decisions if d.status == Status.needs_information],
        refused=[d for d in e.decisions if d.status == Status.not_eligible and d not in later],
    )


def _questions(e: Evaluation) -> list[str]:
    """The case's questions in the order to ask them, each with the programs it settles."""
    w, p = WORDS[e.lang], PUNCT[e.lang]
    sep = p[","]
    titles = {d.program: d.title for d in e.decisions}
    lines = [f"  {w['questions']}{p[':']}".rstrip()] if e.questions else []
    for n, q in enumerate(e.questions, 1):
        programs = sep.join(titles[program] for program in q.programs)
        lines.append(f"    {n}. {q.question}{p['(']}{w['affects']}{p[':']}{programs}{p[')']}")
    return lines


def _suggestion(s: Suggestion, lang: str) -> str:
    w, p = WORDS[lang], PUNCT[lang]
    state = w[s.kind].format(day=s.date, question=s.question.question if s.question else "")
    lead = p[","].join(s.lead_units)
    return f"  · {s.title}{p[':']}{state}{p['(']}{w['lead']}{p[':']}{lead}{p[')']}"


def render_application(e: Evaluation) -> list[str]:
    """An application first: each program applied for, what to ask for it; then the other programs
    the person may get, as advice."""
    w, p = WORDS[e.lang], PUNCT[e.lang]
    lines = [w["applied"]]
    for d in e.decisions:
        when = f"{p['(']}{d.timeline.text}{p[')']}" if d.timeline else ""
        lines.append(f"  {d.title}{p[':']}{_head(d, e.lang)}{when}")
    lines += _questions(e)
    if e.suggestions:
        lines += ["", w["suggested"], *(_suggestion(s, e.lang) for s in e.suggestions)]
    return lines


def render_summary(e: Evaluation) -> list[str]:
    """One screen first: eligible now, eligible from a date, what to ask in order, the rest."""
    w, p = WORDS[e.lang], PUNCT[e.lang]
    colon, sep = p[":"], p[","]
    s = summarise(e)
    lines = [w["summary"]]

    def row(label: str, items: list[str]) -> None:
        if items:
            lines.append(f"  {label}{p['(']}{len(items)}{p[')']}{colon}{sep.join(items)}")

    row(w["now"], [f"{d.title}{p['(']}{d.timeline.text}{p[')']}" if d.timeline else d.title for d in s.now])
    row(w["later"], [f"{d.title}{p['(']}{d.timeline.text}{p[')']}" for d in s.later if d.timeline])
    lines += _questions(e)
    row(w["waiting"], [d.title for d in s.waiting])
    row(w["refused"], [d.title for d in s.refused])
    return lines


def render_evaluation(e: Evaluation) -> str:
    w, colon = WORDS[e.lang], PUNCT[e.lang][":"]
    head = f"{w['as_of']}{colon}{e.as_of}  {w['version']}{colon}{e.rules_version}"
    if e.case_id:
        head += f"  {w['case']}{colon}{e.case_id}"
    first = render_application(e) if e.applied_for else render_summary(e)
    blocks = [head, "\n".join(first), w["details"]]
    for status in ORDER:
        blocks += [render_decision(d, e.lang) for d in e.decisions if d.status == status]
    return "\n\n".join(blocks)
