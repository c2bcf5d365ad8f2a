"""Receipts in words and units, and an English page entirely in English (issue 23 item 5): no
Python lists or raw setting keys on a receipt; in English, Chinese text only where it is the
record itself (a name, a document, a quoted source), and then marked lang="zh-CN"."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from web_helpers import VALID_ID, login, new_person_case

from web import db
from web.english import english_page, english_text
from web.records import DecisionRecord

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")  # Han, and CJK / full-width punctuation


class OutsideChinese(HTMLParser):
    """The page's visible text outside elements marked lang="zh-CN" (and outside scripts)."""

    VOID = frozenset(
        {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area", "base", "embed"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: inside Chinese (or a script)
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        inside = bool(self.stack and self.stack[-1])
        self.stack.append(inside or dict(attrs).get("lang") == "zh-CN" or tag in ("script", "style", "title"))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.text.append(data)


def chinese_outside_lang(html: str) -> list[str]:
    body = html.split("<body", 1)[1]
    parser = OutsideChinese()
    parser.feed("<body" + body)
    return [t.strip() for t in parser.text if CJK.search(t)]


def english(client: FlaskClient, token: str) -> None:
    client.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/cases"})


def a_case(client: FlaskClient, token: str) -> str:
    return new_person_case(
        client,
        token,
        case_id="R-1",
        **{
            "person.name": "王五",
            "person.id_number": VALID_ID,
            "person.ui_contribution_months": "30",
            "person.involuntary_unemployment": "yes",
            "person.registered_unemployed": "yes",
            "person.employed": "no",
        },
    )


def receipt_path(app, path: str) -> str:
    with db.database(app).sessions() as session:
        decision = session.scalar(select(DecisionRecord.id))
    return f"{path}/decisions/{decision}/receipt"


def test_a_receipt_is_in_words_and_units(app) -> None:
    client = app.test_client()
    token = login(client, "alice")
    path = a_case(client, token)
    page = client.get(receipt_path(app, path)).get_data(as_text=True)
    assert "threshold" not in page and "[{" not in page and "offers_hiring_subsidy" not in page
    assert "失业保险累计缴费月数满12个月：12个月；" in page  # a scale, step by step
    assert "30个月" in page  # a fact with its unit
    english(client, token)
    page = client.get(receipt_path(app, path)).get_data(as_text=True)
    assert "12 months or more: 12 months" in page and "30 months" in page
    assert "offers_hiring_subsidy" not in page


@pytest.mark.parametrize("where", ["list", "case", "receipt", "history", "token", "password", "new"])
def test_the_english_ui_is_english(app, where: str) -> None:
    client = app.test_client()
    token = login(client, "alice")
    path = a_case(client, token)
    english(client, token)
    url = {
        "list": "/cases",
        "case": path,
        "receipt": receipt_path(app, path),
        "history": path + "/history",
        "token": "/admin/token",
        "password": "/account/password",
        "new": "/cases/new/person",
    }[where]
    html = client.get(url).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert chinese_outside_lang(html) == []
    assert "Yuzhong District" in html  # the header's district, by its English name
    if where == "case":  # lead units by their English names, lists and brackets in English
        assert "Municipal Human Resources and Social Security Bureau" in html
        assert "、" not in html.split("<main", 1)[1].replace('lang="zh-CN">', "\x00").split("\x00")[0]
    if where == "token":
        assert "Each token expires after 90 days" in html


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("Eligible（2）", "Eligible (2)"),
        ("Note：the rule", "Note: the rule"),
        ("其他〔2020〕4号 Task 29", '<span lang="zh-CN">其他〔2020〕4号</span> Task 29'),
        (
            "市人力社保局；Also responsible：各区县政府、市财政局",
            "Municipal Human Resources and Social Security Bureau; Also responsible: district and county"
            " governments, Municipal Finance Bureau",
        ),
        (
            "对符合条件的人员，及时发放失业保险金。",
            '<span lang="zh-CN">对符合条件的人员，及时发放失业保险金。</span>',
        ),
        ("alice（Caseworker·渝中区）", "alice (Caseworker·Yuzhong District)"),
        ("石柱土家族自治县", "Shizhu Tujia Autonomous County"),
    ],
)
def test_english_text(text: str, english: str) -> None:
    assert english_text(text) == english


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users",
        "/districts",
        "/districts/%E6%B8%9D%E4%B8%AD%E5%8C%BA",
        "/batches/new",
        "/admin/audit",
        "print",
    ],
)
def test_the_english_admin_pages_are_english(app, url: str) -> None:
    client = app.test_client()
    token = login(client, "root")
    path = a_case(client, token)
    english(client, token)
    if url == "print":
        url = receipt_path(app, path).removesuffix("/receipt") + "/print"
    html = client.get(url).get_data(as_text=True)
    assert chinese_outside_lang(html) == []
    if url.startswith("/districts/"):
        assert "Graduated exit" in html or "Unemployment insurance benefit" in html  # standards in English


def test_an_english_page_changes_text_only() -> None:
    page = (
        '<body data-msg="登录，"><textarea name="n">王五，</textarea><p title="注：">Note：王五</p>'
        '<select><option value="zh">中文</option></select><script>var a = "，";</script></body>'
    )
    assert english_page(page) == (
        '<body data-msg="登录，"><textarea name="n">王五，</textarea>'
        '<p title="注：">Note: <span lang="zh-CN">王五</span></p>'
        '<select><option value="zh" lang="zh-CN">中文</option></select><script>var a = "，";</script></body>'
    )
