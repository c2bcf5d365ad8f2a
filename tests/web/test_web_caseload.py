"""The caseload over time: 待办 lists the cases whose decisions change in the next days (judged again
today under the rules and settings in force); 重新核对 and ``subsidy recheck`` list the stored
decisions that the rules and settings in force now would change."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from test_web_districts import HIRE, settings_form
from web_helpers import login, new_person_case

from engine.calendar import add_months
from engine.cli import main


def page(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def benefit_case(client: FlaskClient, token: str, case_id: str, start: date) -> str:
    """A person drawing the unemployment benefit from ``start`` for 12 months (30 months paid in)."""
    return new_person_case(
        client,
        token,
        as_of=date.today().isoformat(),
        case_id=case_id,
        **{
            "person.name": f"受理人{case_id}",
            "person.employed": "no",
            "person.wants_work": "yes",
            "person.registered_unemployed": "yes",
            "person.involuntary_unemployment": "yes",
            "person.ui_contribution_months": "30",
            "person.ui_benefit_start_date": start.isoformat(),
        },
    )


def test_todo_lists_an_entitlement_ending_within_the_days_chosen(app: Flask) -> None:
    alice, bob = app.test_client(), app.test_client()
    a_token, b_token = login(alice, "alice"), login(bob, "bob")
    today = date.today()
    start = add_months(today, -12) + timedelta(days=10)  # paid until 9 days from today
    until = add_months(start, 12) - timedelta(days=1)
    benefit_case(alice, a_token, "SOON", start)
    benefit_case(alice, a_token, "OVER", add_months(today, -30))  # ended long ago
    benefit_case(bob, b_token, "BOBS", start)  # bob's: alice does not see it

    assert 'href="/caseload/todo"' in page(alice.get("/cases"))  # in the header
    month = page(alice.get("/caseload/todo?days=30"))
    assert f"享受至{until.isoformat()}止：到期前联系本人" in month
    assert "SOON" in month and "失业保险金" in month
    assert "OVER" not in month and "BOBS" not in month
    week = page(alice.get("/caseload/todo?days=7"))
    assert "SOON" not in week and "这段时间内没有结论变化的案件" in week


def _hiring_case(client: FlaskClient, token: str) -> None:
    response = client.post("/cases/new/enterprise", data={"csrf_token": token, **HIRE, "case_id": "E-7"})
    assert response.status_code == 302


def test_recheck_lists_decisions_new_settings_change(app: Flask) -> None:
    alice = app.test_client()
    _hiring_case(alice, login(alice, "alice"))
    sue = app.test_client()
    login(sue, "sue")
    assert "现行规则不改变任何已作出的结论" in page(sue.get("/caseload/recheck"))

    root = app.test_client()
    assert root.post("/districts/渝中区", data=settings_form(login(root, "root"))).status_code == 302
    shown = page(sue.get("/caseload/recheck"))
    assert "结论会变化的项目：1" in shown
    assert "一次性吸纳就业补贴" in shown and "E-7" in shown
    assert "需补充信息" in shown and "1000 元 / 每招用1人（渝中区当地标准" in shown
    form = re.search(r'<form method="post" action="(/cases/\w+/reevaluate)">', shown)
    assert form and 'name="as_of" value="same"' in shown
    token = re.search(r'name="csrf_token" value="([^"]+)"', shown).group(1)  # type: ignore[union-attr]
    again = sue.post(form.group(1), data={"csrf_token": token, "as_of": "same"})
    assert again.status_code == 302 and "/compare?" in again.location  # saved, shown side by side
    assert "现行规则不改变任何已作出的结论" in page(sue.get("/caseload/recheck"))
    assert alice.get("/caseload/recheck").status_code == 404  # a supervisor's page
    zed = app.test_client()
    login(zed, "zed")  # 江北区's supervisor sees none of 渝中区's cases
    assert "重新判断 0 个案件" in page(zed.get("/caseload/recheck"))


def test_recheck_command(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    alice = app.test_client()
    _hiring_case(alice, login(alice, "alice"))
    root = app.test_client()
    assert root.post("/districts/渝中区", data=settings_form(login(root, "root"))).status_code == 302
    monkeypatch.setenv("SUBSIDY_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("SUBSIDY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SUBSIDY_SECRET_KEY", "x" * 40)
    assert main(["recheck"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["案件编号"], r["项目"], r["原结论"]) for r in rows] == [
        ("E-7", "一次性吸纳就业补贴", "需补充信息（按当地标准）")
    ]
    assert rows[0]["现行规则下"].startswith("符合（1000 元 / 每招用1人")
    assert "1 项结论会变化" in err
    assert main(["recheck", "--district", "江北区"]) == 0
    assert "0 个案件" in capsys.readouterr().err


def test_recheck_names_the_cases_it_cannot_judge_again(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A stored case whose inputs the case models now refuse is reported (which, and why), not
    silently left out of the count."""
    from sqlalchemy import select

    from web import db
    from web.records import DecisionRecord

    alice = app.test_client()
    _hiring_case(alice, login(alice, "alice"))
    with db.database(app).sessions() as session:
        stored = session.scalars(select(DecisionRecord)).one()
        stored.inputs = {**stored.inputs, "retired_field": "1"}  # a field the models no longer know
        session.commit()
    monkeypatch.setenv("SUBSIDY_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("SUBSIDY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SUBSIDY_SECRET_KEY", "x" * 40)
    assert main(["recheck"]) == 0
    err = capsys.readouterr().err
    assert "重新判断 0 个案件" in err
    assert "另有 1 个案件的原输入现在不被接受" in err
    assert "E-7" in err and "不认识的字段" in err
    sue = app.test_client()  # the supervisor's page names it too, in the desk's language
    token = login(sue, "sue")
    shown = page(sue.get("/caseload/recheck"))
    assert "未能重新判断的案件：1" in shown and "E-7" in shown and "不认识的字段" in shown
    sue.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/caseload/recheck"})
    shown = page(sue.get("/caseload/recheck"))
    assert "Cases that could not be judged again: 1" in shown and "retired_field" in shown
    assert "不认识的字段" not in shown


def test_a_case_applying_for_a_withdrawn_program_does_not_take_the_lists_down(app: Flask) -> None:
    """The models still read it, but the rules in force have no such program: 待办 and 重新核对
    answered 500 for everyone who sees the case (the engine refuses the whole batch), and so did the
    case's what-if and re-evaluation; now the lists go on and the case says what to correct."""
    from sqlalchemy import select

    from web import db
    from web.records import DecisionRecord

    alice = app.test_client()
    token = login(alice, "alice")
    benefit_case(alice, token, "W-1", add_months(date.today(), -12) + timedelta(days=10))  # ends soon
    path = new_person_case(alice, token, case_id="W-2", **{"person.name": "撤项人"})
    with db.database(app).sessions() as session:
        stored = session.scalars(select(DecisionRecord).order_by(DecisionRecord.id.desc())).first()
        stored.inputs = {**stored.inputs, "applied_for": ["task99_withdrawn"]}
        session.commit()
    todo = alice.get("/caseload/todo?days=90")
    assert todo.status_code == 200 and "W-1" in page(todo)
    sue = app.test_client()
    login(sue, "sue")
    shown = page(sue.get("/caseload/recheck"))
    assert "未能重新判断的案件：1" in shown and "W-2" in shown and "task99_withdrawn" in shown
    for response in (
        alice.get(path + "/what-if"),
        alice.post(path + "/what-if", data={"csrf_token": token, "as_of": "2020-09-15"}),
        alice.post(path + "/reevaluate", data={"csrf_token": token, "as_of": "same"}),
    ):
        assert response.status_code == 302 and response.location.endswith(path + "/edit")
    said = page(alice.get(path + "/edit"))
    assert "按现行规则不能再评估" in said and "task99_withdrawn" in said


def test_a_case_kept_before_a_check_was_added_says_what_to_correct_in_the_pages_words(app: Flask) -> None:
    """A case whose kept facts the models refuse now (here its ID number's checksum; a credit code's
    check character was added so): re-evaluating it sends the caseworker to the form with the
    field's own words, not pydantic's English report."""
    from sqlalchemy import select

    from web import db
    from web.records import DecisionRecord

    alice = app.test_client()
    token = login(alice, "alice")
    path = new_person_case(alice, token, case_id="K-1", **{"person.name": "旧案人"})
    with db.database(app).sessions() as session:
        stored = session.scalars(select(DecisionRecord).order_by(DecisionRecord.id.desc())).first()
        person = {**stored.inputs.get("person", {}), "id_number": "500101196103100038"}
        stored.inputs = {**stored.inputs, "person": person}
        session.commit()
    response = alice.post(path + "/reevaluate", data={"csrf_token": token, "as_of": "same"})
    assert response.status_code == 302 and response.location.endswith(path + "/edit")
    said = page(alice.get(path + "/edit"))
    assert "按现行规则不能再评估" in said and "身份证号码校验位错误" in said
    assert "validation error" not in said and "Value error" not in said
