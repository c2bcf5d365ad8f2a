"""The decision notice (告知书): a PDF made on the server from the stored decision, read back as text.

A refusal gives the facts, the reasons, the legal basis and the applicant's rights with the
district's review body, court and both time limits; every page carries the case number and its page
number; the caseworker signs by name. Without the district's settings no notice is issued.
"""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from web_helpers import VALID_ID, csrf_token, login, new_person_case

from web import db
from web.records import DecisionRecord, User

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the notice back (pip install -e '.[test]')")

PERSON = {
    "case_id": "渝中-2020-0815",
    "person.name": "张某",
    "person.id_number": VALID_ID,
    "person.hukou_type": "urban",
    "person.employed": "no",
    "person.able_to_work": "yes",
    "person.wants_work": "yes",
    "person.at_usual_residence": "yes",
    "person.registered_unemployed": "yes",
    "person.unemployment_registration_date": "2018-09-01",
    "person.ui_contribution_months": "150",
    "person.involuntary_unemployment": "yes",
    "person.ui_benefit_start_date": "2018-09-01",
    "person.ui_benefit_end_date": "2020-08-31",
    "person.dibao_recipient": "no",
    "person.employment_difficulty": "yes",
    "district.name": "渝中区",
}
SETTINGS = {
    "office": "重庆市渝中区人力资源和社会保障局",
    "review_body": "重庆市渝中区人民政府",
    "court": "重庆市渝中区人民法院",
    "review_days": "60",
    "suit_months": "6",
}


def pages(pdf: bytes) -> list[str]:
    """Each page's text, with the line breaks and spaces the layout put in taken out."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def set_up_district(app: Flask) -> None:
    root = app.test_client()
    token = login(root, "root")
    assert root.post("/districts/渝中区", data={"csrf_token": token, **SETTINGS}).status_code == 302
    with db.database(app).sessions() as session:
        session.scalar(select(User).where(User.username == "alice")).full_name = "王小丽"
        session.commit()


def notice_path(client: FlaskClient, case_path: str) -> str:
    page = client.get(case_path).get_data(as_text=True)
    found = re.search(r'href="(/cases/[^"]+/notice\.pdf)"', page)
    assert found, "the result page links to its notice"
    return found.group(1)


def test_no_notice_before_the_district_names_its_office_review_body_and_court(
    alice: tuple[FlaskClient, str],
) -> None:
    client, token = alice
    path = new_person_case(client, token, **PERSON)
    refused = client.get(notice_path(client, path))
    assert refused.status_code == 409
    assert "渝中区尚未设置：经办机构、行政复议机关、行政诉讼管辖法院" in refused.get_data(as_text=True)


def test_a_refusal_notice_tells_the_facts_reasons_basis_and_rights(app: Flask) -> None:
    set_up_district(app)
    client = app.test_client()
    token = login(client, "alice")
    path = new_person_case(client, token, **PERSON)
    response = client.get(notice_path(client, path))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    text = pages(response.data)
    whole = "".join(text)
    assert 1 <= len(text) <= 4
    for number, page in enumerate(text, 1):  # the case number and the page number on every page
        assert "案件编号：渝中-2020-0815" in page
        assert f"第{number}页，共{len(text)}页" in page
    assert "稳就业政策补贴资格审核结果告知书" in whole
    # the applicant and the facts relied on (the ID number masked)
    assert "申请人张某" in whole and "500101********0037" in whole and VALID_ID not in whole
    assert "失业保险金期满日期2020-08-31" in whole and "失业保险累计缴费月数150个月" in whole
    # each program's decision with reasons and legal basis
    assert "失业保险金继续发放至法定退休年龄：符合" in whole
    assert "低保渐退：不符合" in whole
    assert "依据：其他〔2020〕4号任务55" in whole
    assert "理由：" in whole
    # the rights, with the district's body, court and both time limits
    assert "自收到本告知书之日起60日内向重庆市渝中区人民政府申请行政复议" in whole
    assert "自收到本告知书之日起6个月内向重庆市渝中区人民法院提起行政诉讼" in whole
    assert "行政复议法》第二十条" in whole and "行政诉讼法》第四十六条" in whole
    # signed by the caseworker's name, for the handling office
    assert "经办人：王小丽" in whole and "alice" not in whole
    assert "重庆市渝中区人力资源和社会保障局（盖章）" in whole
    # the signature never stands alone on the last page
    assert "低保渐退" in text[-1] or "申请人的权利" in text[-1] or len(text) == 1


def test_the_notice_is_the_stored_decision_not_a_fresh_run(app: Flask) -> None:
    set_up_district(app)
    client = app.test_client()
    token = login(client, "alice")
    path = new_person_case(client, token, **PERSON)
    with db.database(app).sessions() as session:
        decision = session.scalar(select(DecisionRecord))
        stored = dict(decision.evaluation)
        stored["decisions"] = [
            {**d, "summary": "（存档时的结论文字）"} if d["program"] == "task59_dibao_gradual_exit" else d
            for d in stored["decisions"]
        ]
        decision.evaluation = stored
        session.commit()
    whole = "".join(pages(client.get(notice_path(client, path)).data))
    assert "（存档时的结论文字）" in whole


def test_a_notice_of_another_users_case_is_not_found(app: Flask) -> None:
    set_up_district(app)
    alice = app.test_client()
    path = new_person_case(alice, login(alice, "alice"), **PERSON)
    target = notice_path(alice, path)
    zed = app.test_client()
    login(zed, "zed")  # 江北区's supervisor
    assert zed.get(target).status_code == 404
    assert csrf_token(zed, "/cases")  # still signed in
