"""Receipts and re-evaluation: every saved decision keeps what reproduces it (inputs, date, rules and
engine versions, every parameter value and district setting used); a case evaluated again under the
settings in force now is compared with the decision before, side by side. And search by the hired
person's name and ID number."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from test_web_districts import HIRE, settings_form
from web_helpers import VALID_ID, login, new_person_case


def page(response) -> str:
    return response.get_data(as_text=True)


def hiring_case(client: FlaskClient, token: str) -> str:
    response = client.post("/cases/new/enterprise", data={"csrf_token": token, **HIRE, "case_id": "E-1"})
    assert response.status_code == 302, page(response)
    return response.location


def decision_links(client: FlaskClient, path: str) -> str:
    found = re.search(r'href="(/cases/\w+/decisions/\d+)/receipt"', page(client.get(path)))
    assert found, "the result page links to its receipt"
    return found.group(1)


def test_a_decision_keeps_its_receipt(alice: tuple[FlaskClient, str]) -> None:
    client, token = alice
    path = hiring_case(client, token)
    base = decision_links(client, path)
    shown = page(client.get(base + "/receipt"))
    assert "登记失业时长下限" in shown and "劳动合同期限下限" in shown
    assert "0.1.0" in shown  # the engine's version
    document = client.get(base + "/receipt.json").get_json()
    assert document["inputs"]["hire"]["person"]["name"] == "李某"
    assert document["as_of"] == "2020-09-15"
    assert document["engine_version"] == "0.1.0"
    assert document["rules_version"] == document["evaluation"]["rules_version"]
    rows = {(r["program"], r["parameter"]): r for r in document["receipt"]["parameters"]}
    months = rows[("task23_one_off_hiring_subsidy", "min_registered_months")]
    assert (months["value"], months["unit"], months["read_on"]) == (
        6,
        "个月",
        "2020-03-16",
    )  # on the hire date
    assert rows[("task23_one_off_hiring_subsidy", "amount_per_person")]["value"] is None  # 按当地标准
    assert document["receipt"]["district"] == {
        "name": "渝中区",
        "settings": {
            "declared": {},
            "standards": {},
            "office": None,
            "office_address": None,
            "office_phone": None,
            "office_hours": None,
            "supply_days": None,
            "review_body": None,
            "court": None,
            "review_days": 60,
            "suit_months": 6,
        },
    }


def test_evaluating_again_under_new_settings_shows_what_changed(app: Flask) -> None:
    alice = app.test_client()
    token = login(alice, "alice")
    path = hiring_case(alice, token)
    root = app.test_client()
    assert root.post("/districts/渝中区", data=settings_form(login(root, "root"))).status_code == 302

    again = alice.post(path + "/reevaluate", data={"csrf_token": token, "as_of": "same"})
    assert again.status_code == 302 and "/compare?" in again.location
    shown = re.sub(r"\s+", " ", page(alice.get(again.location)))
    assert "结论有变化的项目（1）" in shown
    assert "一次性吸纳就业补贴" in shown
    assert "需补充信息" in shown and "符合" in shown
    assert "1000 元 / 每招用1人（渝中区当地标准" in shown
    assert "一次性吸纳就业补贴 · 补贴标准</th><td>按当地标准</td><td>1000</td>" in shown
    assert "输入相同。" in shown
    history = page(alice.get(path + "/history"))
    assert "与上一次对比" in history


def test_search_finds_an_enterprise_case_by_the_hired_person(alice: tuple[FlaskClient, str]) -> None:
    client, token = alice
    hiring_case(client, token)
    for q in ("李某", VALID_ID, VALID_ID[-4:], "机械制造"):
        listed = page(client.post("/cases", data={"csrf_token": token, "q": q}))
        assert "E-1" in listed, q
    assert "E-1" not in page(client.post("/cases", data={"csrf_token": token, "q": "王某"}))
    other = VALID_ID[:-1] + "1"
    assert "E-1" not in page(client.post("/cases", data={"csrf_token": token, "q": other}))


def test_what_if_shows_which_decisions_change_and_saves_nothing(app: Flask) -> None:
    from sqlalchemy import func, select

    from web import db
    from web.records import DecisionRecord

    client = app.test_client()
    token = login(client, "alice")
    path = new_person_case(
        client, token, **{"person.id_number": VALID_ID, "person.employed": "no", "person.able_to_work": "yes"}
    )
    form = page(client.get(path + "/what-if"))
    assert 'name="person.employed"' in form and 'name="person.name"' not in form  # facts, not names
    same = client.post(path + "/what-if", data={"csrf_token": token, "person.employed": "no"})
    assert "这些改动不会改变任何结论。" in page(same)
    changed = client.post(path + "/what-if", data={"csrf_token": token, "person.employed": "yes"})
    shown = re.sub(r"\s+", " ", page(changed))
    assert changed.status_code == 200
    assert "改动的事实：目前已就业 否 → 是" in shown
    assert re.search(r"结论会变化的项目（[1-9]\d*）", shown)
    assert "失业登记" in shown
    bad = client.post(path + "/what-if", data={"csrf_token": token, "as_of": "2020-02-30"})
    assert bad.status_code == 422
    with db.database(app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(DecisionRecord)) == 1  # nothing saved
