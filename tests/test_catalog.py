"""The catalog accounts for all 66 tasks, every rule quotes the task it cites, and the English
catalog is English but for the notice's own words."""

import re

import pytest

from engine.catalog import build_catalog, catalog_file
from engine.cli import main
from engine.facts import FACTS
from engine.notice import compact, quotes_task, tasks
from engine.rulebook import load_rulebook
from engine.words import UNITS_EN

BOOK = load_rulebook()
CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")  # characters, punctuation (（：、)
# What stays Chinese in English: the notice's text (the line that quotes it), words quoted “…” from it
# or a source (a document's title too), and document numbers such as 国发〔2018〕39号 (the web's
# English page marks these as Chinese: web/english.py).
QUOTED = re.compile(r"^Notice \(Chinese\): .*$|“[^”]*”|[\u4e00-\u9fff]+〔\d{4}〕\d+号", re.MULTILINE)


def english(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """What ``subsidy ARGS --lang en`` prints, without the notice's quoted words."""
    assert main([*args, "--lang", "en"]) == 0
    return QUOTED.sub("", capsys.readouterr().out)


def test_the_notice_has_66_tasks():
    assert sorted(tasks()) == list(range(1, 67))


def test_every_task_is_in_the_catalog_once():
    entries = build_catalog(BOOK)
    assert [e.task for e in entries] == list(range(1, 67))


@pytest.mark.parametrize("entry", build_catalog(BOOK), ids=lambda e: f"task{e.task}")
def test_each_task_is_either_encoded_or_explained(entry):
    skipped = catalog_file().not_encoded
    if entry.encoded:
        assert entry.task not in skipped, f"task {entry.task} is encoded and also listed as not encoded"
    else:
        assert entry.task in skipped, f"task {entry.task} is neither encoded nor explained"
        assert entry.reason


@pytest.mark.parametrize("rule", BOOK.rules.values(), ids=lambda r: r.id)
def test_rule_quotes_the_words_of_the_task_it_cites(rule):
    assert quotes_task(rule.quote, rule.tasks), f"{rule.id}: quote is not in task(s) {rule.tasks}"


@pytest.mark.parametrize("rule", BOOK.rules.values(), ids=lambda r: r.id)
def test_rule_names_the_notice_lead_and_responsible_units(rule):
    task = tasks()[rule.tasks[0]]
    assert tuple(rule.lead_units) == task.lead_units
    assert tuple(rule.responsible_units) == task.responsible_units


@pytest.mark.parametrize("rule", BOOK.rules.values(), ids=lambda r: r.id)
def test_rule_file_is_named_after_its_first_task(rule):
    assert rule.id.startswith(f"task{rule.tasks[0]}_")


def test_a_misquote_is_caught():
    quote = BOOK.rules["task23_one_off_hiring_subsidy"].quote
    assert quotes_task(quote, [23])
    assert not quotes_task(quote.replace("半年", "一年"), [23])
    assert not quotes_task(quote, [24])


def test_compact_drops_layout_whitespace():
    assert compact("提前30日\n向工会 说明") == "提前30日向工会说明"


def test_the_english_catalog_has_no_chinese(capsys):
    shown = english(capsys, "rules")
    assert not CHINESE.findall(shown), [line for line in shown.splitlines() if CHINESE.search(line)]


@pytest.mark.parametrize("rule", BOOK.rules, ids=str)
def test_every_rule_shown_in_english_has_no_chinese_of_ours(capsys, rule):
    shown = english(capsys, "rules", "show", rule)
    assert not CHINESE.findall(shown), [line for line in shown.splitlines() if CHINESE.search(line)]


@pytest.mark.parametrize("task", sorted(catalog_file().not_encoded))
def test_every_task_not_encoded_says_why_in_english(task):
    reason = catalog_file().not_encoded[task].reason
    assert reason.en.strip() and not CHINESE.search(reason.en), f"task {task}: {reason.en!r}"


@pytest.mark.parametrize("rule", BOOK.rules.values(), ids=lambda r: r.id)
def test_every_reference_has_an_english_text(rule):
    for name, p in rule.parameters.items():
        ours = QUOTED.sub("", p.reference.en)
        assert ours.strip() and not CHINESE.search(ours), f"{name}: {p.reference.en!r}"


def test_every_unit_has_an_english_word():
    units = {p.unit for r in BOOK.rules.values() for p in r.parameters.values()}
    assert (units | {s.unit for s in FACTS.values()}) - {""} <= set(UNITS_EN)
