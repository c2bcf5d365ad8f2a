"""Districts on the desk (issue 23 item 4): a caseworker works for their own district only, a
supervisor sees their district, an admin all; case numbers are unique per district and a blank
one takes the district's next number."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from web_helpers import PASSWORD, VALID_ID, login, new_person_case

from engine.models import parse_case
from web import db
from web.accounts import create_user
from web.cases import store
from web.evaluator import desk_engine
from web.migrate import upgrade
from web.records import CaseRecord, DecisionRecord, User

YEAR = date.today().year


def page(response) -> str:
    return response.get_data(as_text=True)


def record(app: Flask, ref_path: str) -> CaseRecord:
    with db.database(app).sessions() as session:
        return session.scalar(select(CaseRecord).where(CaseRecord.ref == ref_path.rsplit("/", 1)[1]))


def add_caseworker(app: Flask, name: str, district: str) -> None:
    with db.database(app).sessions() as session:
        create_user(session, name, PASSWORD, "caseworker", district)


def test_the_form_offers_a_caseworker_their_own_district_only(app: Flask) -> None:
    client = app.test_client()
    login(client, "alice")
    form = page(client.get("/cases/new/person"))
    select_html = re.search(r'<select id="f-district-name".*?</select>', form, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', select_html) == ["渝中区"]
    admin = app.test_client()
    login(admin, "root")
    choices = re.search(
        r'<select id="f-district-name".*?</select>', page(admin.get("/cases/new/person")), re.S
    )
    assert len(re.findall(r"<option ", choices.group(0))) == 39  # unset, or any of the 38


def test_a_case_of_another_district_is_refused_on_the_field(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "alice")
    data = {"csrf_token": token, "as_of": "2020-09-15", "person.name": "王五", "district.name": "渝北区"}
    refused = client.post("/cases/new/person", data=data)
    assert refused.status_code == 422
    body = page(refused)
    assert "只能办理本区县（渝中区）的案件" in body
    assert 'id="f-district-name-err"' in body and "王五" in body  # beside the field, nothing lost
    with db.database(app).sessions() as session:
        assert session.scalar(select(CaseRecord)) is None


def test_a_district_not_in_chongqing_is_not_called_another_offices_case(app: Flask) -> None:
    """A name that is none of the 38 (another city, a short form, a formula) is said to be none,
    not "北京市朝阳区的案件由北京市朝阳区的经办人办理", which sends the caseworker to no office."""
    client = app.test_client()
    token = login(client, "alice")
    for typed in ("北京市朝阳区", "渝中", "=1+1"):
        data = {"csrf_token": token, "as_of": "2020-09-15", "district.name": typed}
        body = page(client.post("/cases/new/person", data=data))
        assert f"“{typed}”不是重庆市的区县" in body and "只能办理本区县（渝中区）的案件" in body
        assert "的经办人办理" not in body


def test_a_case_number_that_only_looks_different_is_the_same_number(app: Flask) -> None:
    """Typed with a Chinese input method (full-width Ｈ－１) or holding an invisible zero-width
    space, a number already used was taken as new: two cases of the district showed one number."""
    client = app.test_client()
    token = login(client, "alice")
    new_person_case(client, token, case_id="H-1")
    for typed in ("Ｈ－１", " Ｈ-1 "):
        body = page(
            client.post(
                "/cases/new/person", data={"csrf_token": token, "as_of": "2020-09-15", "case_id": typed}
            )
        )
        assert "案件编号“H-1”已用于渝中区的另一案件" in body
    body = page(
        client.post(
            "/cases/new/person", data={"csrf_token": token, "as_of": "2020-09-15", "case_id": "H\u200b-1"}
        )
    )
    assert "案件编号" in body and "含有控制字符或不可见的字符（如换行、制表符、零宽空格或方向控制符）" in body
    with db.database(app).sessions() as session:
        assert [r.case_id for r in session.scalars(select(CaseRecord))] == ["H-1"]
    found = page(client.post("/cases", data={"csrf_token": token, "q": "Ｈ－１"}))
    assert "共 1 件" in found  # and it is found as typed


def test_a_case_belongs_to_its_district_and_is_seen_there_only(app: Flask) -> None:
    add_caseworker(app, "carl", "江北区")
    alice = app.test_client()
    path = new_person_case(alice, login(alice, "alice"), case_id="D-1", **{"person.name": "王五"})
    saved = record(app, path)
    assert saved.district == "渝中区"
    with db.database(app).sessions() as session:
        inputs = session.scalar(select(DecisionRecord.inputs))
    assert inputs["district"] == {"name": "渝中区"}  # the notice is signed by this district
    for name, status in (("sue", 200), ("root", 200), ("zed", 404), ("carl", 404), ("bob", 404)):
        client = app.test_client()
        login(client, name)
        assert client.get(path).status_code == status, name
        if status == 404:  # nor its notice: another district's seal is never printed
            assert client.get(f"{path}/decisions/1/notice.pdf").status_code == 404, name
    # An admin files a case for 江北区: its supervisor and caseworkers' lists, not 渝中区's.
    admin = app.test_client()
    other = new_person_case(admin, login(admin, "root"), **{"person.name": "赵六", "district.name": "江北区"})
    assert record(app, other).district == "江北区"
    zed = app.test_client()
    login(zed, "zed")
    assert zed.get(other).status_code == 200
    sue = app.test_client()
    login(sue, "sue")
    assert sue.get(other).status_code == 404 and "赵六" not in page(sue.get("/cases"))


def test_a_case_number_is_unique_in_its_district(app: Flask) -> None:
    alice = app.test_client()
    new_person_case(alice, login(alice, "alice"), case_id="A-1", **{"person.name": "王五"})
    bob = app.test_client()
    token = login(bob, "bob")
    data = {"csrf_token": token, "as_of": "2020-09-15", "case_id": "A-1", "person.name": "赵六"}
    refused = bob.post("/cases/new/person", data=data)
    assert refused.status_code == 422
    body = page(refused)
    assert "案件编号“A-1”已用于渝中区的另一案件" in body and "由alice建立" in body
    assert "王五" not in body  # bob may not see that case: its applicant is not named to him
    assert 'id="f-case_id-err"' in body and 'value="赵六"' in body
    sue = app.test_client()
    data["csrf_token"] = login(sue, "sue")
    assert "申请人王五" in page(sue.post("/cases/new/person", data=data))  # she may see it
    # Another district may use the same number.
    admin = app.test_client()
    new_person_case(admin, login(admin, "root"), case_id="A-1", **{"district.name": "江北区"})


def test_an_edit_may_not_take_another_cases_number(app: Flask) -> None:
    alice = app.test_client()
    token = login(alice, "alice")
    new_person_case(alice, token, case_id="A-1")
    second = new_person_case(alice, token, case_id="A-2")
    data = {"csrf_token": token, "as_of": "2020-09-15", "case_id": "A-1"}
    assert alice.post(second + "/edit", data=data).status_code == 422
    data["case_id"] = "A-2"  # its own number: fine
    assert alice.post(second + "/edit", data=data).status_code == 302


def test_a_blank_case_number_takes_the_districts_next(app: Flask) -> None:
    alice = app.test_client()
    token = login(alice, "alice")
    first = new_person_case(alice, token, **{"person.name": "王五"})
    second = new_person_case(alice, token, **{"person.name": "赵六"})
    assert record(app, first).case_id == f"渝中区-{YEAR}-00001"
    assert record(app, second).case_id == f"渝中区-{YEAR}-00002"
    assert f"渝中区-{YEAR}-00002" in page(alice.get(second))
    assert "（无编号）" not in page(alice.get("/cases"))
    # A number typed by hand is skipped over; an edit left blank keeps the case's own number.
    new_person_case(alice, token, case_id=f"渝中区-{YEAR}-00003")
    third = new_person_case(alice, token)
    assert record(app, third).case_id == f"渝中区-{YEAR}-00004"
    data = {"csrf_token": token, "as_of": "2020-09-15", "case_id": "", "person.name": "王五"}
    assert alice.post(first + "/edit", data=data).status_code == 302
    assert record(app, first).case_id == f"渝中区-{YEAR}-00001"
    # Another district counts on its own.
    admin = app.test_client()
    other = new_person_case(admin, login(admin, "root"), **{"district.name": "江北区"})
    assert record(app, other).case_id == f"江北区-{YEAR}-00001"


def test_the_migration_numbers_and_places_existing_cases(tmp_path: Path) -> None:
    numbered_and_placed(f"sqlite:///{tmp_path / 'old.sqlite3'}")


def test_the_migration_on_postgresql(pg_url: str) -> None:
    numbered_and_placed(pg_url)


def numbered_and_placed(url: str) -> None:
    upgrade(url, "0004_desk")
    engine = create_engine(url)
    cases = [  # (id, case_id, owner's district on the row, district the decision names)
        (1, "X-1", "渝中区", "渝中区"),
        (2, "X-1", "渝中区", "渝中区"),  # a repeated number
        (3, None, "渝中区", "渝中区"),  # no number
        (4, None, "江北区", "渝中区"),  # picked another district on the form: it is 渝中区's case
        (5, "X-1", "江北区", None),  # another district's X-1: kept
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, password_hash, role, district, active, created_at,"
                " must_change_password, full_name, district_unmatched)"
                " VALUES (1, 'old', 'x', 'caseworker', '渝中区', true, '2020-01-01', false, '', '')"
            )
        )
        for pk, number, district, named in cases:
            conn.execute(
                text(
                    "INSERT INTO cases (id, ref, kind, case_id, owner_id, district, created_at, updated_at)"
                    " VALUES (:id, :ref, 'person', :n, 1, :d, '2026-03-01', '2026-03-01')"
                ),
                {"id": pk, "ref": f"r{pk}", "n": number, "d": district},
            )
            inputs = {"kind": "person", "person": {"id_number": VALID_ID}}
            if named:
                inputs["district"] = {"name": named}
            conn.execute(
                text(
                    "INSERT INTO decisions (case_pk, inputs, as_of, rules_version, evaluation, summary,"
                    " created_by, created_at) VALUES (:c, :i, '2020-09-15', 'x', '{}', '{}', 1, '2026-03-01')"
                ),
                {"c": pk, "i": json.dumps(inputs, ensure_ascii=False)},
            )
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, district, case_id FROM cases ORDER BY id")).all()
        counters = conn.execute(text("SELECT district, year, last FROM case_numbers")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, "渝中区", "X-1"),
        (2, "渝中区", "X-1-2"),
        (3, "渝中区", "渝中区-2026-00001"),
        (4, "渝中区", "渝中区-2026-00002"),
        (5, "江北区", "X-1"),
    ]
    assert [tuple(r) for r in counters] == [("渝中区", 2026, 2)]


def test_two_saves_racing_for_one_number_tell_the_second(app: Flask) -> None:
    """The unique index is the last word: a number taken between the check and the commit is said
    in Chinese, never a 500."""
    alice = app.test_client()
    new_person_case(alice, login(alice, "alice"), case_id="RACE-1")
    with app.test_request_context(), db.database(app).sessions() as session:
        user = session.scalar(select(User).where(User.username == "bob"))
        case = parse_case({"kind": "person", "case_id": "RACE-1", "district": {"name": "渝中区"}})
        evaluation = desk_engine().evaluate(case, date(2020, 9, 15), "zh")
        record = store.create_case(session, user, case)
        with pytest.raises(ValueError, match="案件编号“RACE-1”刚刚被本区县的另一案件使用"):
            store.add_decision(session, user, record, case, date(2020, 9, 15), evaluation)
