"""The one step vocabulary of the feature files, in Chinese.

Policy staff write scenarios with these steps only; field names are the form's Chinese labels and
programs are named by their Chinese titles. A step naming an unknown field, program, condition or
date fails with the list of the known ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from pytest_bdd import given, parsers, then, when

from engine.applications import find_program
from engine.decision import Decision, Evaluation
from engine.districts import districts, load_districts
from engine.errors import describe
from engine.evaluate import Engine, default_engine
from engine.labels import fact_by_label, parse_value, set_fact
from engine.models import parse_case
from engine.rulebook import load_rulebook, rules_dir

# The result as people read it (``Decision.phase``): 尚未符合 and 已期满 are not refusals.
STATUS = {
    "符合": "eligible",
    "不符合": "not_eligible",
    "需补充信息": "needs_information",
    "尚未符合": "not_yet",
    "已期满": "ended",
}
RESULT = {"满足": "met", "不满足": "not_met", "未知": "unknown"}
SUGGESTED = {"现在符合": "eligible", "届时符合": "eligible_from", "还需一个回答": "one_answer"}
NAMES = r"(?P<names>(“[^”]+”、?)+)"  # “甲”、“乙”: one or more quoted names


def _names(text: str) -> list[str]:
    return re.findall(r"“([^”]+)”", text)


@dataclass
class Situation:
    subject: str = "person"
    as_of: date | None = None
    data: dict[str, Any] = field(default_factory=dict)
    confirmations: dict[str, bool] = field(default_factory=dict)
    evaluation: Evaluation | None = None
    errors: list[str] = field(default_factory=list)
    declarations: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    applied_for: list[str] = field(default_factory=list)
    engine: Engine | None = None

    def decision(self, title: str) -> Decision:
        assert self.evaluation is not None, "先写“当评估资格时”"
        for d in self.evaluation.decisions:
            if title in (d.title, d.program):
                return d
        known = "、".join(d.title for d in self.evaluation.decisions)
        raise AssertionError(f"没有项目“{title}”。本案可评估的项目：{known}")


@pytest.fixture
def situation() -> Situation:
    return Situation()


@pytest.fixture
def district_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A district settings table of the scenario's own, read as a deployment reads its own."""
    path = tmp_path / "districts.yaml"
    monkeypatch.setenv("SUBSIDY_DISTRICTS_FILE", str(path))
    yield path
    districts.cache_clear()


def _set(situation: Situation, label: str, value: str) -> None:
    spec = fact_by_label(label, situation.subject)
    set_fact(situation.data, spec.name, parse_value(spec, value))


@given(parsers.parse("评估日期为{day}"))
def as_of(situation: Situation, day: str) -> None:
    situation.as_of = date.fromisoformat(day.strip().strip('“”"'))


@given("申请人为个人")
def person_case(situation: Situation) -> None:
    situation.subject = "person"


@given("申请单位为企业")
def enterprise_case(situation: Situation) -> None:
    situation.subject = "enterprise"


@given(parsers.re(r"“(?P<label>[^”]+)”为“(?P<value>[^”]*)”"))
def one_fact(situation: Situation, label: str, value: str) -> None:
    _set(situation, label, value)


@given(
    parsers.re(
        r"区县“(?P<name>[^”]+)”自(?P<day>[0-9-]+)起声明“(?P<label>[^”]+)”为“(?P<value>[是否])”（依据“(?P<doc>[^”]+)”）"
    )
)
def district_declares(situation: Situation, name: str, day: str, label: str, value: str, doc: str) -> None:
    terms = {t.label.zh: key for key, t in load_districts().terms.items()}
    assert label in terms, f"没有区县设置“{label}”。已知设置：{'、'.join(terms)}"
    declared = {"from": day, "value": value == "是", "document": doc}
    situation.declarations.setdefault(name, {}).setdefault(terms[label], []).append(declared)


@given(parsers.re(r"(申请人|单位)情况如下[:：]?"))
def fact_table(situation: Situation, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header[:2] == ["字段", "值"], "表格第一行应为 | 字段 | 值 |"
    for label, value, *_ in rows:
        _set(situation, label, value)


@given(parsers.re(r"经办人确认“(?P<title>[^”]+)”的“(?P<text>[^”]+)”为“(?P<value>[是否])”"))
def confirm(situation: Situation, title: str, text: str, value: str) -> None:
    for rule in default_engine().book.rules.values():
        if title in (rule.title.zh, rule.id):
            for leaf in rule.leaves:
                if leaf.confirm is not None and text in (leaf.text.zh, leaf.id):
                    situation.confirmations[rule.confirmation_key(leaf)] = value == "是"
                    return
            raise AssertionError(f"“{title}”没有需确认的条件“{text}”")
    raise AssertionError(f"没有项目“{title}”")


@given(parsers.re("申请事项为" + NAMES))
def applies_for(situation: Situation, names: str) -> None:
    """Programs by their Chinese title (or id); an unknown name is passed on, for the engine to refuse."""
    book = default_engine().book
    for name in _names(names):
        rule = find_program(book, name)
        situation.applied_for.append(rule.id if rule else name)


@when("评估资格时")
def evaluate(situation: Situation, request: pytest.FixtureRequest) -> None:
    data = {**situation.data, "kind": situation.subject, "confirmations": situation.confirmations}
    if situation.applied_for:
        data["applied_for"] = situation.applied_for
    try:
        case = parse_case(data)
    except ValidationError as err:
        situation.errors = [str(e) for e in describe(err)]
        return
    assert situation.as_of is not None, "先写“假如评估日期为 YYYY-MM-DD”"
    engine = default_engine()
    if situation.declarations:
        path = request.getfixturevalue("district_file")
        table = yaml.safe_load((rules_dir() / "districts.yaml").read_text(encoding="utf-8"))
        table["districts"].update(situation.declarations)
        path.write_text(yaml.safe_dump(table, allow_unicode=True), encoding="utf-8")
        districts.cache_clear()
        engine = Engine(load_rulebook())  # memories of its own: the settings differ from the shipped ones
    situation.engine = engine
    try:
        situation.evaluation = engine.evaluate(case, situation.as_of)
    except ValueError as err:  # what the engine refuses: an unknown program or confirmation
        situation.errors = [str(err)]


@then(parsers.re(r"“(?P<title>[^”]+)”的结果为“(?P<status>[^”]+)”"))
def status_is(situation: Situation, title: str, status: str) -> None:
    assert status in STATUS, f"结果应为：{'、'.join(STATUS)}"
    assert not situation.errors, f"案件被退回：{situation.errors}"
    d = situation.decision(title)
    reasons = "\n".join(c.reason for c in d.conditions)
    assert d.phase == STATUS[status], f"“{title}”的结果为 {d.status_text}，而不是{status}。\n{reasons}"


@then(parsers.re(r"“(?P<title>[^”]+)”的结论文字为“(?P<word>[^”]+)”"))
def status_text_is(situation: Situation, title: str, word: str) -> None:
    d = situation.decision(title)
    assert d.status_text == word, f"“{title}”的结论文字为“{d.status_text}”"


@then(parsers.re(r"“(?P<title>[^”]+)”的条件“(?P<text>[^”]+)”为“(?P<result>[^”]+)”"))
def condition_is(situation: Situation, title: str, text: str, result: str) -> None:
    assert result in RESULT, f"条件结果应为：{'、'.join(RESULT)}"
    d = situation.decision(title)
    for c in d.conditions:
        if text in (c.text, c.id):
            assert c.result == RESULT[result], f"{c.text}：{c.reason}"
            return
    known = "、".join(c.text for c in d.conditions)
    raise AssertionError(f"“{title}”没有条件“{text}”。已知条件：{known}")


@then(parsers.re(r"“(?P<title>[^”]+)”的日期“(?P<label>[^”]+)”为“(?P<day>[^”]*)”"))
def date_is(situation: Situation, title: str, label: str, day: str) -> None:
    d = situation.decision(title)
    for k in d.dates:
        if label in (k.label, k.id):
            assert (k.date.isoformat() if k.date else "") == day, f"{k.label}为{k.date}"
            return
    known = "、".join(k.label for k in d.dates)
    raise AssertionError(f"“{title}”没有日期“{label}”。已知日期：{known}")


@then(parsers.re(r"“(?P<title>[^”]+)”的标准为“(?P<text>[^”]+)”"))
def amount_is(situation: Situation, title: str, text: str) -> None:
    d = situation.decision(title)
    assert d.grant and d.grant.amount, f"“{title}”没有给出标准"
    assert d.grant.amount.text == text, f"标准为“{d.grant.amount.text}”"


@then(parsers.re(r"“(?P<title>[^”]+)”的期限为“(?P<text>[^”]+)”"))
def period_is(situation: Situation, title: str, text: str) -> None:
    d = situation.decision(title)
    assert d.grant and d.grant.period_text, f"“{title}”没有给出期限"
    assert d.grant.period_text == text, f"期限为“{d.grant.period_text}”"


@then(parsers.re(r"“(?P<title>[^”]+)”需询问“(?P<label>[^”]+)”"))
def asks_for(situation: Situation, title: str, label: str) -> None:
    d = situation.decision(title)
    asked = [m.label for m in d.missing]
    assert label in asked, f"“{title}”需询问的是：{'、'.join(asked) or '（无）'}"


@then(parsers.re(r"“(?P<title>[^”]+)”尚未符合，自“(?P<day>[^”]+)”起符合"))
def not_yet(situation: Situation, title: str, day: str) -> None:
    d = situation.decision(title)
    assert d.status == "not_eligible", f"“{title}”的结果为 {d.status}：{d.summary}"
    found = d.timeline.eligible_from if d.timeline else None
    assert found == date.fromisoformat(day), f"“{title}”：{d.timeline.text if d.timeline else '没有日期'}"


@then(parsers.re(r"“(?P<title>[^”]+)”符合至“(?P<day>[^”]+)”止"))
def eligible_until(situation: Situation, title: str, day: str) -> None:
    d = situation.decision(title)
    found = d.timeline.eligible_until if d.timeline else None
    assert found == date.fromisoformat(day), f"“{title}”：{d.timeline.text if d.timeline else '没有日期'}"


@then(parsers.re(r"“(?P<title>[^”]+)”不随时间变化"))
def no_timeline(situation: Situation, title: str) -> None:
    d = situation.decision(title)
    assert d.timeline is None, f"“{title}”：{d.timeline.text if d.timeline else ''}"


@then(parsers.re(r"“(?P<title>[^”]+)”的条件“(?P<text>[^”]+)”的理由为“(?P<reason>[^”]+)”"))
def reason_is(situation: Situation, title: str, text: str, reason: str) -> None:
    d = situation.decision(title)
    for c in d.conditions:
        if text in (c.text, c.id):
            assert c.reason == reason, f"{c.text}：{c.reason}"
            return
    raise AssertionError(f"“{title}”没有条件“{text}”")


@then(parsers.re(r"“(?P<title>[^”]+)”的条件“(?P<text>[^”]+)”的核对依据为“(?P<detail>[^”]+)”"))
def detail_is(situation: Situation, title: str, text: str, detail: str) -> None:
    """The comparison behind a reason, kept apart from it for reviewers."""
    d = situation.decision(title)
    for c in d.conditions:
        if text in (c.text, c.id):
            assert c.detail == detail, f"{c.text}：{c.detail}"
            return
    raise AssertionError(f"“{title}”没有条件“{text}”")


@then(parsers.re(r"“(?P<title>[^”]+)”不询问“(?P<label>[^”]+)”"))
def does_not_ask(situation: Situation, title: str, label: str) -> None:
    asked = [m.label for m in situation.decision(title).missing]
    assert label not in asked, f"“{title}”需询问的是：{'、'.join(asked)}"


@then(parsers.re(r"本案(?P<no>不)?询问“(?P<label>[^”]+)”"))
def case_asks(situation: Situation, no: str | None, label: str) -> None:
    assert situation.evaluation is not None
    asked = [q.label for q in situation.evaluation.questions]
    assert (label in asked) != bool(no), f"本案需询问的是：{'、'.join(asked) or '（无）'}"


@then(parsers.re(r"本案首先询问“(?P<label>[^”]+)”"))
def asks_first(situation: Situation, label: str) -> None:
    assert situation.evaluation is not None
    asked = [q.label for q in situation.evaluation.questions]
    assert asked and asked[0] == label, f"本案需询问的是：{'、'.join(asked) or '（无）'}"


@then(parsers.re("本案依次询问" + NAMES))
def asks_in_order(situation: Situation, names: str) -> None:
    assert situation.evaluation is not None, f"案件被退回：{situation.errors}"
    asked = [q.label for q in situation.evaluation.questions]
    assert asked == _names(names), f"本案需询问的是：{'、'.join(asked) or '（无）'}"


@then(parsers.re(r"本案先询问“(?P<first>[^”]+)”，后询问“(?P<then>[^”]+)”"))
def asks_before(situation: Situation, first: str, then: str) -> None:
    assert situation.evaluation is not None, f"案件被退回：{situation.errors}"
    asked = [q.label for q in situation.evaluation.questions]
    assert first in asked and then in asked, f"本案需询问的是：{'、'.join(asked) or '（无）'}"
    assert asked.index(first) < asked.index(then), f"本案需询问的是：{'、'.join(asked)}"


@then(parsers.re(r"本案至多询问(?P<n>[0-9]+)个问题"))
def asks_at_most(situation: Situation, n: str) -> None:
    assert situation.evaluation is not None, f"案件被退回：{situation.errors}"
    asked = [q.label for q in situation.evaluation.questions]
    assert len(asked) <= int(n), f"本案需询问的是：{'、'.join(asked)}"


@then(parsers.re("本案只判断" + NAMES))
def decides_only(situation: Situation, names: str) -> None:
    assert situation.evaluation is not None, f"案件被退回：{situation.errors}"
    decided = [d.title for d in situation.evaluation.decisions]
    assert decided == _names(names), f"本案判断的是：{'、'.join(decided)}"


@then(parsers.re(r"“(?P<title>[^”]+)”(?P<no>不)?列为可能还符合(：(?P<kind>[^”]+))?"))
def suggested(situation: Situation, title: str, no: str | None, kind: str | None) -> None:
    assert situation.evaluation is not None, f"案件被退回：{situation.errors}"
    found = {s.title: s for s in situation.evaluation.suggestions}
    listed = "、".join(found) or "（无）"
    if no:
        assert title not in found, f"“{title}”列为可能还符合；可能还符合的有：{listed}"
        return
    assert title in found, f"“{title}”没有列为可能还符合；可能还符合的有：{listed}"
    if kind is not None:
        assert kind in SUGGESTED, f"应为：{'、'.join(SUGGESTED)}"
        assert found[title].kind == SUGGESTED[kind], f"“{title}”为 {found[title].kind}"


@then("可能还符合的项目在筛查中都不是不符合")
def suggestions_are_no_refusals(situation: Situation) -> None:
    """The same case screened for every program: nothing suggested is a refusal there."""
    assert situation.evaluation is not None and situation.engine is not None
    assert situation.evaluation.suggestions, "没有列出可能还符合的项目"
    data = {**situation.data, "kind": situation.subject, "confirmations": situation.confirmations}
    screened = situation.engine.evaluate(parse_case(data), situation.evaluation.as_of)
    decided = {d.program: d for d in screened.decisions}
    for s in situation.evaluation.suggestions:
        d = decided[s.program]
        assert d.phase not in ("not_eligible", "ended"), f"“{s.title}”在筛查中为{d.status_text}：{d.summary}"


@then(parsers.re(r"“(?P<title>[^”]+)”的实施期限状态为“(?P<state>[^”]+)”"))
def window_state(situation: Situation, title: str, state: str) -> None:
    states = {"实施中": "open", "已届满": "closed", "未开始": "not_started"}
    d = situation.decision(title)
    assert d.window is not None, f"“{title}”没有实施期限"
    assert d.window.state == states[state], f"实施期限状态为 {d.window.state}：{d.window.text}"


@then(parsers.re(r"“(?P<title>[^”]+)”由“(?P<unit>[^”]+)”牵头"))
def lead_unit(situation: Situation, title: str, unit: str) -> None:
    assert unit in situation.decision(title).lead_units


@then(parsers.re(r"案件被退回，错误包含“(?P<text>[^”]+)”"))
def rejected(situation: Situation, text: str) -> None:
    assert situation.errors, "案件没有被退回"
    assert any(text in e for e in situation.errors), f"错误为：{situation.errors}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Let ``-k`` pick scenarios by their feature too: its name (任务32 …) and its file's name.

    ``pytest features -k 任务55`` runs both task-55 files; ``-k task59_低保渐退`` runs one file.
    """
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    for item in items:
        function = getattr(item, "function", None)
        template = scenario_wrapper_template_registry.get(function) if function else None
        if template is not None:
            feature = template.feature
            item.extra_keyword_matches.update({feature.name, Path(feature.filename).stem})
