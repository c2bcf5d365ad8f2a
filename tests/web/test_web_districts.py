"""District settings on the desk: the 38 districts, who may edit which, the engine reading what is
saved (declarations and local standards), and users' districts chosen from the list."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from web_helpers import PASSWORD, VALID_ID, csrf_token, login

from engine.districts import shipped_names
from web import db
from web.districts import store
from web.migrate import upgrade

KEY = "task23_one_off_hiring_subsidy.amount_per_person"
HIRE = {
    "as_of": "2020-09-15",
    "enterprise.name": "重庆某机械制造有限公司",
    "hire.hire_date": "2020-03-16",
    "hire.contract_start_date": "2020-03-16",
    "hire.contract_end_date": "2021-03-15",
    "hire.social_insurance_paid": "yes",
    "hire.person.name": "李某",
    "hire.person.id_number": VALID_ID,
    "hire.person.unemployment_registration_date": "2019-09-16",
    "district.name": "渝中区",
}


def page(response) -> str:
    return response.get_data(as_text=True)


def settings_form(token: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "office": "重庆市渝中区人力资源和社会保障局",
        "review_body": "重庆市渝中区人民政府",
        "court": "重庆市渝中区人民法院",
        "review_days": "60",
        "suit_months": "6",
        "decl-offers_hiring_subsidy-0-from": "2020-01-01",
        "decl-offers_hiring_subsidy-0-value": "yes",
        "decl-offers_hiring_subsidy-0-document": "渝中人社发〔2020〕1号",
        f"std-{KEY}-0-from": "2020-01-01",
        f"std-{KEY}-0-value": "1000",
        f"std-{KEY}-0-document": "渝中人社发〔2020〕2号",
        **extra,
    }


def hiring_case(client: FlaskClient, token: str) -> str:
    response = client.post("/cases/new/enterprise", data={"csrf_token": token, **HIRE})
    assert response.status_code == 302, page(response)
    return page(client.get(response.location))


def test_the_38_districts_are_listed_for_an_admin(app: Flask) -> None:
    client = app.test_client()
    login(client, "root")
    listed = page(client.get("/districts"))
    assert all(name in listed for name in shipped_names())
    assert listed.count("/districts/") >= 38  # an admin edits every one


def test_settings_saved_on_the_desk_decide_the_next_evaluation(app: Flask) -> None:
    alice = app.test_client()
    alice_token = login(alice, "alice")
    before = hiring_case(alice, alice_token)
    assert "渝中区尚未声明" in before  # nothing declared: asked of the district, never assumed

    root = app.test_client()
    token = login(root, "root")
    saved = root.post("/districts/渝中区", data=settings_form(token))
    assert saved.status_code == 302, page(saved)
    shown = page(root.get("/districts/渝中区"))
    assert "渝中人社发〔2020〕1号" in shown and "重庆市渝中区人民法院" in shown

    after = hiring_case(alice, alice_token)
    assert "1000 元 / 每招用1人（渝中区当地标准，自2020-01-01起，依据：渝中人社发〔2020〕2号）" in after
    assert "渝中区尚未声明" not in after
    with app.app_context():
        assert store.version(db.session()) == (1, 1)
    audit = page(root.get("/admin/audit"))
    assert "修改区县设置" in audit


def test_a_bad_row_is_refused_and_nothing_is_saved(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "root")
    bad = settings_form(
        token, **{"decl-offers_hiring_subsidy-0-from": "2020-13-01", f"std-{KEY}-0-value": "-5"}
    )
    response = client.post("/districts/渝中区", data=bad)
    assert response.status_code == 422
    body = page(response)
    assert "起始日期“2020-13-01”有误：没有这一天：2020年13月1日" in body
    assert "标准“-5”应为不小于0的数" in body
    assert 'value="重庆市渝中区人民政府"' in body  # what was typed is kept
    with app.app_context():
        assert store.version(db.session()) == (0, 0)


def test_a_number_of_days_in_superscript_is_refused_not_a_500(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "root")
    for name in ("review_days", "supply_days"):
        response = client.post("/districts/渝中区", data=settings_form(token, **{name: "6²"}))
        assert response.status_code == 422 and "应为正整数" in page(response)


def test_what_the_model_refuses_is_said_in_chinese_naming_the_setting(app: Flask) -> None:
    """It read “review_days：Input should be greater than or equal to 1” and
    “standards.task23_….0.value：Decimal input should have no more than 12 digits in total”."""
    client = app.test_client()
    token = login(client, "root")
    refused = {
        "review_days": ("0", "行政复议期限（日）：不能小于 1"),
        "suit_months": ("99", "行政诉讼期限（月）：不能大于 24"),
        "office_phone": ("0" * 60, "联系电话：过长（最多 50 个字符）"),
        f"std-{KEY}-0-value": ("1" * 20, "一次性吸纳就业补贴"),
    }
    for name, (typed, said) in refused.items():
        body = page(client.post("/districts/渝中区", data=settings_form(token, **{name: typed})))
        summary = re.sub(r"<[^>]+>", "", body.split('id="error-summary"', 1)[1].split("</div>", 1)[0])
        assert said in summary and "Input should" not in summary and "Decimal input" not in summary
        assert "review_days" not in summary and "standards." not in summary
    assert "数字位数过多" in summary


def test_a_rows_date_and_amount_are_read_as_every_other_field_reads_them(app: Flask) -> None:
    """date.fromisoformat took 2020-W01-1 (as 2019-12-30), 0001-01-01 and 9999-12-31 and refused
    2020/1/1; Decimal took 1_000 and full-width １０００, which every other amount refuses."""
    client = app.test_client()
    token = login(client, "root")
    refused = {
        "decl-offers_hiring_subsidy-0-from": {
            "2020-W01-1": "日期格式应为 YYYY-MM-DD",
            "0001-01-01": "日期应在 1900-01-01 至 2199-12-31 之间",
            "9999-12-31": "日期应在 1900-01-01 至 2199-12-31 之间",
        },
        f"std-{KEY}-0-value": {
            "1_000": "应写成普通数字",
            "１０００": "应写成普通数字",
            "1e3": "应写成普通数字",
        },
    }
    for name, cases in refused.items():
        for typed, said in cases.items():
            response = client.post("/districts/渝中区", data=settings_form(token, **{name: typed}))
            assert response.status_code == 422 and said in page(response), typed
    with app.app_context():
        assert store.version(db.session()) == (0, 0)
    saved = settings_form(token, **{"decl-offers_hiring_subsidy-0-from": "2020/1/1"})
    assert client.post("/districts/渝中区", data=saved).status_code == 302
    assert 'value="2020-01-01"' in page(client.get("/districts/渝中区"))


def test_a_supervisor_edits_their_own_district_only(app: Flask) -> None:
    zed = app.test_client()
    token = login(zed, "zed")  # supervisor of 江北区
    listed = page(zed.get("/districts"))
    assert f"/districts/{quote('江北区')}" in listed and f"/districts/{quote('渝中区')}" not in listed
    assert zed.get("/districts/渝中区").status_code == 404
    assert zed.post("/districts/渝中区", data=settings_form(token)).status_code == 404
    assert zed.post("/districts/江北区", data=settings_form(token)).status_code == 302
    alice = app.test_client()
    login(alice, "alice")
    assert alice.get("/districts").status_code == 404  # caseworkers have no such page
    assert zed.get("/districts/渝中").status_code == 404  # not one of the 38


def test_users_districts_are_chosen_from_the_list(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "root")
    users = page(client.get("/admin/users"))
    assert '<option value="石柱土家族自治县">' in users
    typo = {"csrf_token": token, "username": "carol", "password": PASSWORD, "role": "caseworker"}
    refused = client.post("/admin/users", data={**typo, "district": "渝中"})
    assert refused.status_code == 422 and "区县应为重庆市38个区县之一" in page(refused)
    no_district = client.post("/admin/users", data={**typo, "role": "supervisor", "district": ""})
    assert no_district.status_code == 422 and "主管须选择所属区县" in page(no_district)
    assert client.post("/admin/users", data={**typo, "district": "渝中区"}).status_code == 302


def migrated_from_0003(url: str) -> dict[str, list[tuple]]:
    """Users with free-text districts and an enterprise case, written at 0003, then upgraded."""
    upgrade(url, "0003_security")
    engine = create_engine(url)
    users = [(1, "渝中"), (2, "重庆市江北区"), (3, "两江新区"), (4, "")]
    inputs = {
        "kind": "enterprise",
        "enterprise": {"name": "某公司"},
        "hire": {"person": {"name": "李某", "id_number": VALID_ID}},
    }
    with engine.begin() as conn:
        for uid, district in users:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, role, district, active,"
                    " created_at, must_change_password)"
                    " VALUES (:id, :u, 'x', 'caseworker', :d, true, '2020-01-01', false)"
                ),
                {"id": uid, "u": f"user{uid}", "d": district},
            )
        conn.execute(
            text(
                "INSERT INTO cases (id, ref, kind, name, owner_id, district, created_at, updated_at)"
                " VALUES (1, 'abc', 'enterprise', '某公司', 1, '渝中', '2020-01-01', '2020-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO decisions (case_pk, inputs, as_of, rules_version, evaluation, summary,"
                " created_by, created_at) VALUES (1, :inputs, '2020-09-15', 'x', '{}', '{}', 1, '2020-01-01')"
            ),
            {"inputs": json.dumps(inputs, ensure_ascii=False)},
        )
    upgrade(url, "0004_desk")  # 0005 then keys the hash (test_web_access_l2.py)
    with engine.connect() as conn:
        out = {
            "users": [
                tuple(r)
                for r in conn.execute(text("SELECT district, district_unmatched FROM users ORDER BY id"))
            ],
            "cases": [
                tuple(r) for r in conn.execute(text("SELECT district, person_name, id_hash FROM cases"))
            ],
        }
    engine.dispose()
    return out


def check_migrated(found: dict[str, list[tuple]]) -> None:
    assert found["users"] == [("渝中区", ""), ("江北区", ""), ("", "两江新区"), ("", "")]
    assert found["cases"] == [("渝中区", "李某", hashlib.sha256(VALID_ID.encode()).hexdigest())]


def test_the_migration_maps_free_text_districts_onto_the_list(tmp_path: Path) -> None:
    check_migrated(migrated_from_0003(f"sqlite:///{tmp_path / 'old.sqlite3'}"))


def test_the_migration_on_postgresql(pg_url: str) -> None:
    check_migrated(migrated_from_0003(pg_url))


def test_an_unmatched_district_is_shown_until_chosen(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        session.execute(
            text("UPDATE users SET district = '', district_unmatched = '两江新区' WHERE username = 'bob'")
        )
        session.commit()
    client = app.test_client()
    login(client, "root")
    assert "原填写“两江新区”不是38个区县之一" in page(client.get("/admin/users"))
    token = csrf_token(client, "/admin/users")
    with app.app_context():
        bob_id = db.session().execute(text("SELECT id FROM users WHERE username = 'bob'")).scalar_one()
    moved = client.post(f"/admin/users/{bob_id}/district", data={"csrf_token": token, "district": "渝北区"})
    assert moved.status_code == 302
    assert "两江新区" not in page(client.get("/admin/users"))


def test_every_row_input_has_a_name_of_its_own_and_errors_point_at_their_input(app: Flask) -> None:
    """WCAG 1.3.1, 3.3.1, 4.1.2: each row's inputs are named by the setting, the row and the
    column (aria-labelledby), and a refused value is marked on its input and linked from the summary."""
    client = app.test_client()
    token = login(client, "sue")
    form = client.get("/districts/渝中区").get_data(as_text=True)
    ids = dict(re.findall(r'id="([^"]+)"[^>]*>([^<]*)<', form))

    def name(labelledby: str) -> str:
        return " ".join(ids.get(part, "?").strip() for part in labelledby.split())

    names = [name(n) for n in re.findall(r'<(?:input|select)[^>]*aria-labelledby="([^"]+)"', form)]
    assert len(names) > 10 and len(set(names)) == len(names)  # no two alike
    assert all("?" not in n for n in names)
    data = {"csrf_token": token, "office": "某局", "review_days": "60", "suit_months": "6"}
    data |= {"decl-offers_hiring_subsidy-0-from": "2020-13-01", "decl-offers_hiring_subsidy-0-value": "yes"}
    refused = client.post("/districts/渝中区", data=data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert '<a href="#decl-offers_hiring_subsidy-0-from">' in page
    assert '<a href="#decl-offers_hiring_subsidy-0-document">' in page
    field = re.search(r'<input id="decl-offers_hiring_subsidy-0-from"[^>]*>', page).group(0)
    assert (
        'aria-invalid="true"' in field and 'aria-describedby="decl-offers_hiring_subsidy-0-from-err"' in field
    )
    assert 'id="decl-offers_hiring_subsidy-0-from-err"' in page
