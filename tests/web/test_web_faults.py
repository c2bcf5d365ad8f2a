"""Faults a request can cause: the API without credentials, NUL characters, a failed database write.

Each is answered as the contract says (401 with WWW-Authenticate; a per-field 400 in Chinese; a 500
page), nothing reaches the database that it cannot store, and the server log never quotes a name.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask, g
from sqlalchemy import func, select
from web_helpers import VALID_ID, csrf_token, login, make_app, new_person_case

from web import db
from web.records import CaseRecord

NAME = "张秘密"


def test_the_api_without_credentials_answers_401_with_a_bearer_challenge(app: Flask) -> None:
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer sbt_not-a-token"}):
        response = client.post("/api/v1/evaluate", json={"kind": "person", "person": {}}, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"] == "请先登录"
    # A signed-in browser session still needs its CSRF header: that is what stops a forged post.
    login(client, "alice")
    assert client.post("/api/v1/evaluate", json={"kind": "person", "person": {}}).status_code == 400


def _case_count(app: Flask) -> int:
    with db.database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(CaseRecord)) or 0


def check_nul_is_refused_per_field(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "alice")
    search = client.post("/cases", data={"csrf_token": token, "q": "0037\x00"})
    assert search.status_code == 400
    assert "“搜索”中含有不允许的空字符（NUL）" in search.get_data(as_text=True)
    data = {"csrf_token": token, "as_of": "2020-09-15", "person.name": "张\x00某"}
    saved = client.post("/cases/new/person", data=data)
    assert saved.status_code == 400
    assert "“姓名”中含有不允许的空字符（NUL）" in saved.get_data(as_text=True)
    assert _case_count(app) == 0
    api = client.post(
        "/api/v1/evaluate?as_of=2020-09-15%00", json={}, headers={"X-CSRFToken": token}
    ).get_json()
    assert api["errors"][0]["field"] == "as_of"
    other = app.test_client()
    refused = other.post(
        "/login", data={"username": "alice\x00", "password": "x", "csrf_token": csrf_token(other)}
    )
    assert refused.status_code == 400 and "“用户名”" in refused.get_data(as_text=True)


def test_nul_is_refused_per_field_on_sqlite(app: Flask) -> None:
    check_nul_is_refused_per_field(app)


def test_nul_is_refused_per_field_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    app = make_app(tmp_path, DATABASE_URL=pg_url)
    try:
        check_nul_is_refused_per_field(app)
    finally:
        db.database(app).engine.dispose()


def check_a_failed_write_is_a_500_page_and_a_quiet_log(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """A write the database refuses (here: the same case ref twice, and a NUL where the database is
    PostgreSQL) gives the error page, a working next request, and a log without the name."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers

    @app.post("/test-failed-write/<ref>")
    def failed_write(ref: str):  # type: ignore[no-untyped-def]
        name = NAME + ("\x00" if db.session().bind.dialect.name == "postgresql" else "")  # type: ignore[union-attr]
        row = CaseRecord(ref=ref, kind="person", name=name, owner_id=g.user.id, id_masked=VALID_ID)
        db.session().add(row)
        db.session().commit()
        return "saved"

    client = app.test_client()
    token = login(client, "alice")
    path = new_person_case(client, token, **{"person.name": NAME, "person.id_number": VALID_ID})
    ref = path.rstrip("/").rsplit("/", 1)[-1]
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        response = client.post(f"/test-failed-write/{ref}", data={"csrf_token": token})
    assert response.status_code == 500
    assert "系统出错，请稍后再试" in response.get_data(as_text=True)
    assert "alice" in response.get_data(as_text=True)  # the page still shows who is signed in
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "IntegrityError" in logged or "DataError" in logged
    assert NAME not in logged and VALID_ID not in logged and "\\u" not in logged
    assert client.get(path).status_code == 200  # the next request is served as usual


def test_a_failed_write_on_sqlite(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    check_a_failed_write_is_a_500_page_and_a_quiet_log(app, caplog)


def test_a_failed_write_on_postgresql(tmp_path: Path, pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(tmp_path, DATABASE_URL=pg_url)
    try:
        check_a_failed_write_is_a_500_page_and_a_quiet_log(app, caplog)
    finally:
        db.database(app).engine.dispose()
