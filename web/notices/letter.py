"""The decision notice (告知书) as data: what a written decision must tell the applicant.

Built from a STORED decision (its inputs and its evaluation as they were saved, never a fresh run)
and the district's settings for who handles it and where to appeal. A refusal must give the facts,
the reasons and the legal basis and tell the applicant of 行政复议 and 行政诉讼, the body, the court
and both time limits (rules/SOURCES.md, “Telling an applicant of a decision”); a notice that would
refuse without them is not issued (``missing_settings``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.decision import Decision, Evaluation, Result, Status
from engine.districts import DistrictSettings
from engine.labels import input_facts
from engine.text import fmt_value
from web.filters import CHINA
from web.records import CaseRecord, DecisionRecord

WORDS = {Status.eligible: "符合", Status.not_eligible: "不符合", Status.needs_information: "需补充信息"}


@dataclass
class Program:
    title: str
    status: str  # 符合 / 不符合 / 需补充信息
    refused: bool
    summary: str
    reasons: list[str]
    grant: str | None
    timeline: str | None
    basis: str  # 其他〔2020〕4号 任务N
    quote: str
    other_law: list[str]
    lead_units: str


@dataclass
class Notice:
    case_number: str
    applicant: list[tuple[str, str]]
    facts: list[tuple[str, str]]
    programs: list[Program]  # decided: 符合 and 不符合, refusals first
    pending: list[Program]  # 需补充信息: not decided yet, listed with what is still needed
    as_of: str
    rules_version: str
    decided_on: str  # 2020年9月15日, Chongqing time
    caseworker: str
    district: str
    settings: DistrictSettings
    refusals: int = 0
    missing: list[str] = field(default_factory=list)


def _read(inputs: dict[str, Any], dotted: str) -> Any:
    node: Any = inputs
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def facts_relied_on(record: CaseRecord, inputs: dict[str, Any]) -> list[tuple[str, str]]:
    """Every fact the caseworker stated, by its form label, ID numbers masked as on the case list."""
    out = []
    for spec in input_facts(record.kind):
        value = _read(inputs, spec.name)
        if value is None or value == "":
            continue
        if spec.name.endswith("id_number"):
            text = str(value)[:6] + "*" * 8 + str(value)[-4:]
        elif spec.type == "date":
            text = str(value)
        else:
            text = fmt_value(value, spec, "zh")
        out.append((spec.zh, text))
    return out


def _reasons(d: Decision) -> list[str]:
    if d.status is Status.not_eligible:
        chosen = [c for c in d.conditions if c.result is Result.not_met]
    elif d.status is Status.needs_information:
        return [f"尚需：{m.question}" for m in d.missing]
    else:  # eligible: the conditions it meets, in one line
        return ["符合以下条件：" + "；".join(c.text for c in d.conditions if c.result is Result.met)]
    return [f"{c.text}：{c.reason}" for c in chosen]


def _program(d: Decision) -> Program:
    grant = None
    if d.grant:
        parts = [d.grant.text]
        if d.grant.amount:
            parts.append(f"标准：{d.grant.amount.text}")
        if d.grant.period_text:
            parts.append(f"期限：{d.grant.period_text}")
        grant = "；".join(parts)
    return Program(
        title=d.title,
        status=WORDS[d.status],
        refused=d.status is Status.not_eligible,
        summary=d.summary,
        reasons=_reasons(d),
        grant=grant if d.status is Status.eligible else None,
        timeline=d.timeline.text if d.timeline else None,
        basis=f"{d.citation.document} 任务{'、'.join(str(t) for t in d.citation.tasks)}",
        quote=d.citation.quote,
        other_law=list(d.notes),
        lead_units="、".join(d.lead_units),
    )


def _applicant(record: CaseRecord, inputs: dict[str, Any]) -> list[tuple[str, str]]:
    if record.kind == "person":
        rows = [("申请人", _read(inputs, "person.name") or "—")]
        if record.id_masked:
            rows.append(("身份证号码", record.id_masked))
        return rows
    rows = [("申请单位", _read(inputs, "enterprise.name") or "—")]
    if code := _read(inputs, "enterprise.credit_code"):
        rows.append(("统一社会信用代码", code))
    if name := _read(inputs, "hire.person.name"):
        rows.append(("被吸纳人员", name))
    if record.id_masked:
        rows.append(("被吸纳人员身份证号码", record.id_masked))
    return rows


def build(
    record: CaseRecord,
    decision: DecisionRecord,
    evaluation: Evaluation,
    settings: DistrictSettings,
    district: str,
) -> Notice:
    inputs = dict(decision.inputs)
    programs = [_program(d) for d in evaluation.decisions if d.status is not Status.needs_information]
    programs.sort(key=lambda p: not p.refused)
    pending = [_program(d) for d in evaluation.decisions if d.status is Status.needs_information]
    author = decision.author
    notice = Notice(
        case_number=record.case_id or record.ref,
        applicant=_applicant(record, inputs),
        facts=facts_relied_on(record, inputs),
        programs=programs,
        pending=pending,
        as_of=evaluation.as_of.isoformat(),
        rules_version=evaluation.rules_version,
        decided_on=_chinese_date(decision.created_at),
        caseworker=author.full_name or author.username,
        district=district,
        settings=settings,
        refusals=sum(p.refused for p in programs),
    )
    notice.missing = missing_settings(notice)
    return notice


def _chinese_date(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    day = value.astimezone(CHINA)
    return f"{day.year}年{day.month}月{day.day}日"


def missing_settings(notice: Notice) -> list[str]:
    """What the district must set before this notice can be issued."""
    wanted = [("office", "经办机构")]
    if notice.refusals:
        wanted += [("review_body", "行政复议机关"), ("court", "行政诉讼管辖法院")]
    return [label for name, label in wanted if not getattr(notice.settings, name)]
