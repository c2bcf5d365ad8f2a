"""What a person may apply for on the form: the programs of the case's kind, grouped by lead unit,
each with the facts its rule reads, so the form asks only what the programs applied for need.

The facts come from the rule itself (every fact it names, followed down its derivations to the
inputs a caseworker states), never from a second list that could drift from the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from engine.evaluate import default_engine
from engine.facts import ENGINE_INPUTS, FACTS, derivation
from engine.rulebook import Rule

# Asked on every form, whatever is applied for: who and which case, when, and the district that decides.
ALWAYS_ASKED = frozenset(
    {
        "case_id",
        "as_of",
        "person.name",
        "person.id_number",
        "enterprise.name",
        "enterprise.credit_code",
        "hire.person.name",
        "hire.person.id_number",
        "district.name",
    }
)


@dataclass(frozen=True)
class Offer:
    program: str
    zh: str
    en: str
    lead_units: tuple[str, ...]
    inputs: tuple[str, ...]  # the input facts the program's rule reads

    def title(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _named(node: Any, out: set[str]) -> None:
    if isinstance(node, str):
        if node in FACTS:
            out.add(node)
    elif isinstance(node, dict):
        for value in node.values():
            _named(value, out)
    elif isinstance(node, list | tuple):
        for value in node:
            _named(value, out)


def inputs_read(rule: Rule) -> tuple[str, ...]:
    """The input facts ``rule`` reads: conditions, window, amounts and dates, through derivations."""
    named: set[str] = set()
    _named(rule.model_dump(), named)
    found = {
        n for fact in named for n in derivation(fact) if not FACTS[n].derived_from and n not in ENGINE_INPUTS
    }
    return tuple(sorted(found))


@cache
def offers(kind: str) -> list[tuple[str, list[Offer]]]:
    """The programs a ``kind`` case may apply for, grouped by their (first) lead unit (the rule book
    is loaded once per process, so this is built once)."""
    groups: dict[str, list[Offer]] = {}
    for program, rule in default_engine().book.rules.items():
        if rule.subject != kind:
            continue
        offer = Offer(program, rule.title.zh, rule.title.en, tuple(rule.lead_units), inputs_read(rule))
        groups.setdefault(rule.lead_units[0], []).append(offer)
    return list(groups.items())
