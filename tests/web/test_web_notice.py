"""The decision notice (告知书): a PDF made on the server from the stored decision, read back page by
page (pypdf) on every run.

It decides only what was applied for, each program as its phase: a "not yet" tells the day to come
back and what must still hold, and is no refusal; a refusal gives reasons as sentences about the
applicant, 依据 quoting the notice and the law, and the rights with the district's review body and
court. What is still needed comes with what to bring and the last day to bring it; the office's
address, phone and hours come from the district's settings. Nothing from the repository reaches the
citizen's letter; the rules version stands only as a reference code in the footer; every page carries
the case number (escaped once) and its page number. Without the settings it prints, or without an
application, no notice is issued.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from web_helpers import csrf_token, login, new_person_case

from engine.labels import input_facts
from web import db
from web.filters import CHINA
from web.notices.letter import NOTICE_TITLE, _numeral, chinese_date
from web.notices.materials import to_bring
from web.records import DecisionRecord, User

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the notice back (pip install -e '.[test]')")

MAN_1961 = "500101196105200015"  # a man born 1961-05-20 (checksum valid)
APPLIED = [
    "task55_benefit_to_retirement",  # not yet: eligible from 2020-11-01, the day after his benefit ends
    "task59_dibao_gradual_exit",  # refused: he receives no 低保
    "task57_temporary_living_allowance",  # needs information
    "task55_unemployment_benefit",  # eligible
]
PERSON = {
    "case_id": "渝中<b>&2020-0815",
    "person.name": "张某",
    "person.id_number": MAN_1961,
    "person.birth_date": "1961-05-20",
    "person.sex": "male",
    "person.employed": "no",
    "person.wants_work": "yes",
    "person.registered_unemployed": "yes",
    "person.unemployment_registration_date": "2018-11-01",
    "person.ui_contribution_months": "150",
    "person.involuntary_unemployment": "yes",
    "person.ui_benefit_start_date": "2018-11-01",
    "person.ui_benefit_end_date": "2020-10-31",
    "person.dibao_recipient": "no",
    "district.name": "渝中区",
}
SETTINGS = {
    "office": "重庆市渝中区人力资源和社会保障局",
    "office_address": "重庆市渝中区中山一路1号",
    "office_phone": "023-63000000",
    "office_hours": "工作日9:00-12:00，14:00-17:30",
    "supply_days": "15",
    "review_body": "重庆市渝中区人民政府",
    "court": "重庆市渝中区人民法院",
    "review_days": "60",
    "suit_months": "6",
}
# Words of the repository and the engine that a citizen's letter never shows.
NEVER = ("rules/", "SOURCES", "districts.yaml", "本规则", "要求为", "规则版本", "task", "confirm.", "None")
BAD_PUNCTUATION = ("。”", "。；", "；。", "。。", "？。", "，。", "”；”")


def pages(pdf: bytes) -> list[str]:
    """Each page's text, with the line breaks and spaces the layout put in taken out."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def set_up_district(app: Flask, **settings: str) -> None:
    root = app.test_client()
    token = login(root, "root")
    data = {"csrf_token": token, **SETTINGS, **settings}
    assert root.post("/districts/渝中区", data=data).status_code == 302
    with db.database(app).sessions() as session:
        session.scalar(select(User).where(User.username == "alice")).full_name = "王小丽"
        session.commit()


def notice_path(client: FlaskClient, case_path: str) -> str:
    page = client.get(case_path).get_data(as_text=True)
    found = re.search(r'href="(/cases/[^"]+/notice\.pdf)"', page)
    assert found, "the result page links to its notice"
    return found.group(1)


def applied_case(client: FlaskClient, token: str, applied: list[str], **fields: str) -> str:
    return new_person_case(client, token, **{**PERSON, **fields}, applied_for=applied)  # type: ignore[arg-type]


def supply_by(app: Flask) -> str:
    """The last day to bring documents: 15 days after the decision's day in Chongqing."""
    with db.database(app).sessions() as session:
        made = session.scalar(select(DecisionRecord).order_by(DecisionRecord.id.desc())).created_at
    day = made.replace(tzinfo=made.tzinfo or UTC).astimezone(CHINA).date()
    return chinese_date(day + timedelta(days=15))


def test_no_notice_before_the_district_names_its_office_address_phone_review_body_and_court(
    alice: tuple[FlaskClient, str],
) -> None:
    client, token = alice
    path = applied_case(client, token, APPLIED)
    refused = client.get(notice_path(client, path))
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    for missing in ("经办机构", "办公地址", "联系电话", "补充材料期限", "行政复议机关", "行政诉讼管辖法院"):
        assert missing in text.split("尚未设置：", 1)[1].split("。", 1)[0]


def test_the_missing_settings_are_named_in_the_pages_language(alice: tuple[FlaskClient, str]) -> None:
    """The English page named them in Chinese (“has not set: 经办机构、办公地址…”), which the English
    district settings page, where they are filled in, does not show."""
    client, token = alice
    path = applied_case(client, token, APPLIED)
    client.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/cases"})
    text = re.sub(r"<[^>]+>", "", client.get(notice_path(client, path)).get_data(as_text=True))
    said = text.split("has not set:", 1)[1].split(". A notice", 1)[0]
    for missing in ("Handling office", "Office address", "Phone", "Days to bring documents"):
        assert missing in said
    assert "Administrative review body" in said and "Court for an administrative suit" in said
    assert not re.search(r"[\u4e00-\u9fff]", said), said


def test_no_notice_on_a_case_that_applies_for_nothing(app: Flask) -> None:
    set_up_district(app)
    client = app.test_client()
    path = new_person_case(client, login(client, "alice"), **PERSON)  # a screening: nothing applied for
    refused = client.get(notice_path(client, path))
    assert refused.status_code == 409
    assert "本案件没有勾选申请事项" in refused.get_data(as_text=True)


def test_the_notice_decides_what_was_applied_for_in_plain_words(app: Flask) -> None:
    set_up_district(app)
    client = app.test_client()
    path = applied_case(client, login(client, "alice"), APPLIED)
    response = client.get(notice_path(client, path))
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    text = pages(response.data)
    whole = "".join(text)
    for number, page in enumerate(text, 1):  # the case number, escaped once, and the page on every page
        assert "案件编号：渝中<b>&2020-0815" in page and "&lt;" not in page and "&amp;" not in page
        assert f"第{number}页，共{len(text)}页" in page
    # only what was applied for, each as its phase
    assert "申请事项失业保险金继续发放至法定退休年龄；低保渐退；临时生活补助；失业保险金" in whole
    assert "审核所依据的日期2020年9月15日" in whole
    assert "登记失业人员定期联系和就业服务" not in whole and "劳动预备制" not in whole  # not applied for
    assert "低保渐退：不符合" in whole and "失业保险金：符合" in whole
    # not yet: the day to come back and what must still hold, and no refusal
    assert "失业保险金继续发放至法定退休年龄：尚未符合（自2020年11月1日起符合）" in whole
    assert "请于2020年11月1日起再来办理，届时仍须满足：领取期满仍未就业" in whole
    assert "失业保险金继续发放至法定退休年龄：不符合" not in whole
    # rights for the refusal applied for only, with the district's body, court and both time limits
    assert "申请人对上述“低保渐退”的决定不服的" in whole
    assert "自收到本告知书之日起60日内向重庆市渝中区人民政府申请行政复议" in whole
    assert "自收到本告知书之日起6个月内向重庆市渝中区人民法院提起行政诉讼" in whole
    assert "行政复议法》第二十条" in whole and "行政诉讼法》第四十六条" in whole
    # 依据 quotes the notice by its title and the law the rule rests on
    quoted = "第59项任务：“对实现就业的低保对象，可通过‘低保渐退’等措施"
    assert f"{NOTICE_TITLE}（其他〔2020〕4号）{quoted}" in whole
    assert "《中华人民共和国民法典》第一千二百五十九条、第二百零三条" in whole  # a law named once
    # what is still needed: what to bring, by a date, where; what the office checks itself
    assert f"请于{supply_by(app)}前（含当日）携带下列材料到重庆市渝中区人力资源和社会保障局补充" in whole
    assert "请携带原单位出具的解除劳动关系证明或《就业创业证》。" in whole
    assert "其余事项由本机关核实，无需申请人提供材料。" in whole
    # the office's address, phone and hours; signed by the caseworker's name for the office
    assert "办公地址重庆市渝中区中山一路1号" in whole and "联系电话023-63000000" in whole
    assert "办公时间工作日9:00-12:00，14:00-17:30" in whole
    assert "经办人：王小丽" in whole and "alice" not in whole
    assert "重庆市渝中区人力资源和社会保障局（盖章）" in whole
    # facts relied on, in dates people read, the ID number masked
    assert "失业保险金期满日期2020年10月31日" in whole
    assert "500101********0015" in whole and MAN_1961 not in whole
    # nothing from the repository or the engine's comparisons; clean punctuation
    for word in NEVER + BAD_PUNCTUATION:
        assert word not in whole, word
    # the rules version only as the footer's reference code, on every page
    with db.database(app).sessions() as session:
        version = session.scalar(select(DecisionRecord)).rules_version[:12]
    assert all(f"参考编号：{version}" in page for page in text)
    assert whole.count(version) == len(text)


def test_a_notice_with_nothing_refused_or_pending_has_no_empty_section(app: Flask) -> None:
    set_up_district(app, review_body="", court="", supply_days="")  # nothing it prints is missing
    client = app.test_client()
    path = applied_case(client, login(client, "alice"), ["task55_unemployment_benefit"])
    response = client.get(notice_path(client, path))
    assert response.status_code == 200
    whole = "".join(pages(response.data))
    titles = "申请人和申请事项|认定的事实|审核结果、理由和依据|联系方式"
    headings = re.findall(rf"([一二三四五六七])、({titles})", whole)
    assert [n for n, _ in headings] == ["一", "二", "三", "四"]  # numbered without a gap
    assert "申请人的权利" not in whole and "尚需补充材料" not in whole and "行政复议" not in whole
    # the facts relied on are those the program applied for reads
    assert "失业保险累计缴费月数150个月" in whole and "低保对象" not in whole and "出生日期" not in whole


def test_the_notice_is_the_stored_decision_not_a_fresh_run(app: Flask) -> None:
    set_up_district(app)
    client = app.test_client()
    path = applied_case(client, login(client, "alice"), APPLIED)
    with db.database(app).sessions() as session:
        decision = session.scalar(select(DecisionRecord))
        stored = dict(decision.evaluation)
        stored["decisions"] = [
            {**d, "citation": {**d["citation"], "quote": "存档时的通知原文"}}
            if d["program"] == "task59_dibao_gradual_exit"
            else d
            for d in stored["decisions"]
        ]
        decision.evaluation = stored
        session.commit()
    whole = "".join(pages(client.get(notice_path(client, path)).data))
    assert "第59项任务：“存档时的通知原文”" in whole


def test_a_notice_of_another_users_case_is_not_found(app: Flask) -> None:
    set_up_district(app)
    alice = app.test_client()
    path = applied_case(alice, login(alice, "alice"), APPLIED)
    target = notice_path(alice, path)
    zed = app.test_client()
    login(zed, "zed")  # 江北区's supervisor
    assert zed.get(target).status_code == 404
    assert csrf_token(zed, "/cases")  # still signed in


def test_the_settings_the_notice_prints_are_saved_and_checked(app: Flask) -> None:
    root = app.test_client()
    token = login(root, "root")
    bad = root.post("/districts/渝中区", data={"csrf_token": token, **SETTINGS, "supply_days": "十五"})
    assert bad.status_code == 422
    error = '<span class="err" id="supply_days-err">补充材料期限（日）应为正整数，或留空</span>'
    assert error in bad.get_data(as_text=True)  # beside its input
    assert root.post("/districts/渝中区", data={"csrf_token": token, **SETTINGS}).status_code == 302
    form = root.get("/districts/渝中区").get_data(as_text=True)
    for name in ("office_address", "office_phone", "office_hours", "supply_days"):
        assert f'name="{name}" value="{SETTINGS[name]}"' in form


def test_every_fact_a_case_states_says_what_to_bring() -> None:
    for subject in ("person", "enterprise"):
        for spec in input_facts(subject):
            assert to_bring(spec.name), f"web/notices/materials.py: what shows “{spec.zh}” ({spec.name})?"


def test_the_notice_title_is_the_shipped_notices_own() -> None:
    shipped = Path(__file__).parents[2] / "rules" / "notice" / "qita-2020-4.txt"
    head = "".join(shipped.read_text(encoding="utf-8").split("其他〔2020〕4号")[0].split())
    assert NOTICE_TITLE.strip("《》").replace("〈", "").replace("〉", "") == head


@pytest.mark.parametrize(
    ("n", "words"), [(14, "十四"), (20, "二十"), (46, "四十六"), (202, "二百零二"), (1259, "一千二百五十九")]
)
def test_articles_are_cited_in_chinese_numerals(n: int, words: str) -> None:
    assert _numeral(n) == words


def test_an_ended_entitlement_reads_as_ended_with_its_last_day(app: Flask) -> None:
    set_up_district(app)
    client = app.test_client()
    token = login(client, "alice")
    path = applied_case(client, token, ["task55_unemployment_benefit"], as_of="2021-06-15")
    response = client.get(notice_path(client, path))
    assert response.status_code == 200
    whole = "".join(pages(response.data))
    assert "失业保险金：已期满（2020年10月31日止）" in whole
    assert "申请人对上述“失业保险金”的决定不服的" in whole  # an end is a decision the applicant may contest
    assert "失业保险金：不符合" not in whole
    card = client.get(path).get_data(as_text=True)
    assert '<span class="badge ended">已期满（2020-10-31止）</span>' in card
