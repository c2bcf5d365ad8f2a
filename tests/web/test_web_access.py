"""Access: login required, each role's view of the cases, 404 for another's case, CSRF, sessions."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from web_helpers import PASSWORD, VALID_ID, csrf_token, login, new_person_case

from web import db
from web.records import CaseRecord, DecisionRecord


def count(app: Flask, table: type) -> int:
    with db.database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_pages_need_login(app: Flask) -> None:
    client = app.test_client()
    for path in ("/cases", "/cases/new/person", "/cases/abc123", "/admin/token"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")
    assert client.get("/").location == "/login"


def test_wrong_password_says_only_that(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    for username in ("alice", "nobody"):
        response = client.post(
            "/login", data={"username": username, "password": "wrong!!!", "csrf_token": token}
        )
        assert response.status_code == 200
        assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/cases").status_code == 302


def test_login_redirects_only_to_this_site(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post(
            "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token, "next": target}
        )
        assert response.location == "/cases"
        client.post("/logout", data={"csrf_token": csrf_token(client, "/cases")})
        token = csrf_token(client)


def test_session_cookie_flags(app: Flask) -> None:
    client = app.test_client()
    response = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_needs_post_and_ends_the_session(alice: tuple[FlaskClient, str]) -> None:
    client, token = alice
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/cases").status_code == 302


def test_a_caseworker_sees_only_their_own_cases(app: Flask) -> None:
    alice, bob, sue, zed, root = (app.test_client() for _ in range(5))
    a_token = login(alice, "alice")
    login(bob, "bob")
    login(sue, "sue")
    login(zed, "zed")
    login(root, "root")
    path = new_person_case(alice, a_token, **{"person.name": "张三", "person.id_number": VALID_ID})
    assert alice.get(path).status_code == 200
    assert "张三" in alice.get("/cases").get_data(as_text=True)
    # Another caseworker: every page of the case is "not found", exactly as a case that does not exist.
    ref = path.rsplit("/", 1)[1]
    for sub in ("", "/edit", "/history", "/decisions/1", "/decisions/1/print"):
        assert bob.get(f"/cases/{ref}{sub}").status_code == 404
    assert bob.get("/cases/0000000000000000").status_code == 404
    assert bob.get("/cases/../../etc").status_code == 404
    assert "张三" not in bob.get("/cases").get_data(as_text=True)
    # The district's supervisor sees it; another district's does not; the admin does.
    assert sue.get(path).status_code == 200
    assert zed.get(path).status_code == 404
    assert "张三" not in zed.get("/cases").get_data(as_text=True)
    assert root.get(path).status_code == 200


def test_another_caseworker_cannot_post_to_the_case(app: Flask) -> None:
    alice, bob = app.test_client(), app.test_client()
    a_token = login(alice, "alice")
    b_token = login(bob, "bob")
    path = new_person_case(alice, a_token)
    before = count(app, DecisionRecord)
    for sub in ("/edit", "/answer"):
        assert bob.post(path + sub, data={"csrf_token": b_token, "person.employed": "yes"}).status_code == 404
    assert count(app, DecisionRecord) == before


def test_forged_form_without_csrf_token_is_refused_and_nothing_stored(alice: tuple[FlaskClient, str]) -> None:
    client, _ = alice
    app = client.application
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post("/cases/new/person", data={**data, "person.name": "伪造"})
        assert response.status_code == 400
        assert "表单已过期或来源不明" in response.get_data(as_text=True)
    assert count(app, CaseRecord) == 0
    assert count(app, DecisionRecord) == 0


def test_login_form_needs_csrf_too(app: Flask) -> None:
    response = app.test_client().post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400


def test_only_admins_manage_accounts(app: Flask) -> None:
    alice, root = app.test_client(), app.test_client()
    login(alice, "alice")
    r_token = login(root, "root")
    assert alice.get("/admin/users").status_code == 404
    response = root.post(
        "/admin/users",
        data={"csrf_token": r_token, "username": "carol", "password": "plum kettle 42", "role": "caseworker"},
    )
    assert response.status_code == 302
    assert "carol" in root.get("/admin/users").get_data(as_text=True)
    short = root.post(
        "/admin/users",
        data={"csrf_token": r_token, "username": "dave", "password": "short", "role": "caseworker"},
    )
    assert short.status_code == 422
    assert "密码至少10个字符" in short.get_data(as_text=True)
