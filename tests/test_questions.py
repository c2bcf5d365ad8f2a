"""Questions in both languages and units on amounts: every fact a caseworker states has an English
question worded as well as the Chinese (never "Please provide: X"), the hired person's facts are asked
about the hired person, and every amount or count carries its unit."""

from __future__ import annotations

from engine.facts import FACTS, ask
from engine.labels import input_facts


def test_every_input_fact_has_an_english_question():
    for subject in ("person", "enterprise"):
        for spec in input_facts(subject):
            question = ask(spec.name, "en")
            assert not question.startswith("Please provide"), spec.name
            assert question.endswith("?") or question.endswith(".)"), (spec.name, question)


def test_the_hired_persons_facts_are_asked_about_the_hired_person():
    assert (
        ask("hire.person.ui_benefit_end_date", "en")
        == "On what day does the hired person's unemployment benefit end?"
    )
    assert ask("hire.person.unemployment_registration_date", "zh") == "被吸纳人员哪天进行的失业登记？"
    assert ask("person.unemployment_registration_date", "zh") == "申请人哪天进行的失业登记？"


def test_amounts_and_counts_carry_their_units():
    units = {name: FACTS[name].unit for name in FACTS}
    assert units["enterprise.prior_year_ui_contributions"] == "元"
    assert units["person.ui_contribution_months"] == "个月"
    assert units["hire.person.ui_contribution_months"] == "个月"
    assert units["enterprise.staff_count"] == "人"
    numbers = [s.name for s in FACTS.values() if s.type in ("int", "number") and not s.derived_from]
    assert numbers and all(units[n] for n in numbers), [n for n in numbers if not units[n]]
