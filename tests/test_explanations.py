"""A decision asks only for what could still change it, and says which group a condition is in."""

from datetime import date

import pytest

from engine.models import parse_case

HIRE = {
    "hire_date": "2020-03-16",
    "contract_start_date": "2020-03-16",
    "contract_end_date": "2021-03-15",
    "person": {"unemployment_registration_date": "2019-09-16"},
}


@pytest.fixture
def task23(yuzhong_offers_hiring_subsidy):
    """Task 23's decision for a hire in 渝中区, which runs the subsidy (its district setting)."""

    def decide(hire: dict):
        case = parse_case({"kind": "enterprise", "hire": hire, "district": {"name": "渝中区"}})
        evaluation = yuzhong_offers_hiring_subsidy.evaluate(case, date(2020, 9, 15))
        return next(d for d in evaluation.decisions if d.program == "task23_one_off_hiring_subsidy")

    return decide


def test_a_settled_any_group_asks_nothing_of_its_other_branch(task23):
    decision = task23(HIRE)  # social insurance unknown; the contract term already settles its group
    assert decision.status == "needs_information"
    assert [m.fact for m in decision.missing] == ["hire.social_insurance_paid"]


def test_an_open_any_group_asks_for_both_branches(task23):
    decision = task23({**HIRE, "contract_end_date": None, "social_insurance_paid": True})
    assert [m.fact for m in decision.missing] == ["hire.contract_end_date", "hire.open_ended_contract"]


def test_a_failed_program_asks_nothing(task23):
    decision = task23({**HIRE, "social_insurance_paid": False, "contract_end_date": None})
    assert decision.status == "not_eligible"
    assert decision.missing == []


def test_conditions_inside_a_group_name_it(task23):
    groups = {c.id: c.group for c in task23(HIRE).conditions}
    assert groups["open_ended_contract"] == "签订1年以上劳动合同（满足其一即可）"
    assert groups["social_insurance_paid"] is None
