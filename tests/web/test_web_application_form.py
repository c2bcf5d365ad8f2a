"""The application on the desk's form (issue 23 item 1) and "not yet" never a refusal on its pages
(item 2), through the Flask test client; the same in Chromium is test_web_notice_browser.py.

The form lists the programs of the case's kind by lead unit, each with the facts its rule reads; a
case keeps what it applies for through edits, answers and what-if; "可能还符合" adds a suggested
program with one click and nothing else. A "not yet" is counted and worded as such on the card, the
list and the history, for decisions stored before the engine gave a phase too.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from test_web_notice import PERSON
from web_helpers import new_person_case

from web import db
from web.records import CaseRecord, DecisionRecord

NOT_YET = "task55_benefit_to_retirement"


def page(response) -> str:
    return response.get_data(as_text=True)


def decisions(app: Flask) -> list[DecisionRecord]:
    with db.database(app).sessions() as session:
        return list(session.scalars(select(DecisionRecord).order_by(DecisionRecord.id)))


def test_the_form_lists_programs_by_lead_unit_with_the_facts_each_reads(
    alice: tuple[FlaskClient, str],
) -> None:
    client, _ = alice
    form = page(client.get("/cases/new/person"))
    assert form.index('id="apply-title"') < form.index('id="f-case_id"')  # the form starts with it
    units = re.findall(r"<legend>牵头单位：([^<]+)</legend>", form)
    assert units[0] == "市人力社保局" and "市民政局" in units and "市扶贫办" in units
    needs = re.search(rf'value="{NOT_YET}" data-needs="([^"]*)"', form)
    assert needs, "each program carries the facts its rule reads"
    read = needs.group(1).split()
    assert "person.ui_benefit_end_date" in read and "person.birth_date" in read
    assert "person.dibao_recipient" not in read and "person.school_level" not in read
    assert "task23_one_off_hiring_subsidy" not in form  # an enterprise's program is not offered to a person
    assert "task23_one_off_hiring_subsidy" in page(client.get("/cases/new/enterprise"))


def test_a_case_keeps_its_application_and_adds_a_suggestion_with_one_click(
    app: Flask, alice: tuple[FlaskClient, str]
) -> None:
    client, token = alice
    path = new_person_case(client, token, **PERSON, applied_for=[NOT_YET])  # type: ignore[arg-type]
    shown = page(client.get(path))
    assert re.findall(r'<article class="decision [a-z_]+" id="program-([a-z0-9_]+)"', shown) == [NOT_YET]
    assert "可能还符合" in shown
    suggested = re.findall(r'<li id="suggest-([a-z0-9_]+)">', shown)
    assert suggested and NOT_YET not in suggested
    # the edit form comes back with the application ticked
    edit = page(client.get(path + "/edit"))
    assert re.search(rf'value="{NOT_YET}" data-needs="[^"]*" checked', edit)
    # one click adds a suggested program; the decision is kept with both
    added = client.post(path + "/apply", data={"csrf_token": token, "program": suggested[0]})
    assert added.status_code == 302 and added.location.endswith(f"#program-{suggested[0]}")
    assert decisions(app)[-1].inputs["applied_for"] == [NOT_YET, suggested[0]]
    # a program that is not suggested is not added
    before = len(decisions(app))
    refused = client.post(path + "/apply", data={"csrf_token": token, "program": "task59_dibao_gradual_exit"})
    assert refused.status_code == 302 and len(decisions(app)) == before
    assert "不在“可能还符合”之列" in page(client.get(path))


def test_answers_keep_the_application(app: Flask, alice: tuple[FlaskClient, str]) -> None:
    client, token = alice
    applied = ["task57_temporary_living_allowance"]
    path = new_person_case(client, token, **PERSON, applied_for=applied)  # type: ignore[arg-type]
    answered = client.post(path + "/answer", data={"csrf_token": token, "person.laid_off": "yes"})
    assert answered.status_code == 302
    assert decisions(app)[-1].inputs["applied_for"] == applied
    assert decisions(app)[-1].inputs["person"]["laid_off"] is True


def test_an_unknown_program_is_refused_naming_the_field(alice: tuple[FlaskClient, str]) -> None:
    client, token = alice
    data = {"csrf_token": token, **PERSON, "as_of": "2020-09-15", "applied_for": ["task99_nothing"]}
    refused = client.post("/cases/new/person", data=data)
    assert refused.status_code == 422
    assert "申请事项" in page(refused) and "task99_nothing" in page(refused)


def test_not_yet_is_counted_as_not_yet_on_the_card_the_list_and_the_history(
    app: Flask, alice: tuple[FlaskClient, str]
) -> None:
    client, token = alice
    path = new_person_case(client, token, **PERSON, applied_for=[NOT_YET])  # type: ignore[arg-type]

    def shown() -> tuple[str, str, str]:
        return page(client.get(path)), page(client.get("/cases")), page(client.get(path + "/history"))

    for _ in range(2):  # as the engine gives it, then as a record kept before decisions had a phase
        card, listed, history = shown()
        assert (
            '<span class="badge not_yet">尚未符合（2020-11-01起符合）</span> 失业保险金继续发放至法定退休年龄'
            in card
        )
        assert ">不符合（0）</h2>" in card and ">尚未符合（1）</h2>" in card
        for counts in (listed, history):
            assert '<span class="badge not_yet">尚未符合 1</span>' in counts
            assert "badge not_eligible" not in counts
        with db.database(app).sessions() as session:
            record = session.scalar(select(DecisionRecord))
            stored = dict(record.evaluation)
            stored["decisions"] = [{k: v for k, v in d.items() if k != "phase"} for d in stored["decisions"]]
            record.evaluation = stored
            session.commit()
    with db.database(app).sessions() as session:
        assert session.scalar(select(CaseRecord)).decisions[-1].summary == {"not_yet": 1}
