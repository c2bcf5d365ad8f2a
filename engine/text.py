"""The words of a decision, in Chinese first and English beside it.

A condition's reason is the rule file's own sentence about the person (``holds`` / ``fails``); these
templates word the rest (what is not yet known, the window, dates) and the reviewer's ``detail``, which
names the fact, the applicant's value and what the notice asks of it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.facts import FactSpec

LOCAL_STANDARD = {"zh": "按当地标准", "en": "set by the local standard"}
STATUS_WORDS = {
    "zh": {"eligible": "符合", "not_eligible": "不符合", "needs_information": "需补充信息"},
    "en": {"eligible": "eligible", "not_eligible": "not_eligible", "needs_information": "needs_information"},
}
# A compliance check (task 9) is read as 合规/不合规 wherever people read it; the JSON keeps the
# three statuses, and so do the English batch cells, which scripts read.
COMPLIANCE_WORDS = {
    "zh": {"eligible": "合规", "not_eligible": "不合规", "needs_information": "需补充信息"},
    "en": {
        "eligible": "compliant",
        "not_eligible": "not compliant",
        "needs_information": "needs information",
    },
}


# The words for a decision's phase (engine/decision.py ``Phase``): "not yet" and "ended" are never
# worded as a refusal.
PHASE_WORDS = {
    "zh": {**STATUS_WORDS["zh"], "not_yet": "尚未符合", "ended": "已期满"},
    "en": {**STATUS_WORDS["en"], "not_yet": "not_yet", "ended": "ended"},
}


def status_words(kind: str, lang: str) -> dict[str, str]:
    """The words people read for a program's statuses and phases."""
    lang = "zh" if lang == "zh" else "en"
    if kind == "compliance":
        return COMPLIANCE_WORDS[lang]
    return PHASE_WORDS[lang]


TEMPLATES: dict[str, dict[str, str]] = {
    # What is not yet known, asked as the question that obtains it.
    "unknown": {"zh": "尚不清楚：{what}", "en": "Not yet known: {what}"},
    "param_unset": {
        "zh": "本项标准按当地标准，尚未设定，暂无法判断",
        "en": "The threshold is set by the local standard and has not been set yet",
    },
    "unconfirmed": {"zh": "尚待经办人核实：{text}", "en": "For the caseworker to confirm: {text}"},
    # The comparison behind a reason (ConditionResult.detail), for reviewers.
    "compare_met": {
        "zh": "满足：{label}为{value}，要求{expected}",
        "en": "Met: {label} is {value}; required {expected}",
    },
    "compare_dates_met": {
        "zh": "满足：{a}为{day_a}，{b}为{day_b}，{label}要求{expected}",
        "en": "Met: {a} {day_a}, {b} {day_b}; {label} required {expected}",
    },
    "compare_dates_not_met": {
        "zh": "不满足：{a}为{day_a}，{b}为{day_b}，{label}要求{expected}",
        "en": "Not met: {a} {day_a}, {b} {day_b}; {label} required {expected}",
    },
    "compare_not_met": {
        "zh": "不满足：{label}为{value}，要求{expected}",
        "en": "Not met: {label} is {value}; required {expected}",
    },
    "confirmed_met": {"zh": "经办人已核实确认", "en": "Confirmed by the caseworker"},
    "confirmed_not_met": {"zh": "经办人核实为否", "en": "The caseworker found it not so"},
    "window_met": {
        "zh": "{label}{value}在实施期限（{period}）内",
        "en": "{label} {value} is within the period ({period})",
    },
    "window_not_met": {
        "zh": "{label}{value}不在实施期限（{period}）内",
        "en": "{label} {value} is outside the period ({period})",
    },
    "window_period": {"zh": "{start}至{end}", "en": "{start} to {end}"},
    "window_period_open": {"zh": "至{end}", "en": "up to {end}"},
    "window_state_open": {"zh": "政策在实施期限内", "en": "The measure is in force"},
    "window_state_closed": {
        "zh": "实施期限已于{end}届满，仅{label}在期限内的情形可以享受",
        "en": "The period ended on {end}; only cases whose {label} falls within it qualify",
    },
    "window_state_not_started": {"zh": "实施期限尚未开始", "en": "The period has not begun"},
    "summary_eligible": {"zh": "符合{title}条件", "en": "Eligible for {title}"},
    "summary_compliance": {"zh": "{title}：{word}", "en": "{title}: {word}"},
    "summary_not_eligible": {"zh": "不符合{title}条件", "en": "Not eligible for {title}"},
    "summary_needs_information": {
        "zh": "需补充信息后才能判断{title}",
        "en": "More information is needed to decide {title}",
    },
    "amount_rate": {"zh": "{base}的{rate_pct}：{money} 元", "en": "{rate_pct} of {base}: CNY {money}"},
    "amount_rate_pending": {
        "zh": "{base}的{rate_pct}（缺少{base}）",
        "en": "{rate_pct} of {base} ({base} not given)",
    },
    "group_all": {"zh": "{text}（须全部满足）", "en": "{text} (all of)"},
    "group_any": {"zh": "{text}（满足其一即可）", "en": "{text} (any of)"},
    "months": {"zh": "{n}个月", "en": "{n} months"},
    "not_in_force": {
        "zh": "{day}时本项尚未施行（{start}起施行）",
        "en": "Not yet in force on {day} (in force from {start})",
    },
    "anyway": {"zh": "{sentence}（无论{labels}如何）", "en": "{sentence} (whatever the {labels})"},
    "anyway_met": {"zh": "无论{labels}如何，本项均满足", "en": "Whatever the {labels}, this holds"},
    "anyway_not_met": {
        "zh": "无论{labels}如何，本项均不满足",
        "en": "Whatever the {labels}, this does not hold",
    },
    "ended_text": {"zh": "享受期限尚未届满", "en": "The entitlement has not yet run out"},
    "met_until": {"zh": "{sentence}（至{day}止）", "en": "{sentence} (until {day})"},
    "not_met_from": {"zh": "{sentence}（{day}起满足）", "en": "{sentence} (met from {day})"},
    "summary_not_yet": {
        "zh": "尚未符合{title}条件，{day}起符合",
        "en": "Not yet eligible for {title}: eligible from {day}",
    },
    "timeline_from": {"zh": "尚未符合：{day}起符合", "en": "Not yet: eligible from {day}"},
    "timeline_until": {"zh": "符合至{day}止", "en": "Eligible until {day}"},
    "timeline_change": {"zh": "{day}起{status}", "en": "From {day}: {status}"},
    "timeline_still": {
        "zh": "届时仍须满足：{conditions}",
        "en": "provided these still hold then: {conditions}",
    },
    "amount_local": {
        "zh": "{money} {unit}{per}（{district}当地标准，自{start}起，依据：{document}）",
        "en": "{money} {unit}{per} ({district}'s local standard from {start}, under {document})",
    },
    "district_undeclared": {
        "zh": "{district}尚未声明：{label}（由{unit}在区县设置中声明）",
        "en": "{district} has not declared: {label} (to be declared by {unit} in the district settings)",
    },
    "period_pending": {"zh": "按{label}确定（待补充）", "en": "Set by {label} (not yet given)"},
}

OPS = {
    "zh": {
        "==": "为{v}",
        "!=": "不为{v}",
        ">=": "{v}以上（含本数）",
        "<=": "{v}以下（含本数）",
        ">": "超过{v}（不含本数）",
        "<": "不足{v}（不含本数）",
        "in": "为{v}之一",
    },
    "en": {
        "==": "{v}",
        "!=": "not {v}",
        ">=": "at least {v}",
        "<=": "at most {v}",
        ">": "more than {v}",
        "<": "less than {v}",
        "in": "one of {v}",
    },
}

CHOICES = {
    "male": ("男", "male"),
    "female": ("女", "female"),
    "cadre": ("干部岗位（原55岁）", "cadre post (55)"),
    "worker": ("工人岗位（原50岁）", "worker post (50)"),
    "urban": ("城镇", "urban"),
    "rural": ("农村", "rural"),
    "junior_high": ("初中", "junior high"),
    "senior_high": ("高中", "senior high"),
    "vocational_or_higher": ("中职及以上", "vocational or higher"),
    "none": ("无", "none"),
    "female_55": ("女（原55岁）", "woman (55)"),
    "female_50": ("女（原50岁）", "woman (50)"),
    "enterprise": ("企业", "enterprise"),
    "public_employment_service": ("公共就业人才服务机构", "public employment service"),
    "hr_service_agency": ("经营性人力资源服务机构", "commercial HR service agency"),
    "industry_association": ("行业协会", "industry association"),
}


def T(template: str, lang: str, **values: Any) -> str:
    if "rate" in values:
        values["rate_pct"] = f"{float(values['rate']) * 100:g}%"
    lang = "zh" if lang == "zh" else "en"
    return TEMPLATES[template][lang].format(**values)


def choice_label(value: str, lang: str = "zh") -> str:
    zh, en = CHOICES.get(value, (value, value))
    return zh if lang == "zh" else en


def fmt_value(value: Any, spec: FactSpec, lang: str = "zh") -> str:
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "、".join(fmt_value(v, spec, lang) for v in value)
    if spec.type == "choice":
        return choice_label(str(value), lang)
    if isinstance(value, float):
        value = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value}{spec.unit if lang == 'zh' else ''}"


def op_text(op: str, expected: Any, spec: FactSpec, lang: str = "zh") -> str:
    lang = "zh" if lang == "zh" else "en"
    return OPS[lang][op].format(v=fmt_value(expected, spec, lang))
