"""Facts by their Chinese labels, and values as people write them ("是", "农村", "2020-01-01").

The form, the feature files and the CSV headers all name facts this way; one lookup serves them.
"""

from __future__ import annotations

from typing import Any

from engine.facts import ENGINE_INPUTS, FACTS, FactSpec
from engine.text import CHOICES
from engine.values import FALSE, TRUE, Worded


class UnknownLabel(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def input_facts(subject: str) -> list[FactSpec]:
    """Facts a caseworker states (not derived, not what the engine itself is given) for a subject."""
    return [
        s
        for s in FACTS.values()
        if subject in s.subjects and not s.derived_from and s.name not in ENGINE_INPUTS
    ]


def fact_by_label(label: str, subject: str) -> FactSpec:
    """The input fact a Chinese label (or a dotted name) names; the error lists the known labels."""
    label = label.strip()
    for spec in input_facts(subject):
        if label in (spec.zh, spec.name, spec.name.split(".", 1)[1]):
            return spec
    known = "、".join(s.zh for s in input_facts(subject))
    raise UnknownLabel(f"不认识的字段“{label}”。{_SUBJECT_ZH[subject]}案件可用的字段有：{known}")


_SUBJECT_ZH = {"person": "个人", "enterprise": "单位"}


def parse_value(spec: FactSpec, text: str) -> Any:
    """A written value as the case model takes it; empty means unknown. Raises ValueError."""
    text = text.strip()
    if text == "":
        return None
    if spec.type == "bool":
        low = text.lower()
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        raise Worded(
            f"“{spec.zh}”应填“是”或“否”，而不是“{text}”", f'"{spec.en}" takes yes or no, not "{text}"'
        )
    if spec.type == "choice":
        for value in spec.choices:
            if text in (value, CHOICES.get(value, ("", ""))[0]):
                return value
        options = "、".join(CHOICES.get(v, (v,))[0] for v in spec.choices)
        raise Worded(
            f"“{spec.zh}”应为以下之一：{options}，而不是“{text}”",
            f'"{spec.en}" takes one of {", ".join(spec.choices)}, not "{text}"',
        )
    return text  # dates and numbers: the pydantic model parses and reports them


def set_fact(data: dict[str, Any], name: str, value: Any) -> None:
    """Place a dotted fact name's value in the nested case dict (``hire.person.x``)."""
    *path, leaf = name.split(".")
    node = data
    for part in path:
        node = node.setdefault(part, {})
    node[leaf] = value
