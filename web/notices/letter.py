"""The decision notice (告知书) as data: what a written decision tells the applicant, in their words.

Built from a STORED decision (its inputs and its evaluation as they were saved, never a fresh run)
and the district's settings. It decides only what was applied for (``Evaluation.applied_for``):
programs nobody asked for are advice on the desk, never on the applicant's letter. Each program
reads as its phase: 符合, 尚未符合 with the day to come back and what must still hold then,
不符合 or 已期满. A refusal gives reasons as sentences about the applicant, the notice's own words and
the laws it rests on, and tells of 行政复议 and 行政诉讼 with the body, the court and both time limits
(行政许可法 Art. 38); a "not yet" is no refusal and carries no appeal. What is still needed is
listed with what to bring and the day to bring it by. A notice that lacks a setting it must print
is not issued (``missing_settings``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from engine.decision import Decision, Evaluation, Phase, Result
from engine.districts import DistrictSettings
from engine.evaluate import default_engine
from engine.labels import input_facts
from engine.text import fmt_value
from web.cases.application import inputs_read
from web.filters import CHINA
from web.notices.materials import to_bring
from web.phase import phase_date
from web.records import CaseRecord, DecisionRecord

# The notice's title as it heads the shipped text (rules/notice/qita-2020-4.txt).
NOTICE_TITLE = (
    "《重庆市人民政府办公厅关于印发贯彻落实〈国务院关于进一步做好稳就业工作的意见〉重点任务分工的通知》"
)
# Laws a rule's notes rest on, as the notes name them ("民法典第1259条", "《失业保险条例》第14条").
LAWS = {
    "民法典": "《中华人民共和国民法典》",
    "失业保险条例": "《失业保险条例》",
    "就业服务与就业管理规定": "《就业服务与就业管理规定》",
}
LAW_ARTICLE = re.compile(r"《?(" + "|".join(LAWS) + r")》?第(\d{1,4})条")
WORDS = {
    Phase.eligible: "符合",
    Phase.not_yet: "尚未符合",
    Phase.needs_information: "需补充材料",
    Phase.not_eligible: "不符合",
    Phase.ended: "已期满",
}
ADVERSE = (Phase.not_eligible, Phase.ended)  # decisions the applicant may contest
END_PUNCT = "。；，、：.;, "


@dataclass
class Program:
    title: str
    phase: Phase
    heading: str  # 符合 / 尚未符合（自2020年10月31日起符合）/ 不符合 / 已期满（2020年10月31日止）
    reasons: list[str]  # sentences about the applicant, each ending in 。
    grant: str | None
    come_back: str | None  # a "not yet": when to come back and what must still hold then
    basis: str  # 依据: the notice's title, task and words, and the laws the rule rests on
    lead_units: str


@dataclass
class Ask:
    question: str
    bring: str


@dataclass
class Pending:
    title: str
    asks: list[Ask]  # what the applicant answers, with what to bring
    checked_here: bool  # some of what is needed the office finds out itself


@dataclass
class Notice:
    case_number: str
    applicant: list[tuple[str, str]]
    applied: list[str]  # the titles of the programs applied for
    facts: list[tuple[str, str]]
    programs: list[Program]  # decided, refusals first
    pending: list[Pending]  # applied for, not decided yet: what is still needed
    as_of: str  # the day the decision was judged on, 2020年9月15日
    reference: str  # the rules version, printed only as a reference code
    decided_on: str  # 2020年9月15日, Chongqing time
    supply_by: str | None  # the day to bring what is needed by
    caseworker: str
    district: str
    settings: DistrictSettings
    missing: list[str] = field(default_factory=list)  # district settings the notice needs (page's language)
    unready: list[str] = field(default_factory=list)  # what the case itself lacks: "applied_for", "case_id"

    @property
    def reference_code(self) -> str:
        """The rules version as the footer prints it: hex digits only, safe inside a CSS string."""
        return re.sub(r"[^0-9a-f]", "", self.reference.lower())[:12]

    @property
    def contested(self) -> list[str]:
        """The titles of the decisions the applicant may seek review of."""
        return [p.title for p in self.programs if p.phase in ADVERSE]


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _numeral(n: int) -> str:
    """An article number in Chinese numerals, as laws are cited (1259 → 一千二百五十九)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            out += ("零" if zero and out else "") + digits[d] + unit
            zero = False
        elif out:
            zero = True
    return out


ISO_DAY = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def _dates_as_read(text: str) -> str:
    """2020-10-31 as a letter writes it: 2020年10月31日."""
    return ISO_DAY.sub(lambda m: f"{int(m[1])}年{int(m[2])}月{int(m[3])}日", text)


def _sentence(text: str) -> str:
    """One sentence, ending in a single 。 (a question keeps its ？) whatever punctuation it came with,
    its dates as a letter writes them."""
    text = _dates_as_read(text.strip().rstrip(END_PUNCT))
    return text if text.endswith(("？", "！")) else text + "。"


def _quoted(text: str) -> str:
    """The notice's words in “”, quotes inside it as ‘’, no punctuation before the closing mark."""
    inner = text.strip().rstrip(END_PUNCT).replace("“", "‘").replace("”", "’")
    return f"“{inner}”"


def _read(inputs: dict[str, Any], dotted: str) -> Any:
    node: Any = inputs
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def facts_relied_on(
    record: CaseRecord, inputs: dict[str, Any], programs: list[str] | None = None
) -> list[tuple[str, str]]:
    """The facts stated, by their form labels, ID numbers masked as on the case list; with
    ``programs``, only those their rules read (and the district)."""
    rules = default_engine().book.rules
    read = {"district.name"}.union(*(inputs_read(rules[p]) for p in programs or [] if p in rules))
    out = []
    for spec in input_facts(record.kind):
        if programs is not None and spec.name not in read:
            continue
        value = _read(inputs, spec.name)
        if value is None or value == "":
            continue
        if spec.name.endswith("id_number"):
            text = str(value)[:6] + "*" * 8 + str(value)[-4:]
        elif spec.type == "date":
            text = chinese_date(date.fromisoformat(str(value)))
        else:
            text = fmt_value(value, spec, "zh")
        out.append((spec.zh, text))
    return out


def _reasons(d: Decision) -> list[str]:
    """Why, in sentences about the applicant: the conditions met for a grant, those not met otherwise."""
    wanted = Result.met if d.phase is Phase.eligible else Result.not_met
    return list(dict.fromkeys(_sentence(c.reason) for c in d.conditions if c.result is wanted and c.reason))


def _heading(d: Decision) -> str:
    word = d.status_text if d.kind == "compliance" else WORDS[d.phase]  # 合规 / 不合规
    if d.phase is Phase.not_yet and (first := phase_date(d)):
        return f"{word}（自{chinese_date(first)}起符合）"
    if d.phase is Phase.ended and (last := phase_date(d)):
        return f"{word}（{chinese_date(last)}止）"
    return word


def _come_back(d: Decision) -> str | None:
    if d.phase is not Phase.not_yet or not d.timeline or not d.timeline.eligible_from:
        return None
    text = f"请于{chinese_date(d.timeline.eligible_from)}起再来办理"
    if still := [_dates_as_read(c.rstrip(END_PUNCT)) for c in d.timeline.still_required]:
        text += "，届时仍须满足：" + "；".join(still)
    return text + "。"


def _basis(d: Decision) -> str:
    tasks = "、".join(str(t) for t in d.citation.tasks)
    text = f"{NOTICE_TITLE}（{d.citation.document}）第{tasks}项任务：{_quoted(d.citation.quote)}"
    articles: dict[str, dict[str, None]] = {}  # a law's articles once each, in the order cited
    for name, article in (found for note in d.notes for found in LAW_ARTICLE.findall(note)):
        articles.setdefault(LAWS[name], {})[f"第{_numeral(int(article))}条"] = None
    laws = [law + "、".join(cited) for law, cited in articles.items()]
    return text + ("；" + "；".join(laws) if laws else "") + "。"


def _grant(d: Decision) -> str | None:
    if d.phase is not Phase.eligible or not d.grant:
        return None
    parts = [d.grant.text.rstrip(END_PUNCT)]
    if d.grant.amount:
        parts.append(f"标准：{d.grant.amount.text.rstrip(END_PUNCT)}")
    if d.grant.period_text:
        parts.append(f"期限：{d.grant.period_text.rstrip(END_PUNCT)}")
    return "；".join(parts) + "。"


def _program(d: Decision) -> Program:
    return Program(
        title=d.title,
        phase=d.phase,
        heading=_heading(d),
        reasons=_reasons(d),
        grant=_grant(d),
        come_back=_come_back(d),
        basis=_basis(d),
        lead_units="、".join(d.lead_units),
    )


def _pending(d: Decision) -> Pending:
    asks = [
        Ask(_sentence(m.question), to_bring(m.fact) or f"能证明“{m.label}”的材料")
        for m in d.missing
        if m.asked_of == "applicant"
    ]
    return Pending(d.title, asks, checked_here=any(m.asked_of != "applicant" for m in d.missing))


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
    applied = [d for d in evaluation.decisions if d.program in set(evaluation.applied_for)]
    decided = [_program(d) for d in applied if d.phase is not Phase.needs_information]
    decided.sort(key=lambda p: p.phase not in ADVERSE)
    issued = _local_day(decision.created_at)
    author = decision.author
    notice = Notice(
        case_number=record.case_id or "",
        applicant=_applicant(record, inputs),
        applied=[d.title for d in applied],
        facts=facts_relied_on(record, inputs, [d.program for d in applied]),
        programs=decided,
        pending=[_pending(d) for d in applied if d.phase is Phase.needs_information],
        as_of=chinese_date(evaluation.as_of),
        reference=evaluation.rules_version,
        decided_on=chinese_date(issued),
        supply_by=_supply_by(issued, settings.supply_days),
        caseworker=author.full_name or author.username,
        district=district,
        settings=settings,
    )
    notice.missing = missing_settings(notice)
    notice.unready = unready(notice)
    return notice


def _supply_by(issued: date, days: int | None) -> str | None:
    """The last day to bring what is needed: the district's number of days after the notice's date."""
    return chinese_date(issued + timedelta(days=days)) if days else None


def _local_day(value: datetime) -> date:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA).date()


def unready(notice: Notice) -> list[str]:
    """What the case must state before a notice is issued on it (the page words each one)."""
    given = {"applied_for": notice.applied, "case_id": notice.case_number}
    return [name for name, value in given.items() if not value]


def missing_settings(notice: Notice) -> list[str]:
    """The district settings this notice prints and lacks: the office, its address and phone; the
    review body and court for a refusal; the days to bring documents in when some are asked for."""
    wanted = [
        ("office", _l("经办机构")),
        ("office_address", _l("办公地址")),
        ("office_phone", _l("联系电话")),
    ]
    if notice.contested:
        wanted += [("review_body", _l("行政复议机关")), ("court", _l("行政诉讼管辖法院"))]
    if any(p.asks for p in notice.pending):
        wanted.append(("supply_days", _l("补充材料期限")))
    # In the page's language: the settings page an English reader fills them in on is in English.
    return [str(label) for name, label in wanted if not getattr(notice.settings, name)]
