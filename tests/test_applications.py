"""Applications (申请事项): only the programs applied for are decided and asked about; the other
programs the person may get are suggestions, never refusals; questions come nearest-decision first,
and what happened when a period ended after the period's end date."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine.decision import Decision, Evaluation, Phase, Status
from engine.evaluate import default_engine, evaluate
from engine.models import parse_case
from engine.schema import case_schema, decision_schema

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "person-near-retirement.json"
AS_OF = date(2020, 9, 15)
CONTINUATION = "task55_benefit_to_retirement"
TRAINING = "task40_unemployed_training"


def case(applied: list[str] | None = None, drop: tuple[str, ...] = (), as_of: date = AS_OF) -> Any:
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    for name in drop:
        del data["person"][name]
    if applied is not None:
        data["applied_for"] = applied
    return parse_case(data, as_of)


def decision(e: Evaluation, program: str) -> Decision:
    return next(d for d in e.decisions if d.program == program)


def test_the_sample_applying_for_the_continuation_is_asked_at_most_one_question():
    e = evaluate(case([CONTINUATION]), AS_OF)
    assert e.applied_for == [CONTINUATION]
    assert [d.program for d in e.decisions] == [CONTINUATION]
    assert e.decisions[0].status is Status.eligible
    assert len(e.questions) <= 1


def test_an_application_asks_only_what_its_programs_need():
    unknown = ("employed", "ui_benefit_end_date")
    screened = evaluate(case(drop=unknown), AS_OF)
    applied = evaluate(case([CONTINUATION], drop=unknown), AS_OF)
    assert applied.questions and all(q.programs == [CONTINUATION] for q in applied.questions)
    assert {q.fact for q in applied.questions} == {m.fact for m in decision(screened, CONTINUATION).missing}
    assert len(applied.questions) < len(screened.questions)


@pytest.mark.parametrize("as_of", [date(2020, 8, 30), date(2020, 9, 15), date(2021, 1, 4), date(2021, 7, 1)])
def test_suggestions_are_what_the_screening_offers_never_a_refusal(as_of: date):
    screened = {d.program: d for d in evaluate(case(as_of=as_of), as_of).decisions}
    applied = evaluate(case([TRAINING], as_of=as_of), as_of)
    found = {s.program: s for s in applied.suggestions}
    assert TRAINING not in found and found
    for program, d in screened.items():
        if program == TRAINING:
            continue
        s = found.get(program)
        if d.kind == "compliance" or d.phase in (Phase.not_eligible, Phase.ended):
            assert s is None, program  # a refusal is never suggested
        elif d.phase is Phase.eligible:
            assert s is not None and s.kind == "eligible", program
        elif d.phase is Phase.not_yet:
            assert d.status is Status.not_eligible and d.timeline and d.timeline.eligible_from
            assert s is not None and s.kind == "eligible_from" and s.date == d.timeline.eligible_from
        elif len(d.missing) == 1:
            assert s is not None and s.kind == "one_answer" and s.question.fact == d.missing[0].fact
        else:
            assert s is None, program  # more than one answer away
        if s is not None:
            assert (s.title, s.lead_units) == (d.title, d.lead_units)


def test_a_program_not_yet_due_is_suggested_from_its_date():
    as_of = date(2020, 8, 30)  # the benefit ends on 2020-08-31
    screened = decision(evaluate(case(as_of=as_of), as_of), CONTINUATION)
    assert screened.timeline and screened.timeline.eligible_from
    applied = evaluate(case([TRAINING], as_of=as_of), as_of)
    [s] = [s for s in applied.suggestions if s.program == CONTINUATION]
    assert (s.kind, s.date) == ("eligible_from", screened.timeline.eligible_from)


def test_a_refused_program_and_one_many_answers_away_are_not_suggested():
    screened = {d.program: d for d in evaluate(case(), AS_OF).decisions}
    refused = [p for p, d in screened.items() if d.phase in (Phase.not_eligible, Phase.ended)]
    far = [p for p, d in screened.items() if len(d.missing) > 1]
    assert refused and far
    offered = {s.program for s in evaluate(case([CONTINUATION]), AS_OF).suggestions}
    assert not offered & {*refused, *far}


def test_what_happened_when_the_period_ended_is_asked_after_its_end_date():
    e = evaluate(case([CONTINUATION, TRAINING], drop=("employed", "ui_benefit_end_date")), AS_OF)
    asked = [q.fact for q in e.questions]
    assert asked == ["person.ui_benefit_end_date", "person.employed"]
    # Without the dependency the training's one question would come first: it settles a decision.
    assert [m.fact for m in decision(e, TRAINING).missing] == ["person.employed"]
    assert len(decision(e, CONTINUATION).missing) == 2


def test_screening_asks_first_what_settles_the_nearest_decisions():
    e = evaluate(case(), AS_OF)
    nearest = {
        q.fact: min(len(decision(e, p).missing) for p in q.programs) for q in e.questions
    }  # no question of this case waits on another: the order is the ranking alone
    ranks = [(nearest[q.fact], -len(q.programs)) for q in e.questions]
    assert ranks == sorted(ranks) and len(set(ranks)) > 2


def test_screening_asks_the_end_date_before_what_happened_then():
    e = evaluate(case(drop=("employed", "ui_benefit_end_date")), AS_OF)
    asked = [q.fact for q in e.questions]
    assert asked.index("person.ui_benefit_end_date") < asked.index("person.employed")
    assert e.suggestions == [] and e.applied_for == []


@pytest.mark.parametrize(
    ("applied", "words"),
    [
        (["task99_nothing"], "申请事项（applied_for）：没有这个项目：task99_nothing"),
        (
            ["task23_one_off_hiring_subsidy"],
            "task23_one_off_hiring_subsidy（一次性吸纳就业补贴）是单位的项目",
        ),
    ],
)
def test_an_unknown_or_other_subjects_program_is_refused(applied: list[str], words: str):
    with pytest.raises(ValueError, match=words.replace("（", r"\（").replace("）", r"\）")):
        evaluate(case(applied), AS_OF)


def test_a_program_named_twice_is_applied_for_once():
    assert case([CONTINUATION, TRAINING, CONTINUATION]).applied_for == [CONTINUATION, TRAINING]


def test_the_batch_path_judges_every_program_of_a_case_with_applications():
    engine = default_engine()
    [verdicts] = engine.judge_many([case([CONTINUATION])], AS_OF)
    assert {v.rule.id for v in verdicts} == {r.id for r in engine.book.for_subject("person")}
    with pytest.raises(ValueError, match="task99_nothing"):
        engine.judge_many([case(["task99_nothing"])], AS_OF)


def test_the_schemas_publish_applications():
    evaluation = decision_schema()
    assert {"applied_for", "suggestions"} <= set(evaluation["properties"])
    kinds = evaluation["$defs"]["Suggestion"]["properties"]["kind"]["enum"]
    assert kinds == ["eligible", "eligible_from", "one_answer"]
    person = case_schema()["$defs"]["PersonCase"]["properties"]
    assert person["applied_for"]["title"] == "申请事项"


def subsidy(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "subsidy"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "engine.cli"]
    return subprocess.run(
        [*command, *args], cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120
    )


def test_cli_program_by_id_or_title_with_the_published_schema():
    by_id = subsidy("evaluate", str(SAMPLE), "--as-of", "2020-09-15", "--json", "--program", CONTINUATION)
    by_title = subsidy(
        "evaluate",
        str(SAMPLE),
        "--as-of",
        "2020-09-15",
        "--json",
        "--program",
        "失业保险金继续发放至法定退休年龄",
    )
    assert by_id.returncode == 0, by_id.stderr
    assert by_id.stdout == by_title.stdout
    data = json.loads(by_id.stdout)
    validator = Draft202012Validator(decision_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(data)] == []
    assert [d["program"] for d in data["decisions"]] == [CONTINUATION]
    assert data["suggestions"] and len(data["questions"]) <= 1


def test_cli_program_adds_to_the_cases_own(tmp_path: Path):
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    data["applied_for"] = [TRAINING]
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = subsidy("evaluate", str(path), "--as-of", "2020-09-15", "--json", "--program", CONTINUATION)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["applied_for"] == [TRAINING, CONTINUATION]


def test_cli_unknown_program_is_one_line_in_the_language_asked():
    out = subsidy("evaluate", str(SAMPLE), "--program", "task99_nothing")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "--program：没有这个项目：task99_nothing（项目ID或名称，用 subsidy rules 查看全部）"
    ]
    out = subsidy("evaluate", str(SAMPLE), "--program", "task99_nothing", "--lang", "en")
    assert out.stderr.strip().splitlines() == [
        "--program: No such program: task99_nothing (an id or a title; subsidy rules lists them all)"
    ]


def test_part_of_a_title_is_answered_with_the_programs_it_may_mean():
    out = subsidy("evaluate", str(SAMPLE), "--program", "失业保险")
    assert out.returncode == 2
    [line] = out.stderr.strip().splitlines()
    assert "是否指：" in line and "失业保险金（task55_unemployment_benefit）" in line
    assert "失业登记" not in line  # its title does not hold the words typed
    out = subsidy("rules", "show", "unemployment insurance", "--lang", "en")
    assert out.returncode == 2 and "Did you mean" in out.stderr
    assert "Unemployment insurance benefit (task55_unemployment_benefit)" in out.stderr


@pytest.mark.parametrize(
    ("lang", "applied", "suggested", "detail", "refused"),
    [
        (
            "zh",
            "【申请事项】",
            "【可能还符合（未申请，供参考）】",
            "【符合】失业保险金继续发放至法定退休年龄",
            "【不符合】",
        ),
        (
            "en",
            "APPLIED FOR",
            "MAY ALSO QUALIFY (not applied for; advice)",
            "【ELIGIBLE】Unemployment",
            "【NOT ELIGIBLE】",
        ),
    ],
)
def test_the_report_shows_the_application_then_the_suggestions(
    lang: str, applied: str, suggested: str, detail: str, refused: str
):
    out = subsidy("evaluate", str(SAMPLE), "--as-of", "2020-09-15", "--lang", lang, "--program", CONTINUATION)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.index(applied) < text.index(suggested)
    e = evaluate(case([CONTINUATION]), AS_OF, lang)
    for s in e.suggestions:
        assert s.title in text[text.index(suggested) :]
    assert detail in text and refused not in text  # the details are the application's only
