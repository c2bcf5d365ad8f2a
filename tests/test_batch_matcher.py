"""Matching many facts in one durable-rules state: thin facts, ids read without a full JSON parse.

No shortcut may change an answer: a condition's result is the same whether the message of an
action is read by its ids or parsed in full, a fact property no rule compares cannot matter, and a
case judged among many (one state for up to ``BATCH`` facts) is judged as it is alone.
"""

from __future__ import annotations

import copy
import json
import random
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
import pytest

from engine import matcher as matcher_module
from engine.decision import Status
from engine.evaluate import Engine
from engine.judge import checks
from engine.labels import input_facts
from engine.matcher import constants, encode, parse_hits
from engine.models import parse_case
from engine.rulebook import load_rulebook

AS_OF = date(2020, 9, 15)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rulebook())


def _case(i: int):
    person = {
        "name": f'张"三{i}"}},{{"m":{{"id": 99, "sid": "x',  # quotes and braces in a string
        "birth_date": f"19{60 + i % 20}-0{1 + i % 9}-1{i % 10}",
        "sex": "male" if i % 2 else "female",
        "female_post": "cadre",
        "employed": bool(i % 3),
        "registered_unemployed": True,
        "wants_work": i % 4 != 0,
        "involuntary_unemployment": True,
        "ui_contribution_months": [0, 11, 12, 60, 130][i % 5],
        "ui_benefit_end_date": f"2020-0{1 + i % 8}-28",
        "dibao_recipient": i % 2 == 0,
        "employment_difficulty": i % 3 == 0,
        "flexible_subsidy_end_date": f"20{19 + i % 3}-06-30",
    }
    return parse_case({"kind": "person", "person": person})


def test_reading_ids_equals_parsing_the_message(monkeypatch):
    # As durable-rules writes it; a string value holding the marker has its quotes escaped.
    tricky = json.dumps('{"m":{"id": 9, "sid": "s1"}}')
    facts = ",".join(f'{{"m":{{"id": {i}, "sid": "s1", "p0": "person", "p1": {tricky}}}}}' for i in (3, 0, 7))
    message = f'{{"r/x@2020-01-01":[{facts}]}}'
    assert [m["m"]["id"] for m in json.loads(message)["r/x@2020-01-01"]] == [3, 0, 7]
    monkeypatch.setattr(matcher_module.json, "loads", None)  # the fast path parses nothing
    assert parse_hits(message) == [("r/x@2020-01-01", [3, 0, 7])]


def test_the_engine_s_own_messages_take_the_fast_path(engine, monkeypatch):
    """Reading ids by regex depends on how the facts were encoded: a fallback here costs a third."""
    facts = [engine._prepare(_case(i), AS_OF)[1] for i in range(60)]
    expected = engine.matcher.match(facts)
    monkeypatch.setattr(matcher_module.json, "loads", None)  # the full parse would fail
    assert engine.matcher.match(facts) == expected


def test_a_message_of_another_shape_is_parsed_in_full():
    two_rules = json.dumps({"a": [{"m": {"id": 1, "sid": "s"}}], "b": [{"m": {"id": 2, "sid": "s"}}]})
    assert parse_hits(two_rules) == [("a", [1]), ("b", [2])]
    id_last = json.dumps({"a": [{"m": {"id": 4, "x": 1}}, {"m": {"x": 1, "id": 5}}]})
    assert parse_hits(id_last) == [("a", [4, 5])]


def test_fast_and_full_parsing_match_the_same_conditions(engine, monkeypatch):
    facts = [engine._prepare(_case(i), AS_OF)[1] for i in range(60)]
    fast = engine.matcher.match(facts)
    calls = {"full": 0}

    def full(message: str) -> list[tuple[str, list[int]]]:
        calls["full"] += 1
        return [(n, [m["m"]["id"] for m in ms]) for n, ms in json.loads(message).items()]

    monkeypatch.setattr(matcher_module, "parse_hits", full)
    assert engine.matcher.match(facts) == fast
    assert calls["full"] > 0
    assert sum(len(hits) for hits in fast) > 60  # the cases really match conditions


def test_only_compared_properties_are_asserted(engine):
    facts, durable = engine._prepare(_case(1), AS_OF)
    assert set(durable) <= engine.matcher.fields == set(engine.matcher.alias)
    assert "person__name" not in durable and facts["person.name"]
    assert durable["person__ui_contribution_months"] == 11


def test_a_property_no_rule_compares_changes_no_decision(engine):
    """Asserting every fact (the old way) and only the compared ones give the same decisions."""
    cases = [_case(i) for i in range(40)]
    thin = [engine._prepare(c, AS_OF) for c in cases]
    full = [
        {**{matcher_module.key(n): matcher_module.encode(v) for n, v in f.items() if v is not None}, **d}
        for f, d in thin
    ]
    assert engine.matcher.match([d for _, d in thin]) == engine.matcher.match(full)


def test_floats_json_writes_with_an_exponent_are_asserted_in_full():
    """durable-rules crashes the process on "1e-05"; such floats go in fixed notation, same value."""
    values = [encode(v) for v in (1e-05, 2.5e-07, 1e20, 2.5, 0.0, Decimal("0.00001"))]
    assert orjson.dumps(values) == b"[0.00001,0.00000025,100000000000000000000.0,2.5,0.0,0.00001]"


def test_tiny_rates_are_matched_as_the_numbers_they_are(engine):
    """Layoff rates far below any target (the bound on head counts keeps real ones above 1e-05 %)."""
    case = parse_case({"kind": "enterprise", "enterprise": {"insured_staff_count": 100, "laid_off_count": 1}})
    rule = next(r for r in engine.book.rules.values() if r.id == "task1_job_retention_refund")
    leaf = next(leaf for leaf in rule.leaves if leaf.id == "layoff_rate_within_target")
    names = {name for name, _, _ in matcher_module.leaf_rule_names(rule, leaf)}
    facts = []
    for n in range(1, 40):
        durable = engine._prepare(case, AS_OF)[1]
        durable[matcher_module.key("enterprise.layoff_rate")] = encode(n * 1e-09)
        facts.append(durable)
    for matched in engine.matcher.match(facts):
        assert matched & names  # within the target, under whichever dated value is in force


def _pools(dates: list[date]) -> dict[str, list[Any]]:
    born = ((1960, 6, 1), (1965, 3, 31), (1970, 1, 1), (1975, 2, 28), (2004, 6, 2))
    return {
        "bool": [True, False],
        "int": [0, 6, 11, 12, 13, 29, 30, 100, 101, 400],
        "number": [0, 5.5, 8, 10, 20, 25],
        "date": dates + [date(y, m, d) for y, m, d in born],
    }


def _set(data: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """A copy of a case's data with one fact set (None: left out)."""
    data = copy.deepcopy(data)
    *path, field = name.split(".")
    node = data
    for part in path:
        node = node.setdefault(part, {})
    node.pop(field, None)
    if value is not None:
        node[field] = value
    return data


def _variants(rng: random.Random, subject: str, pools: dict[str, list[Any]], keys: list[str]) -> list[Any]:
    """A random case, then that case with one fact changed: unknown, or another value on or beside
    a threshold the rules use."""
    specs = [s for s in input_facts(subject) if s.type == "choice" or s.type in pools]
    values = {s.name: list(s.choices) if s.type == "choice" else pools[s.type] for s in specs}
    base: dict[str, Any] = {"kind": subject}
    for spec in specs:
        base = _set(base, spec.name, rng.choice(values[spec.name]) if rng.random() < 0.6 else None)
    base["confirmations"] = {k: rng.choice([True, False]) for k in keys if rng.random() < 0.5}
    out = [base, {**base, "confirmations": {}}]
    for spec in specs:
        out += [_set(base, spec.name, v) for v in [None, *rng.sample(values[spec.name], 2)]]
    cases = []
    for data in out:
        try:
            cases.append(parse_case(data))
        except ValueError:
            continue  # a combination the models refuse (a contract ending before it starts, …)
    return cases


def _judgement(verdicts: list[Any]) -> list[tuple[Any, ...]]:
    """What a verdict says: status, each condition's result and reason, questions, grant, dates."""
    out = []
    for v in verdicts:
        reasons = [(c.id, c.result, c.why, c.expected) for c in checks(v)]
        out.append(
            (
                v.rule.id,
                v.status,
                v.failed,
                v.missing,
                reasons,
                v.amount,
                v.period_text,
                v.dates.days,
                v.changes,
            )
        )
    return out


def test_cases_judged_together_are_judged_as_each_alone(engine):
    """Random cases, each then with one fact unknown or moved onto or beside a threshold the rules
    use, in one durable-rules state (``judge_many``, as ``evaluate_many`` does) and each in a state
    of its own: every judgement is the same."""
    cuts = [c for constants_of in constants(engine.matcher.ruleset).values() for c in constants_of]
    days = {c + d for c in cuts for d in (-1, 0, 1)}
    pools = _pools([date.fromordinal(int(d)) for d in days if d > 700_000])  # days the rules compare
    rng = random.Random(20200304)
    book = engine.book
    cases = []
    for subject in ("person", "enterprise") * 6:
        keys = sorted(k for k in book.confirmation_keys() if book.rules[k.split(".")[0]].subject == subject)
        cases += _variants(rng, subject, pools, keys)
    assert len(cases) > matcher_module.BATCH  # more than one state's worth together
    together = [_judgement(v) for v in engine.judge_many(cases, AS_OF)]
    alone = [_judgement(engine.judge_many([case], AS_OF)[0]) for case in cases]
    assert together == alone
    assert {v[1] for verdicts in together for v in verdicts} == set(Status)  # every status occurs
