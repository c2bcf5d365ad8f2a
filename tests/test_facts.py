"""Derived facts: computed once, in engine/facts.py, from the case and the evaluation date."""

from dataclasses import replace
from datetime import date

import pytest

from engine import facts as facts_module
from engine.facts import DERIVED, FACTS, case_facts, missing_inputs
from engine.models import parse_case

AS_OF = date(2020, 9, 15)


def person(as_of: date = AS_OF, **fields) -> dict:
    return case_facts(parse_case({"kind": "person", "person": fields}), as_of)


def enterprise(as_of: date = AS_OF, hire: dict | None = None, **fields) -> dict:
    data = {"kind": "enterprise", "enterprise": fields}
    if hire is not None:
        data["hire"] = hire
    return case_facts(parse_case(data), as_of)


# --- age (周岁) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        ("1990-06-15", "2020-06-14", 29),  # the day before the 30th birthday
        ("1990-06-15", "2020-06-15", 30),  # the birthday itself
        ("2000-02-29", "2020-02-28", 19),  # leap year: the birthday exists, 28 Feb is the day before
        ("2000-02-29", "2020-02-29", 20),
        ("2000-02-29", "2021-02-27", 20),  # common year: no 29 Feb, so 28 Feb is the birthday
        ("2000-02-29", "2021-02-28", 21),
        ("2000-02-29", "2021-03-01", 21),
    ],
)
def test_age_in_full_years_turns_on_the_birthday(birth, on, age):
    assert person(date.fromisoformat(on), birth_date=birth)["person.age"] == age


def test_age_of_the_hired_person_is_derived_the_same_way():
    hire = {"person": {"birth_date": "2000-02-29"}}
    assert enterprise(date(2021, 2, 28), hire=hire)["hire.person.age"] == 21
    assert enterprise(date(2021, 2, 27), hire=hire)["hire.person.age"] == 20


# --- months registered unemployed --------------------------------------------------------------


@pytest.mark.parametrize(
    ("registered", "on", "months"),
    [
        ("2020-03-16", "2020-09-15", 5),
        ("2020-03-16", "2020-09-16", 6),
        ("2019-08-31", "2020-02-28", 5),  # month-end rule: six months from 31 Aug end on 29 Feb
        ("2019-08-31", "2020-02-29", 6),
        ("2020-10-15", "2020-09-15", -1),  # registered a month after the evaluation date
    ],
)
def test_months_registered_unemployed(registered, on, months):
    f = person(date.fromisoformat(on), unemployment_registration_date=registered)
    assert f["person.registered_unemployed_months"] == months


def test_months_unemployed_at_hire_counts_to_the_hire_date_not_the_evaluation_date():
    hire = {"hire_date": "2020-03-16", "person": {"unemployment_registration_date": "2019-09-16"}}
    assert enterprise(date(2026, 1, 1), hire=hire)["hire.unemployed_months_at_hire"] == 6
    hire["person"]["unemployment_registration_date"] = "2019-09-17"
    assert enterprise(date(2026, 1, 1), hire=hire)["hire.unemployed_months_at_hire"] == 5


# --- distance from benefit end to retirement ---------------------------------------------------

MAN_1961 = {"birth_date": "1961-03-10", "sex": "male"}  # retires 2021-03-10 (60)


@pytest.mark.parametrize(
    ("benefit_end", "months", "days"),
    [
        ("2020-03-09", 12, 366),
        ("2020-03-10", 12, 365),  # exactly one year: not "不足1年"
        ("2020-03-11", 11, 364),
        ("2021-02-28", 0, 10),
        ("2021-03-09", 0, 1),
        ("2021-03-10", 0, 0),  # the retirement date itself
        ("2021-04-10", -1, -31),  # already past retirement
    ],
)
def test_months_to_retirement_at_benefit_end(benefit_end, months, days):
    f = person(ui_benefit_end_date=benefit_end, **MAN_1961)
    assert f["person.retirement_date"] == date(2021, 3, 10)
    assert f["person.months_to_retirement_at_benefit_end"] == months
    assert f["person.days_to_retirement_at_benefit_end"] == days


def test_months_to_retirement_uses_the_2025_schedule():
    # A man born 1965-05 retires at 60y2m on 2025-07-10, not at 60 on 2025-05-10.
    f = person(ui_benefit_end_date="2024-07-11", birth_date="1965-05-10", sex="male")
    assert f["person.retirement_date"] == date(2025, 7, 10)
    assert f["person.months_to_retirement_at_benefit_end"] == 11


def test_months_to_retirement_is_unknown_without_the_benefit_end():
    f = person(**MAN_1961)
    assert f["person.months_to_retirement_at_benefit_end"] is None
    assert missing_inputs("person.months_to_retirement_at_benefit_end", f) == ["person.ui_benefit_end_date"]


# --- contract length ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2020-03-16", "2021-03-15", 12),  # the last day of a one-year contract
        ("2020-03-16", "2021-03-14", 11),
        ("2020-03-01", "2021-02-28", 12),  # ends on the last day of February
        ("2020-03-01", "2021-02-27", 11),
        ("2020-01-01", "2020-12-31", 12),
        ("2020-01-01", "2020-01-01", 0),
    ],
)
def test_contract_months_counts_the_last_day_of_the_contract(start, end, months):
    hire = {"contract_start_date": start, "contract_end_date": end}
    assert enterprise(hire=hire)["hire.contract_months"] == months


# --- ratios ------------------------------------------------------------------------------------


def test_layoff_rate_of_one_fifth_is_exactly_20_percent():
    # Exact for every staff size: a comparison `<= 20` must not fail on 20.000000000000004.
    rates = {
        whole: enterprise(laid_off_count=whole // 5, insured_staff_count=whole)["enterprise.layoff_rate"]
        for whole in range(5, 1001, 5)
    }
    assert {whole: rate for whole, rate in rates.items() if rate != 20} == {}


def test_new_hire_ratio_of_one_tenth_is_exactly_10_percent():
    ratios = {
        whole: enterprise(new_eligible_hires=whole // 10, staff_count=whole)["enterprise.new_hire_ratio"]
        for whole in range(10, 1001, 10)
    }
    assert {whole: ratio for whole, ratio in ratios.items() if ratio != 10} == {}


def test_ratios_do_not_round_through_a_fraction():
    # 7 / 100 * 100 is 7.000000000000001 in floating point; 100 * 7 / 100 is 7.
    assert enterprise(new_eligible_hires=7, staff_count=100)["enterprise.new_hire_ratio"] == 7
    assert enterprise(laid_off_count=3, insured_staff_count=10)["enterprise.layoff_rate"] == 30


def test_ratios_around_the_thresholds():
    assert enterprise(new_eligible_hires=19, staff_count=100)["enterprise.new_hire_ratio"] < 20
    assert enterprise(new_eligible_hires=11, staff_count=101)["enterprise.new_hire_ratio"] < 11
    assert enterprise(new_eligible_hires=11, staff_count=101)["enterprise.new_hire_ratio"] > 10


def test_a_ratio_of_nothing_is_unknown_not_zero():
    f = enterprise(laid_off_count=0, insured_staff_count=0)
    assert f["enterprise.layoff_rate"] is None
    # Nothing is missing, yet the rate is unknown: the counts it is computed from are to be checked.
    assert missing_inputs("enterprise.layoff_rate", f) == [
        "enterprise.laid_off_count",
        "enterprise.insured_staff_count",
    ]
    assert enterprise(laid_off_count=0, insured_staff_count=8)["enterprise.layoff_rate"] == 0


# --- retirement group --------------------------------------------------------------------------


def test_a_man_needs_no_female_post():
    f = person(birth_date="1961-03-10", sex="male")
    assert f["person.female_post"] is None
    assert f["person.retirement_group"] == "male"
    assert f["person.retirement_date"] == date(2021, 3, 10)


def test_a_man_with_a_female_post_stated_is_still_a_man():
    assert person(sex="male", female_post="worker")["person.retirement_group"] == "male"


@pytest.mark.parametrize(
    ("post", "group", "retires"),
    [("cadre", "female_55", date(2020, 10, 20)), ("worker", "female_50", date(2015, 10, 20))],
)
def test_a_womans_group_follows_her_post(post, group, retires):
    f = person(birth_date="1965-10-20", sex="female", female_post=post)
    assert f["person.retirement_group"] == group
    assert f["person.retirement_date"] == retires


def test_a_woman_without_a_post_has_no_retirement_date_and_is_asked_for_it():
    f = person(birth_date="1965-10-20", sex="female")
    assert f["person.retirement_group"] is None
    assert f["person.retirement_date"] is None
    assert missing_inputs("person.retirement_date", f) == ["person.female_post"]


def test_birth_date_and_sex_come_from_the_id_number():
    f = person(id_number="500101196012100015")
    assert (f["person.birth_date"], f["person.sex"]) == (date(1960, 12, 10), "male")
    assert f["person.retirement_date"] == date(2020, 12, 10)


# --- computed once -----------------------------------------------------------------------------


def test_each_derived_fact_is_computed_exactly_once_per_case(monkeypatch):
    calls: dict[str, int] = {}

    def counting(d):
        def fn(*args):
            calls[d.spec.name] = calls.get(d.spec.name, 0) + 1
            return d.fn(*args)

        return replace(d, fn=fn)

    monkeypatch.setattr(facts_module, "DERIVED", [counting(d) for d in DERIVED])
    f = person(
        birth_date="1961-03-10",
        sex="male",
        unemployment_registration_date="2020-01-01",
        ui_benefit_end_date="2020-08-31",
        business_start_date="2019-01-01",
        training_start_date="2020-09-01",
        flexible_subsidy_end_date="2020-06-30",
        public_welfare_post_end_date="2020-12-31",
    )
    person_derived = [d.spec.name for d in DERIVED if d.spec.name.startswith("person.")]
    assert calls == dict.fromkeys(person_derived, 1)
    assert all(f[name] is not None for name in person_derived)


def test_age_at_training_start_is_taken_on_that_day_not_the_evaluation_date():
    f = person(birth_date="1999-09-01", training_start_date="2020-08-31")
    assert f["person.age_at_training_start"] == 20
    assert f["person.age"] == 21


def test_a_derived_fact_is_not_computed_for_the_other_subject():
    f = person(birth_date="1961-03-10", sex="male")
    assert not any(name.startswith(("enterprise.", "hire.")) for name in f)


def test_every_derived_fact_is_registered_with_its_inputs():
    for d in DERIVED:
        assert FACTS[d.spec.name] is d.spec
        assert d.spec.derived_from and all(name in FACTS for name in d.spec.derived_from)
