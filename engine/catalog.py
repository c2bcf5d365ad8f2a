"""The catalog of all 66 tasks: what each says, who leads it, and whether a rule encodes it.

Sections and units are read from the notice itself; which programs encode a task is read from the
rules; why a task is *not* encoded is the one thing written by hand, in ``rules/catalog.yaml``, in
Chinese and in English, as rule titles are.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine import safeyaml
from engine.notice import tasks
from engine.rulebook import Rule, RuleBook, load_rulebook
from engine.words import Text, unit_word

Category = Literal["directive", "publicity", "no_applicant_condition", "refers_elsewhere"]
CATEGORY_ZH = {
    "directive": "对部门、区县的工作部署",
    "publicity": "宣传引导任务",
    "no_applicant_condition": "没有申请人层面的条件",
    "refers_elsewhere": "条件由其他文件规定，通知未列明",
}
CATEGORY_EN = {
    "directive": "a directive to departments and districts",
    "publicity": "publicity",
    "no_applicant_condition": "no condition on an applicant",
    "refers_elsewhere": "its conditions are set by other documents",
}
LOCAL_STANDARD = {"zh": "按当地标准", "en": "set by local standard"}  # a parameter the notice leaves open


class NotEncoded(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    category: Category
    reason: Text


class EnglishNames(BaseModel):
    """The notice's part titles and units in English (the notice has no English text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    parts: dict[str, str]
    units: dict[str, str]


class CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    not_encoded: dict[int, NotEncoded]
    english: EnglishNames


def part_name(part: str, lang: str) -> str:
    """A part of the notice (一、支持企业稳定岗位) as ``lang`` reads it."""
    return part if lang == "zh" else catalog_file().english.parts.get(part, part)


def unit_names(units: list[str] | tuple[str, ...], lang: str) -> str:
    """Units (市人力社保局…) as ``lang`` reads them, joined."""
    if lang == "zh":
        return "、".join(units)
    return "; ".join(catalog_file().english.units.get(u, u) for u in units)


class Entry(BaseModel):
    """One task of the notice, as the catalog shows it (``subsidy rules --json`` and the web)."""

    model_config = ConfigDict(frozen=True)
    task: int
    part: str
    section: str
    text: str
    lead_units: list[str]
    responsible_units: list[str]
    encoded: bool
    programs: list[str]
    category: str | None
    reason: str | None


@lru_cache(maxsize=1)
def catalog_file() -> CatalogFile:
    raw = (resources.files("rules") / "catalog.yaml").read_text(encoding="utf-8")
    return CatalogFile.model_validate(safeyaml.load(raw))


def build_catalog(book: RuleBook | None = None) -> list[Entry]:
    book = book or load_rulebook()
    skipped = catalog_file().not_encoded
    entries = []
    for number, task in sorted(tasks().items()):
        programs = [r.id for r in book.rules.values() if number in r.tasks]
        why = skipped.get(number)
        entries.append(
            Entry(
                task=number,
                part=task.part,
                section=task.section,
                text=task.text,
                lead_units=list(task.lead_units),
                responsible_units=list(task.responsible_units),
                encoded=bool(programs),
                programs=programs,
                category=why.category if why else None,
                reason=why.reason.zh if why else None,
            )
        )
    return entries


def render_catalog(lang: str = "zh") -> str:
    """The 66 tasks, one line each, all in ``lang``: the parts and the units from rules/catalog.yaml's
    ``english``, the reasons a task is not encoded from its ``not_encoded``."""
    zh = lang == "zh"
    skipped = catalog_file().not_encoded
    lines = []
    part = ""
    for e in build_catalog():
        if e.part != part:
            part = e.part
            lines.append(f"\n{part_name(part, lang)}")
        lead = unit_names(e.lead_units, lang)
        if e.encoded:
            status = "已编码：" + "、".join(e.programs) if zh else "encoded: " + ", ".join(e.programs)
        elif zh:
            status = f"未编码（{CATEGORY_ZH.get(e.category or '', '')}）：{e.reason}"
        else:
            status = f"not encoded ({CATEGORY_EN.get(e.category or '', '')}): {skipped[e.task].reason.en}"
        lines.append(f"  {'任务' if zh else 'Task '}{e.task:>2}  [{lead}]  {status}")
    return "\n".join(lines).lstrip()


def render_rule(name: str, lang: str = "zh") -> str | None:
    """A program, named by its id or its title, as ``subsidy rules show`` prints it."""
    from engine.applications import find_program

    rule = find_program(load_rulebook(), name)
    return None if rule is None else describe_rule(rule, lang)


def describe_rule(rule: Rule, lang: str = "zh") -> str:
    """A rule as a reviewer reads it: the quoted text, its conditions, its dated parameters."""
    from engine.facts import FACTS
    from engine.rulebook import Group, Leaf, ParamRef

    zh = lang == "zh"
    sep, colon = ("；", "：") if zh else ("; ", ": ")
    lines = [
        f"{rule.title(lang)}  [{rule.id}]",
        f"{'任务' if zh else 'Task'} {('、' if zh else ', ').join(map(str, rule.tasks))}{sep}"
        f"{'牵头单位' if zh else 'Lead'}{colon}{unit_names(rule.lead_units, lang)}"
        + (
            f"{sep}{'责任单位' if zh else 'Also'}{colon}{unit_names(rule.responsible_units, lang)}"
            if rule.responsible_units
            else ""
        ),
        f"{'通知原文' if zh else 'Notice (Chinese)'}{colon}{rule.quote}",
    ]
    if rule.window:
        w = rule.window
        on = FACTS[w.judged_on].label(lang)
        judged = f"（按{on}判断）" if zh else f" (judged on {on})"
        lines.append(f"{'实施期限' if zh else 'Period'}{colon}{w.start or '—'} ~ {w.end}{judged}")
    lines.append("条件：" if zh else "Conditions:")

    def walk(node: Leaf | Group, depth: int) -> None:
        pad = "  " * depth
        if isinstance(node, Leaf):
            if node.fact:
                value = f"{{{node.value.param}}}" if isinstance(node.value, ParamRef) else str(node.value)
                lines.append(f"{pad}- {node.text(lang)}  [{node.fact} {node.op} {value}]")
            else:
                lines.append(f"{pad}- {node.text(lang)}  [{'经办人确认' if zh else 'confirm'}]")
            said = ("满足时：{}；不满足时：{}" if zh else "when met: {}; when not: {}").format(
                node.holds(lang), node.fails(lang)
            )
            lines.append(f"{pad}  {said}")
            return
        word = {"all": "以下全部" if zh else "all of", "any": "以下任一" if zh else "any of"}
        head = node.text(lang) + colon if node.text else ""
        lines.append(f"{pad}- {head}{word[node.mode]}")
        for child in node.children:
            walk(child, depth + 1)

    for child in rule.conditions.children:
        walk(child, 1)
    if rule.parameters:
        lines.append("参数：" if zh else "Parameters:")
    for name, p in rule.parameters.items():
        unit = f"（{p.unit}）" if zh else f" ({unit_word(p.unit, lang)})"
        ref = f"{'依据' if zh else 'ref'}{colon}{p.reference(lang)}"
        lines.append(f"  {name}{colon}{p.label(lang)}{unit}  {ref}")
        for start, _, value in p.periods():
            shown = LOCAL_STANDARD["zh" if zh else "en"] if value is None else value
            if isinstance(value, list):
                shown = sep.join(f"≥{b.threshold:g} → {b.value:g}" for b in value if b.value is not None)
            lines.append(f"    {start} 起：{shown}" if zh else f"    from {start}: {shown}")
    lines.append(f"{'给予' if zh else 'Grants'}{colon}{rule.outcome.grant(lang)}")
    lines += [f"{'说明' if zh else 'Note'}{colon}{n(lang)}" for n in rule.notes]
    return "\n".join(lines)
