"""No lost work, server side: a form posted after the login ended is refused with a way back to the
form (its draft is kept by the browser), the session's end is on every page for the warning, the
session state answers without extending it, and a saved form tells the browser to drop its draft.
The browser side (desk.js) is tested in test_web_browser.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from web_helpers import csrf_token, login


def test_a_form_posted_after_logout_in_another_tab_points_back_to_the_form(app: Flask) -> None:
    tab = app.test_client()
    token = login(tab, "alice")
    assert tab.post("/logout", data={"csrf_token": token}).status_code == 302  # "the other tab"
    refused = tab.post(
        "/cases/new/person",
        data={"csrf_token": token, "person.name": "周七"},
        headers={"Referer": "http://localhost/cases/new/person"},
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "登录已结束" in page and "草稿" in page
    assert 'href="/login?next=/cases/new/person"' in page
    assert "表单已过期或来源不明" not in page


def test_a_form_from_another_site_is_still_refused_as_before(app: Flask) -> None:
    client = app.test_client()
    login(client, "alice")
    refused = client.post("/cases/new/person", data={"csrf_token": "forged"})
    assert refused.status_code == 400 and "表单已过期或来源不明" in refused.get_data(as_text=True)


def test_pages_carry_the_end_of_the_session(app: Flask) -> None:
    client = app.test_client()
    login(client, "alice")
    page = client.get("/cases").get_data(as_text=True)
    ends = datetime.fromisoformat(re.search(r'data-session-ends="([^"]+)"', page).group(1))
    assert timedelta(hours=7, minutes=58) < ends - datetime.now(UTC) <= timedelta(hours=8)
    state = client.get("/session").get_json()
    assert state["signed_in"] is True and datetime.fromisoformat(state["ends"]) == ends
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cases")})
    assert client.get("/session").get_json() == {"signed_in": False}


def test_a_saved_form_tells_the_browser_to_drop_its_draft(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "alice")
    form = client.get("/cases/new/person").get_data(as_text=True)
    assert 'data-draft="case-new-person"' in form and 'data-draft-done=""' in form
    saved = client.post("/cases/new/person", data={"csrf_token": token, "as_of": "2020-09-15"})
    assert saved.status_code == 302
    assert 'data-draft-done="case-new-person"' in client.get(saved.location).get_data(as_text=True)
    assert 'data-draft-done=""' in client.get("/cases").get_data(as_text=True)  # said once
