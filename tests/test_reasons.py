"""A condition's reason is a sentence about the person, in the notice's terms, from the rule file.

Every shipped condition carries ``holds`` and ``fails`` in Chinese and English; they say what is so
of the applicant (申请人目前未就业), never how the engine compared it (“目前已就业为否，要求为否”),
which stays in ``detail`` for reviewers.
"""

import json
import re
from datetime import date
from itertools import product
from pathlib import Path

import pytest

from engine.evaluate import Engine, default_engine
from engine.facts import FACTS
from engine.models import parse_case
from engine.rulebook import load_rulebook, rules_dir
from engine.schema import decision_schema

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
BOOK = load_rulebook()
LEAVES = [(rule, leaf) for rule in BOOK.rules.values() for leaf in rule.leaves]
FACT_NAMES = sorted(FACTS, key=len, reverse=True)
# How the engine compares (为是/为否, 要求…), and what names the repository, not the person.
# “有就业要求”“有求职要求” are the notice's own words; “，要求…” and “要求为…” are the engine's.
ENGINE_WORDS = re.compile(r"为是|为否|要求为|，要求|满足：|Met:|Not met|; required|is yes|is no\b")
REPO_WORDS = re.compile(r"\.ya?ml|rules/|task\d|[a-z]+_[a-z_]+|person\.|enterprise\.|hire\.|SOURCES")


def test_there_are_leaves_to_check():
    assert len(LEAVES) > 80


@pytest.mark.parametrize(("rule", "leaf"), LEAVES, ids=[f"{r.id}.{leaf.id}" for r, leaf in LEAVES])
def test_every_leaf_says_what_holds_and_what_fails_in_plain_words(rule, leaf):
    for lang in ("zh", "en"):
        holds, fails = leaf.holds(lang), leaf.fails(lang)
        assert holds.strip() and fails.strip() and holds != fails, (lang, holds, fails)
        for sentence in (holds, fails):
            assert not ENGINE_WORDS.search(sentence), sentence
            assert not REPO_WORDS.search(sentence), sentence
            assert rule.id not in sentence, sentence
    assert re.search(r"[\u4e00-\u9fff]", leaf.holds("zh") + leaf.fails("zh"))


@pytest.mark.parametrize(("rule", "leaf"), LEAVES, ids=[f"{r.id}.{leaf.id}" for r, leaf in LEAVES])
def test_no_sentence_quotes_a_count_of_days(rule, leaf):
    """A count of days between two dates is worded by its dates (timing), never quoted as a number."""
    if leaf.fact and FACTS[leaf.fact].unit == "天" and len(FACTS[leaf.fact].derived_from) == 2:
        for sentence in (leaf.holds.zh, leaf.holds.en, leaf.fails.zh, leaf.fails.en):
            assert "{value}" not in sentence, (rule.id, leaf.id, sentence)


PERSON = {
    "kind": "person",
    "person": {"registered_unemployed": True, "employment_difficulty": True},
}


def _conditions(data: dict, program: str, lang: str = "zh", **confirmations: bool):
    case = parse_case({**data, "confirmations": confirmations})
    evaluation = default_engine().evaluate(case, date(2020, 9, 15), lang)
    decision = next(d for d in evaluation.decisions if d.program == program)
    return {c.id: c for c in decision.conditions}


def test_a_met_condition_reads_its_holds_sentence_and_keeps_the_comparison_as_detail():
    c = _conditions(PERSON, "task53_employment_assistance")["employment_difficulty"]
    assert (c.result, c.reason) == ("met", "申请人经认定为就业困难人员")
    assert c.detail == "满足：就业困难人员为是，要求为是"


def test_a_failed_condition_reads_its_fails_sentence_in_either_language():
    data = {"kind": "person", "person": {"registered_unemployed": True, "employment_difficulty": False}}
    zh = _conditions(data, "task53_employment_assistance")["employment_difficulty"]
    en = _conditions(data, "task53_employment_assistance", "en")["employment_difficulty"]
    assert (zh.result, zh.reason) == ("not_met", "申请人未经认定为就业困难人员")
    assert en.reason == "The applicant is not recognised as a person with employment difficulty"
    assert en.detail == "Not met: Person with employment difficulty (“就业困难人员”) is no; required yes"


@pytest.mark.parametrize(
    ("months", "zh", "en"),
    [
        (12, "申请人失业保险累计缴费12个月，满12个月", "for 12 months in all, 12 months or more"),
        (11, "申请人失业保险累计缴费11个月，不满12个月", "for 11 months in all, less than 12 months"),
    ],
)
def test_a_sentence_quotes_the_value_and_the_threshold(months, zh, en):
    data = {"kind": "person", "person": {"ui_contribution_months": months}}
    assert _conditions(data, "task55_unemployment_benefit")["contributed_one_year"].reason == zh
    assert en in _conditions(data, "task55_unemployment_benefit", "en")["contributed_one_year"].reason


def test_an_unknown_condition_says_what_is_not_yet_known_as_the_question_to_ask():
    data = {"kind": "person", "person": {"registered_unemployed": True}}
    c = _conditions(data, "task53_employment_assistance")["employment_difficulty"]
    assert (c.result, c.reason, c.detail) == ("unknown", "尚不清楚：申请人是否经认定为就业困难人员？", None)


def test_a_confirmation_reads_the_same_sentences_once_the_caseworker_has_answered():
    data = {"kind": "person", "person": {"employed": False, "living_difficulty": True}}
    key = "task58_social_assistance.meets_assistance_criteria"
    asked = _conditions(data, "task58_social_assistance")["meets_assistance_criteria"]
    assert asked.reason == "尚待经办人核实：按规定符合最低生活保障或临时救助条件"
    yes = _conditions(data, "task58_social_assistance", **{key: True})["meets_assistance_criteria"]
    no = _conditions(data, "task58_social_assistance", **{key: False})["meets_assistance_criteria"]
    assert yes.reason == "申请人及其家庭按规定符合最低生活保障或临时救助条件"
    assert (no.reason, no.detail) == ("申请人及其家庭不符合最低生活保障或临时救助条件", "经办人核实为否")


def test_the_window_is_worded_by_its_dates():
    data = {"kind": "enterprise", "enterprise": {"application_date": "2021-01-04", "ui_insured": True}}
    window = _conditions(data, "task1_job_retention_refund")["window"]
    assert window.reason == "申请日期2021-01-04不在实施期限（至2020-12-31）内"


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_no_published_reason_speaks_engine_words(sample):
    """The shipped samples' reasons, every program, both languages, on two dates: sentences only."""
    case = parse_case(json.loads(sample.read_text("utf-8")))
    for as_of, lang in product((date(2020, 9, 15), date(2021, 6, 1)), ("zh", "en")):
        for d in default_engine().evaluate(case, as_of, lang).decisions:
            for c in d.conditions:
                assert not ENGINE_WORDS.search(c.reason), (d.program, c.reason)
                assert not REPO_WORDS.search(c.reason), (d.program, c.reason)


def test_the_schema_describes_reason_and_detail():
    props = decision_schema()["$defs"]["ConditionResult"]["properties"]
    assert "申请人目前未就业" in props["reason"]["description"]
    assert props["detail"]["anyOf"] == [{"type": "string"}, {"type": "null"}]


def test_a_district_setting_not_yet_declared_says_so_in_its_own_words():
    data = {"kind": "enterprise", "district": {"name": "云阳县"}, "hire": {"hire_date": "2020-03-16"}}
    c = _conditions(data, "task23_one_off_hiring_subsidy")["district_offers"]
    assert c.result == "unknown"
    assert c.reason.startswith("云阳县尚未声明：本区县实施一次性吸纳就业补贴")


def test_a_condition_that_moves_with_time_without_timing_words_gives_the_day(tmp_path):
    """Without a ``timing`` text, the sentence is said with the day its result changes."""
    for path in rules_dir().glob("task*.yaml"):
        text = path.read_text("utf-8")
        if path.stem == "task48_unemployment_registration":
            text, removed = re.subn(r"      timing:\n(        .*\n){2}", "", text)
            assert removed == 2
        (tmp_path / path.name).write_text(text, "utf-8")
    engine = Engine(load_rulebook(tmp_path))

    def reason(birth: str, leaf: str, lang: str = "zh") -> str:
        case = parse_case({"kind": "person", "person": {"birth_date": birth, "sex": "male"}})
        decisions = engine.evaluate(case, date(2020, 9, 15), lang).decisions
        registration = next(d for d in decisions if d.program == "task48_unemployment_registration")
        return next(c.reason for c in registration.conditions if c.id == leaf)

    assert reason("2004-09-20", "at_least_16") == "申请人现年15岁，未满16岁（2020-09-20起满足）"
    assert reason("2004-09-20", "at_least_16", "en") == "The applicant is 15, under 16 (met from 2020-09-20)"
    assert reason("1960-10-01", "at_least_16") == "申请人现年59岁，已年满16岁"  # it does not change back
    assert reason("1960-10-01", "before_retirement") == "申请人未达到法定退休年龄（至2020-09-30止）"
