"""The engine end to end: cases in, decisions out, matched by durable-rules.

The decisive tests here fail if the durable-rules network is bypassed: a decision must change when
the compiled durable-rules JSON changes, even though the rule files do not.
"""

from __future__ import annotations

import copy
import json
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine import matcher as matcher_module
from engine.decision import Evaluation, Status
from engine.evaluate import Engine
from engine.models import parse_case
from engine.rulebook import load_rulebook
from engine.schema import decision_schema

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
AS_OF = date(2020, 9, 15)

BENEFIT = "task55_unemployment_benefit"
TO_RETIREMENT = "task55_benefit_to_retirement"
FLEXIBLE = "task32_flexible_employment_subsidy_extension"
DIBAO = "task59_dibao_gradual_exit"
HIRING = "task23_one_off_hiring_subsidy"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rulebook())


def decision(evaluation: Evaluation, program: str):
    return next(d for d in evaluation.decisions if d.program == program)


def benefit_case(months: int | None, benefit_end: str = "2021-06-30") -> Any:
    person = {
        "birth_date": "1961-03-10",
        "sex": "male",
        "employed": False,
        "involuntary_unemployment": True,
        "registered_unemployed": True,
        "wants_work": True,
        "ui_contribution_months": months,
        "ui_benefit_start_date": "2020-07-01",
        "ui_benefit_end_date": benefit_end,
    }
    return parse_case({"kind": "person", "person": person})


def summary(evaluation: Evaluation) -> list[tuple[str, str, str | None, tuple]]:
    """What a caseworker reads: each program's status, period and dates."""
    return [
        (
            d.program,
            d.status.value,
            d.grant.period_text if d.grant else None,
            tuple((k.id, k.date) for k in d.dates),
        )
        for d in evaluation.decisions
    ]


# --- end to end ---------------------------------------------------------------------------------


def test_person_case_end_to_end(engine):
    case = parse_case(json.loads((SAMPLES / "person-near-retirement.json").read_text("utf-8")))
    result = engine.evaluate(case, AS_OF)
    assert result.case_id == "SAMPLE-P-001"
    assert result.subject == "person"
    assert result.rules_version == engine.book.version

    to_retirement = decision(result, TO_RETIREMENT)
    assert to_retirement.status == Status.eligible
    assert {k.id: k.date for k in to_retirement.dates} == {
        "benefit_end": date(2020, 8, 31),
        "retirement_date": date(2021, 3, 10),  # from the ID number: a man born 1961-03-10
    }
    # 150 months paid: 24 months from 2018-09-01, so the benefit ran out on 2020-08-31, before AS_OF.
    benefit = decision(result, BENEFIT)
    assert (benefit.status, benefit.grant) == (Status.not_eligible, None)
    assert [c.id for c in benefit.conditions if c.result == "not_met"] == ["entitlement_ended"]
    assert {k.id: k.date for k in benefit.dates}["paid_until"] == date(2020, 8, 31)
    earlier = decision(engine.evaluate(case, date(2020, 8, 31)), BENEFIT)
    assert (earlier.status, earlier.grant.period_months) == (Status.eligible, 24)
    assert earlier.timeline.eligible_until == date(2020, 8, 31)
    flexible = decision(result, FLEXIBLE)
    assert flexible.status == Status.eligible
    assert {k.id: k.date for k in flexible.dates}["extension_end"] == date(2021, 6, 30)
    dibao = decision(result, DIBAO)
    assert dibao.status == Status.not_eligible
    assert dibao.grant is None and dibao.dates == []
    assert all(d.subject == "person" for d in result.decisions)


def test_enterprise_case_end_to_end(yuzhong_offers_hiring_subsidy):
    engine = yuzhong_offers_hiring_subsidy
    case = parse_case(json.loads((SAMPLES / "enterprise-hiring.json").read_text("utf-8")))
    result = engine.evaluate(case, AS_OF)
    hiring = decision(result, HIRING)
    assert hiring.status == Status.eligible
    assert hiring.grant.amount.local_standard is True
    results = {c.id: c.result.value for c in hiring.conditions}
    assert results == {
        "window": "met",
        "district_offers": "met",
        "registered_unemployed_half_year": "met",
        "contract_term_one_year": "met",
        "open_ended_contract": "unknown",  # not stated; the one-year term already suffices (任一项)
        "social_insurance_paid": "met",
    }
    assert all(d.subject == "enterprise" for d in result.decisions)
    assert not any(d.program == BENEFIT for d in result.decisions)

    later = case.model_copy(update={"hire": case.hire.model_copy(update={"hire_date": date(2021, 1, 1)})})
    assert decision(engine.evaluate(later, AS_OF), HIRING).status == Status.not_eligible


def test_a_missing_fact_asks_its_question(engine):
    result = engine.evaluate(benefit_case(None), AS_OF)
    benefit = decision(result, BENEFIT)
    assert benefit.status == Status.needs_information
    assert [m.fact for m in benefit.missing] == ["person.ui_contribution_months"]
    assert benefit.missing[0].question == "申请人失业保险累计缴费多少个月？"


def test_a_stated_end_that_has_passed_ends_the_benefit_without_asking(engine):
    """2020-08-31 is the benefit's last day: on 2020-09-15 it has ended, whatever is unknown."""
    benefit = decision(engine.evaluate(benefit_case(None, "2020-08-31"), AS_OF), BENEFIT)
    assert (benefit.status, benefit.phase, benefit.status_text) == ("not_eligible", "ended", "已期满")
    assert benefit.missing == []
    assert benefit.conditions[0].reason == "失业保险金已于2020-08-31领取期满"
    on_last_day = decision(engine.evaluate(benefit_case(None, "2020-08-31"), date(2020, 8, 31)), BENEFIT)
    assert on_last_day.status == Status.needs_information
    assert on_last_day.timeline is not None and on_last_day.timeline.eligible_until is None


# --- the published JSON Schema ------------------------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = decision_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("sample", ["person-near-retirement.json", "enterprise-hiring.json"])
def test_json_output_validates_against_the_published_schema(engine, validator, sample):
    case = parse_case(json.loads((SAMPLES / sample).read_text("utf-8")))
    for lang in ("zh", "en"):
        output = json.loads(engine.evaluate(case, AS_OF, lang).model_dump_json())
        errors = [e.message for e in validator.iter_errors(output)]
        assert errors == []


def test_the_schema_refuses_output_it_does_not_describe(engine, validator):
    output = json.loads(engine.evaluate(benefit_case(36), AS_OF).model_dump_json())
    assert validator.is_valid(output)
    bad_status = copy.deepcopy(output)
    bad_status["decisions"][0]["status"] = "maybe"
    no_citation = copy.deepcopy(output)
    del no_citation["decisions"][0]["citation"]
    bad_date = copy.deepcopy(output)
    bad_date["as_of"] = "15/09/2020"
    for broken in (bad_status, no_citation, bad_date):
        assert not validator.is_valid(broken)


# --- durable-rules does the matching ------------------------------------------------------------


def test_no_matches_from_durable_rules_means_no_condition_is_met(engine, monkeypatch):
    case = benefit_case(36)
    assert decision(engine.evaluate(case, AS_OF), BENEFIT).status == Status.eligible
    monkeypatch.setattr(engine.matcher, "match", lambda facts: [matcher_module.Matches() for _ in facts])
    result = engine.evaluate(case, AS_OF)
    benefit = decision(result, BENEFIT)
    assert benefit.status == Status.not_eligible
    assert {c.result.value for c in benefit.conditions} == {"not_met"}
    assert decision(result, TO_RETIREMENT).status == Status.not_eligible


def test_the_engine_asserts_the_case_into_durable_rules(monkeypatch):
    calls: list[list[dict]] = []
    real = matcher_module.dre.assert_facts

    def spy(handle, payload):
        calls.append(json.loads(payload))
        return real(handle, payload)

    monkeypatch.setattr(matcher_module.dre, "assert_facts", spy)
    engine = Engine(load_rulebook())
    engine.evaluate(benefit_case(36), AS_OF)
    assert len(calls) == 1
    [asserted] = calls[0]
    alias = engine.matcher.alias  # inside durable-rules, properties go by short aliases
    fact = {name: asserted[a] for name, a in alias.items() if a in asserted}
    assert fact["person__ui_contribution_months"] == 36
    assert fact["person__days_since_benefit_end"] == (AS_OF - date(2021, 6, 30)).days
    assert "person__ui_benefit_end_date" not in alias  # no rule compares it: not asserted


def test_the_matcher_reports_durable_rule_names(engine):
    _, fact_12 = engine._prepare(benefit_case(12), AS_OF)
    _, fact_11 = engine._prepare(benefit_case(11), AS_OF)
    hits_12, hits_11 = engine.matcher.match([fact_12, fact_11])
    name = f"{BENEFIT}/contributed_one_year@1999-01-22"
    assert name in engine.matcher.ruleset
    assert name in hits_12
    assert name not in hits_11
    assert f"{BENEFIT}/involuntary" in hits_11


def _tamper(ruleset: dict[str, Any], rule_name: str, fact: str, old: Any, new: Any) -> dict[str, Any]:
    """A copy of the compiled durable-rules JSON with one comparison's threshold changed."""
    out = copy.deepcopy(ruleset)
    changed = 0

    def walk(node: Any) -> None:
        nonlocal changed
        if isinstance(node, dict):
            for k, v in node.items():
                if k == fact and v == old:
                    node[k] = new
                    changed += 1
                else:
                    walk(v)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(out[rule_name])
    assert changed == 1, f"{rule_name}: expected one `{fact}` = {old}"
    return out


def _engine_with(monkeypatch, rule_name: str, fact: str, old: Any, new: Any) -> Engine:
    real = matcher_module.compile_rulebook
    monkeypatch.setattr(
        matcher_module,
        "compile_rulebook",
        lambda book: _tamper(real(book), rule_name, fact, old, new),
    )
    return Engine(load_rulebook())


def test_a_changed_durable_threshold_changes_the_decision(engine, monkeypatch):
    """The rule file says 12 months; only the compiled durable-rules network says 13."""
    tampered = _engine_with(
        monkeypatch, f"{BENEFIT}/contributed_one_year@1999-01-22", "person__ui_contribution_months", 12, 13
    )
    case = benefit_case(12)
    assert decision(engine.evaluate(case, AS_OF), BENEFIT).status == Status.eligible
    assert decision(tampered.evaluate(case, AS_OF), BENEFIT).status == Status.not_eligible
    assert decision(tampered.evaluate(benefit_case(13), AS_OF), BENEFIT).status == Status.eligible
    assert tampered.book.rules[BENEFIT].parameters["min_contribution_months"].at(AS_OF) == 12


def test_a_changed_durable_threshold_moves_the_retirement_boundary(engine, monkeypatch):
    """“不足1年”: exactly 12 months before retirement is refused, unless the network says 13."""
    tampered = _engine_with(
        monkeypatch,
        f"{TO_RETIREMENT}/less_than_one_year_to_retirement@2020-03-04",
        "person__months_to_retirement_at_benefit_end",
        12,
        13,
    )
    case = benefit_case(36, benefit_end="2020-03-10")  # retires 2021-03-10: exactly 12 months
    assert decision(engine.evaluate(case, AS_OF), TO_RETIREMENT).status == Status.not_eligible
    assert decision(tampered.evaluate(case, AS_OF), TO_RETIREMENT).status == Status.eligible


# --- concurrency and state cleanup --------------------------------------------------------------


def _varied_cases(n: int) -> list[Any]:
    ends = ["2020-03-09", "2020-03-10", "2020-03-11", "2021-03-09", "2021-03-10", None]
    months = [None, 0, 11, 12, 59, 60, 119, 120]
    return [benefit_case(months[i % len(months)], ends[i % len(ends)]) for i in range(n)]


def test_four_threads_give_the_sequential_results(engine):
    cases = _varied_cases(200)
    expected = [summary(engine.evaluate(c, AS_OF)) for c in cases]
    assert len({repr(s) for s in expected}) > 10  # the cases really differ
    results: dict[int, list] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work(worker: int) -> None:
        # Each thread starts at a different case, so different cases are matched at the same time.
        order = [(i + 50 * worker) % len(cases) for i in range(len(cases))]
        try:
            barrier.wait()
            got = {i: summary(engine.evaluate(cases[i], AS_OF)) for i in order}
            results[worker] = [got[i] for i in range(len(cases))]
        except BaseException as err:  # reported below, not lost in the thread
            errors.append(err)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert sorted(results) == [0, 1, 2, 3]
    for worker in range(4):
        assert results[worker] == expected, f"thread {worker} differs from the sequential run"


def test_more_than_1024_evaluations_in_one_process(engine):
    """durable-rules holds at most 1024 live states: each evaluation must delete its own."""
    eligible, refused = benefit_case(12), benefit_case(11)
    statuses = [
        decision(engine.evaluate(eligible if i % 2 else refused, AS_OF), BENEFIT).status for i in range(1100)
    ]
    assert statuses == [Status.eligible if i % 2 else Status.not_eligible for i in range(1100)]


def test_a_batch_larger_than_a_state_matches_like_single_cases(engine):
    cases = _varied_cases(1100)  # three durable-rules states of at most 500 facts
    period = 24  # the varied cases repeat every 24
    one_by_one = [summary(engine.evaluate(c, AS_OF)) for c in cases[:period]]
    batch = [summary(e) for e in engine.evaluate_many(cases, AS_OF)]
    assert batch == [one_by_one[i % period] for i in range(len(cases))]
