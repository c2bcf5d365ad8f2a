"""Chinese first, English by a switch: every string of the pages has an English translation in the
catalogue, the compiled catalogue is current, and the engine's own texts follow the switch."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from web_helpers import new_person_case

import web
from web.i18n import TRANSLATIONS

WEB = Path(web.__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}


def page_strings() -> set[str]:
    found = extract_from_dir(str(WEB), METHODS, keywords=KEYWORDS)
    return {message for _, _, message, _, _ in found if isinstance(message, str) and message}


def test_every_page_string_is_translated() -> None:
    with (TRANSLATIONS / "en/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {m.id for m in catalog if m.id and m.string}
    untranslated = sorted(page_strings() - translated)
    assert untranslated == [], "add these to web/translations/en/LC_MESSAGES/messages.po"


def test_the_compiled_catalogue_is_current() -> None:
    with (TRANSLATIONS / "en/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po)
    with (TRANSLATIONS / "en/LC_MESSAGES/messages.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for message in catalog:
        if message.id:
            assert compiled.gettext(message.id) == message.string, "run: python -m web.i18n compile"


def test_language_switch(alice: tuple[FlaskClient, str]) -> None:
    client, token = alice
    path = new_person_case(client, token, **{"person.employed": "no", "person.dibao_recipient": "yes"})
    zh = client.get(path).get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and "需询问（离结论最近的项目所需的在前）" in zh and "低保渐退" in zh
    response = client.post("/lang", data={"csrf_token": token, "lang": "en", "next": path})
    assert response.status_code == 302 and response.location == path
    en = client.get(path).get_data(as_text=True)
    assert '<html lang="en">' in en
    assert "Questions to ask (those that settle the nearest decisions first)" in en
    assert "Evaluation date" in en
    # The questions worded as well as the Chinese, never "Please provide: X".
    assert "Is the applicant able to work?" in en and "Please provide" not in en
    assert "Graduated exit from the minimum living guarantee" in en  # the engine's English text
    assert "Not eligible (" in en or "Not eligible" in en
    form = client.get("/cases/new/person").get_data(as_text=True)
    assert '<label for="f-person-birth_date">Date of birth</label>' in form
    assert "<legend>Identity</legend>" in form
    assert ">urban</option>" in form
    # The stored record stays in Chinese.
    assert client.post("/lang", data={"csrf_token": token, "lang": "zh", "next": "//evil"}).location == "/"


def test_the_switch_needs_csrf(alice: tuple[FlaskClient, str]) -> None:
    client, _ = alice
    assert client.post("/lang", data={"lang": "en"}).status_code == 400
