"""Authentication as ASVS level 2 asks: throttled logins that never lock the real user out from
elsewhere, passwords that are long and not common, server-side sessions that end at logout and at a
password change, admins who disable accounts and reset passwords, and an audit log of all of it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from web_helpers import PASSWORD, csrf_token, login, make_app

import web.accounts
from web import db
from web.accounts import AccountError, check_password
from web.records import AuditEvent, LoginSession, User

ATTACKER, OFFICE = "203.0.113.9", "10.1.2.3"
NEW_PASSWORD = "plum kettle 42"


def attempt(client: FlaskClient, username: str, password: str, address: str = OFFICE) -> Any:
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def counting_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each password hash check (the slow part of a login) while calling the real one."""
    calls: list[str] = []
    real = web.accounts.check_password_hash

    def counted(stored: str, password: str) -> bool:
        calls.append(password)
        return real(stored, password)

    monkeypatch.setattr(web.accounts, "check_password_hash", counted)
    return calls


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert attempt(attacker, "alice", "wrong guess", ATTACKER).status_code == 200
    hashes = counting_hashes(monkeypatch)
    held = attempt(attacker, "alice", PASSWORD, ATTACKER)  # even the right password, from there
    assert held.status_code == 429
    assert "该账号在这台电脑上登录失败次数过多，请 1 分钟后再试" in held.get_data(as_text=True)
    assert hashes == []  # refused before the password hash: a flood costs no hashing
    # The real user, from the office, signs in; and bob, from the attacker's address, too.
    assert attempt(app.test_client(), "alice", PASSWORD, OFFICE).status_code == 302
    assert attempt(app.test_client(), "bob", PASSWORD, ATTACKER).status_code == 302


def test_an_address_guessing_many_accounts_is_held(tmp_path: Any) -> None:
    app = make_app(tmp_path, LOGIN_MAX_FAILURES_PER_ADDRESS=6)
    client = app.test_client()
    for name in ("alice", "bob", "sue", "nobody", "zed", "root"):
        assert attempt(client, name, "wrong guess", ATTACKER).status_code == 200
    held = attempt(client, "bob", PASSWORD, ATTACKER)
    assert held.status_code == 429 and "这台电脑登录失败次数过多" in held.get_data(as_text=True)
    assert attempt(app.test_client(), "bob", PASSWORD, OFFICE).status_code == 302
    db.database(app).engine.dispose()


def test_a_success_starts_the_count_afresh(app: Flask) -> None:
    client = app.test_client()
    for _ in range(2):
        for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
            assert attempt(client, "alice", "wrong guess").status_code == 200
        assert attempt(client, "alice", PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/cases")})


def test_logins_are_in_the_audit_log_which_only_admins_see(app: Flask) -> None:
    attempt(app.test_client(), "alice", "wrong guess", ATTACKER)
    attempt(app.test_client(), "alice", PASSWORD, OFFICE)
    with db.database(app).sessions() as session:
        events = [(e.event, e.username, e.address) for e in session.scalars(select(AuditEvent))]
    assert ("login_failed", "alice", ATTACKER) in events and ("login_ok", "alice", OFFICE) in events
    alice, root = app.test_client(), app.test_client()
    login(alice, "alice")
    login(root, "root")
    assert alice.get("/admin/audit").status_code == 404
    page = root.get("/admin/audit").get_data(as_text=True)
    assert "登录失败" in page and ATTACKER in page and "登录成功" in page


@pytest.mark.parametrize(
    "password",
    ["12345678", "1234567890", "password123", "qq123456789", "aaaaaaaaaaaa", "alice2020!", "woaini1314"],
)
def test_short_or_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(AccountError, match="密码"):
        check_password(password, "alice")


def test_a_long_uncommon_password_is_accepted() -> None:
    check_password(NEW_PASSWORD, "alice")
    check_password(PASSWORD, "alice")


def test_a_password_with_a_nul_is_refused() -> None:
    with pytest.raises(AccountError, match="密码不能含空字符（NUL）"):
        check_password("plum kettle\x0042", "alice")


@pytest.mark.parametrize(
    ("username", "words"),
    [
        ("eve\nroot", "用户名不能含控制字符、格式字符或换行（U+000A）"),
        ("e\tve", "（U+0009）"),
        ("eve\u202etoor", "（U+202E）"),  # a right-to-left override: shown as "everoot" reversed
        ("bob\u200b", "（U+200B）"),  # a zero-width space: "bob" beside bob
        ("e\u2029ve", "（U+2029）"),
        ("e\udcffve", "用户名不是 UTF-8 编码的文本"),  # a byte of a command-line argument
        ("Alice", "用户名已存在：alice（大小写或全角半角不同也算同一个）"),
        ("ＡＬＩＣＥ", "用户名已存在：alice"),
    ],
    ids=["newline", "tab", "RLO", "zero-width space", "paragraph separator", "not UTF-8", "case", "width"],
)
def test_a_username_that_hides_characters_or_matches_another_is_refused(
    app: Flask, username: str, words: str
) -> None:
    """The rule create_user applies (subsidy create-user and the admin's form alike)."""
    with db.database(app).sessions() as session, pytest.raises(AccountError) as refused:
        web.accounts.create_user(session, username, "plum kettle 42")
    assert words in str(refused.value)


def test_the_admins_form_refuses_the_same_names(app: Flask) -> None:
    root = app.test_client()
    login(root, "root")
    for username, words in [("BOB", "用户名已存在：bob"), ("carol\u200b", "（U+200B）")]:
        response = admin_post(
            root, "/admin/users", username=username, password="plum kettle 42", role="caseworker"
        )
        assert response.status_code == 422 and words in response.get_data(as_text=True)
    named = admin_post(
        root,
        "/admin/users",
        username="carol",
        password="plum kettle 42",
        role="caseworker",
        full_name="Ca\u202erol",
    )
    assert named.status_code == 422 and "姓名不能含控制字符、格式字符或换行（U+202E）" in named.get_data(
        as_text=True
    )


def cookie(client: FlaskClient) -> str:
    found = client.get_cookie("subsidy_session")
    assert found is not None
    return found.value


def replay(app: Flask, value: str) -> int:
    """GET /cases with a copy of a captured session cookie, in another browser."""
    thief = app.test_client()
    thief.set_cookie("subsidy_session", value)
    return thief.get("/cases").status_code


def test_a_cookie_captured_before_logout_stops_working(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "alice")
    captured = cookie(client)
    assert replay(app, captured) == 200
    client.post("/logout", data={"csrf_token": token})
    assert replay(app, captured) == 302  # to the login page
    with db.database(app).sessions() as session:
        assert session.scalars(select(LoginSession)).all() == []


def change_password(client: FlaskClient, current: str, new: str, confirm: str | None = None) -> Any:
    data = {"current": current, "new": new, "confirm": new if confirm is None else confirm}
    return client.post(
        "/account/password", data={**data, "csrf_token": csrf_token(client, "/account/password")}
    )


def test_changing_the_password_ends_every_other_session(app: Flask) -> None:
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "alice")
    login(phone, "alice")
    assert "修改密码" in laptop.get("/account/password").get_data(as_text=True)
    wrong = change_password(laptop, "not it", NEW_PASSWORD)
    assert wrong.status_code == 422 and "原密码不正确" in wrong.get_data(as_text=True)
    weak = change_password(laptop, PASSWORD, "1234567890")
    assert weak.status_code == 422 and "密码太常见或太容易猜到" in weak.get_data(as_text=True)
    differ = change_password(laptop, PASSWORD, NEW_PASSWORD, "something else")
    assert differ.status_code == 422 and "两次输入的新密码不一致" in differ.get_data(as_text=True)
    captured = cookie(laptop)
    assert change_password(laptop, PASSWORD, NEW_PASSWORD).status_code == 302
    assert laptop.get("/cases").status_code == 200  # this browser stays signed in, with a new key
    assert phone.get("/cases").status_code == 302 and replay(app, captured) == 302
    assert attempt(app.test_client(), "alice", PASSWORD).status_code == 200  # the old one is wrong
    assert attempt(app.test_client(), "alice", NEW_PASSWORD).status_code == 302


def admin_post(root: FlaskClient, path: str, **data: str) -> Any:
    return root.post(path, data={"csrf_token": csrf_token(root, "/admin/users"), **data})


def alice_id(app: Flask) -> int:
    with db.database(app).sessions() as session:
        return session.scalar(select(User.id).where(User.username == "alice"))  # type: ignore[return-value]


def test_an_admin_disables_and_enables_an_account(app: Flask) -> None:
    alice, root = app.test_client(), app.test_client()
    login(alice, "alice")
    login(root, "root")
    token = alice.post("/admin/token", data={"csrf_token": csrf_token(alice, "/admin/token")})
    api_token = token.get_data(as_text=True).split("sbt_", 1)[1].split("<", 1)[0].split('"', 1)[0]
    bearer = {"Authorization": f"Bearer sbt_{api_token}"}
    assert (
        alice.post("/api/v1/evaluate", json={"kind": "person", "person": {}}, headers=bearer).status_code
        == 200
    )
    assert admin_post(root, f"/admin/users/{alice_id(app)}/active", active="0").status_code == 302
    assert alice.get("/cases").status_code == 302  # signed out at once
    assert attempt(app.test_client(), "alice", PASSWORD).status_code == 200  # cannot sign in
    assert alice.post("/api/v1/evaluate", json={}, headers=bearer).status_code == 401
    with db.database(app).sessions() as session:
        root_id = session.scalar(select(User.id).where(User.username == "root"))
    itself = admin_post(root, f"/admin/users/{root_id}/active", active="0")
    assert itself.status_code == 422 and "不能停用自己的账号" in itself.get_data(as_text=True)
    assert admin_post(root, f"/admin/users/{alice_id(app)}/active", active="1").status_code == 302
    assert attempt(app.test_client(), "alice", PASSWORD).status_code == 302
    with db.database(app).sessions() as session:
        events = [(e.event, e.username, e.actor) for e in session.scalars(select(AuditEvent))]
    assert ("user_disabled", "alice", "root") in events and ("user_enabled", "alice", "root") in events


def test_an_admin_resets_a_password_which_must_then_be_changed(app: Flask) -> None:
    alice, root = app.test_client(), app.test_client()
    login(alice, "alice")
    login(root, "root")
    path = f"/admin/users/{alice_id(app)}/password"
    weak = admin_post(root, path, password="12345678")
    assert weak.status_code == 422 and "密码至少10个字符" in weak.get_data(as_text=True)
    assert admin_post(root, path, password="temporary ferret 7").status_code == 302
    assert alice.get("/cases").status_code == 302  # signed out
    fresh = app.test_client()
    signed_in = attempt(fresh, "alice", "temporary ferret 7")
    assert signed_in.status_code == 302 and signed_in.location.endswith("/account/password")
    assert fresh.get("/cases").location.endswith("/account/password")  # nothing else first
    assert "管理员重置了您的密码" in fresh.get("/account/password").get_data(as_text=True)
    assert change_password(fresh, "temporary ferret 7", NEW_PASSWORD).status_code == 302
    assert fresh.get("/cases").status_code == 200
    with db.database(app).sessions() as session:
        events = [(e.event, e.username, e.actor) for e in session.scalars(select(AuditEvent))]
    assert ("password_reset", "alice", "root") in events and ("password_changed", "alice", "alice") in events


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_an_account_or_token_number_past_any_key_is_not_found(
    database: str, tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    """A number typed past what a key holds (2**31 on PostgreSQL, 2**63 on SQLite) answers 404 or
    revokes nothing, as an unknown one does; it overflowed the driver (500)."""
    extra = {"DATABASE_URL": request.getfixturevalue("pg_url")} if database == "postgresql" else {}
    app = make_app(tmp_path, **extra)
    try:
        root = app.test_client()
        login(root, "root")
        for number in ("2147483648", "9223372036854775808", "99999999999999999999"):
            for action in ("active", "district", "password"):
                assert admin_post(root, f"/admin/users/{number}/{action}", active="1").status_code == 404
            revoked = root.post(
                "/admin/token",
                data={"csrf_token": csrf_token(root, "/admin/token"), "action": "revoke", "token": number},
            )
            assert revoked.status_code == 200 and "API 令牌已作废" not in revoked.get_data(as_text=True)
    finally:
        db.database(app).engine.dispose()


def test_behind_a_proxy_the_forwarded_address_is_the_one_counted(tmp_path: Any) -> None:
    app = make_app(tmp_path, PROXY_HOPS=1)
    client = app.test_client()
    token = csrf_token(client)
    form = {"username": "alice", "password": "wrong guess", "csrf_token": token}
    client.post(
        "/login", data=form, headers={"X-Forwarded-For": ATTACKER}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    with db.database(app).sessions() as session:
        assert session.scalar(select(AuditEvent.address)) == ATTACKER
    db.database(app).engine.dispose()
