"""Accounts at ASVS L2 (issue 23 item 6): tokens revoked and expiring, throttling that slows a
guesser without locking an office out, passwords holding names refused, drafts wiped at logout,
the audit log of tokens, refusals and views (a supervisor reads their district's), ID numbers
encrypted at rest and found by a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text, update
from web_helpers import PASSWORD, VALID_ID, csrf_token, login, make_app, new_person_case

from web import db
from web.accounts import AccountError, check_password, create_user, issue_token
from web.auth.throttle import backoff
from web.filters import local_time
from web.migrate import upgrade
from web.records import ApiToken, AuditEvent, CaseRecord, DecisionRecord, LoginSession, User, utcnow
from web.sealing import Keys, seal_existing

OFFICE, ATTACKER = "10.0.0.7", "203.0.113.9"
NEW_PASSWORD = "quiet lantern 58 orbit"


def user(app: Flask, name: str) -> User:
    with db.database(app).sessions() as session:
        return session.scalar(select(User).where(User.username == name))


def token_for(app: Flask, name: str, days: int = 90) -> str:
    with db.database(app).sessions() as session:
        return issue_token(session, session.scalar(select(User).where(User.username == name)), days)[0]


def api_status(app: Flask, token: str) -> int:
    return (
        app.test_client()
        .post("/api/v1/evaluate", json={}, headers={"Authorization": f"Bearer {token}"})
        .status_code
    )


def events(app: Flask, kind: str | None = None) -> list[AuditEvent]:
    with db.database(app).sessions() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        return list(session.scalars(query.where(AuditEvent.event == kind) if kind else query))


# Tokens ---------------------------------------------------------------------------------------


def test_a_password_change_revokes_every_token(app: Flask) -> None:
    token = token_for(app, "alice")
    assert api_status(app, token) == 200
    client = app.test_client()
    csrf = login(client, "alice")
    data = {"csrf_token": csrf, "current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post("/account/password", data=data).status_code == 302
    assert api_status(app, token) == 401
    assert "作废 API 令牌 1 个" in events(app, "password_changed")[-1].detail


def test_an_admin_reset_revokes_every_token(app: Flask) -> None:
    token = token_for(app, "alice")
    admin = app.test_client()
    csrf = login(admin, "root")
    uid = user(app, "alice").id
    assert (
        admin.post(
            f"/admin/users/{uid}/password", data={"csrf_token": csrf, "password": NEW_PASSWORD}
        ).status_code
        == 302
    )
    assert api_status(app, token) == 401


def test_disabling_revokes_tokens_and_enabling_restores_none(app: Flask) -> None:
    token = token_for(app, "alice")
    admin = app.test_client()
    csrf = login(admin, "root")
    uid = user(app, "alice").id
    admin.post(f"/admin/users/{uid}/active", data={"csrf_token": csrf, "active": "0"})
    assert api_status(app, token) == 401
    admin.post(f"/admin/users/{uid}/active", data={"csrf_token": csrf, "active": "1"})
    assert api_status(app, token) == 401  # live again? never
    with db.database(app).sessions() as session:
        assert session.scalars(select(ApiToken).where(ApiToken.user_id == uid)).all() == []


def test_a_token_expires(app: Flask) -> None:
    token = token_for(app, "alice", days=90)
    with db.database(app).sessions() as session:
        row = session.scalar(select(ApiToken))
        assert timedelta(days=89, hours=23) < row.expires_at.replace(tzinfo=None) - utcnow().replace(
            tzinfo=None
        )
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert api_status(app, token) == 401
    assert events(app, "token_refused")[-1].detail == "POST /api/v1/evaluate"


def test_a_flood_of_refused_tokens_is_logged_up_to_the_address_limit(app: Flask) -> None:
    """Every refused token is answered 401; the audit log keeps the window's first
    LOGIN_MAX_FAILURES_PER_ADDRESS refusals from one address, not a row per request of a flood,
    and logs again once they are older than the window."""
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    assert [api_status(app, "no-such-token") for _ in range(limit + 2)] == [401] * (limit + 2)
    assert len(events(app, "token_refused")) == limit
    window = timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"])
    with db.database(app).sessions() as session:
        session.execute(update(AuditEvent).values(at=utcnow() - window - timedelta(seconds=1)))
        session.commit()
    assert api_status(app, "no-such-token") == 401
    assert len(events(app, "token_refused")) == limit + 1


def test_the_token_page_lists_expiry_and_logs_issue_and_revoke(app: Flask) -> None:
    client = app.test_client()
    csrf = login(client, "alice")
    page = client.post("/admin/token", data={"csrf_token": csrf, "action": "issue", "label": "报表系统"})
    body = page.get_data(as_text=True)
    token = re.search(r'<code id="new-token">([^<]+)</code>', body).group(1)
    assert "报表系统" in body and "90 天后失效" in body
    with db.database(app).sessions() as session:
        row = session.scalar(select(ApiToken))
    assert local_time(row.expires_at) in body  # the expiry, in Chongqing time
    client.post("/admin/token", data={"csrf_token": csrf, "action": "revoke", "token": str(row.id)})
    assert api_status(app, token) == 401
    issued, revoked = events(app, "token_issued"), events(app, "token_revoked")
    assert len(issued) == 1 and len(revoked) == 1 and "报表系统" in issued[0].detail
    assert token not in issued[0].detail  # the log names the token, never holds it
    # Someone else's token cannot be revoked by its number.
    other = token_for(app, "bob")
    with db.database(app).sessions() as session:
        bobs = session.scalar(select(ApiToken.id).where(ApiToken.user_id == user(app, "bob").id))
    client.post("/admin/token", data={"csrf_token": csrf, "action": "revoke", "token": str(bobs)})
    assert api_status(app, other) == 200


# Throttling -------------------------------------------------------------------------------------


def attempt(client: FlaskClient, username: str, password: str, address: str) -> Any:
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_wait_doubles_up_to_the_window() -> None:
    window = timedelta(minutes=15)
    assert backoff(4, 5, window) is None
    waits = [backoff(n, 5, window) for n in range(5, 12)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[-1] == window and all(a <= b for a, b in itertools.pairwise(waits))


def test_an_office_behind_one_address_keeps_signing_in_while_someone_there_sprays(tmp_path: Path) -> None:
    app = make_app(tmp_path, LOGIN_MAX_FAILURES_PER_ADDRESS=6)
    for name in ("alice", "bob"):  # the office's staff have signed in from the office before
        assert attempt(app.test_client(), name, PASSWORD, OFFICE).status_code == 302
    sprayer = app.test_client()
    for name in ("alice", "bob", "sue", "nobody", "zed", "root", "carol"):
        attempt(sprayer, name, "wrong guess", OFFICE)
    # A name never signed in from here is held (the sprayer's next guesses), with a wait in minutes…
    held = attempt(sprayer, "sue", PASSWORD, OFFICE)
    assert held.status_code == 429 and "这台电脑登录失败次数过多" in held.get_data(as_text=True)
    # …while the office's own users still sign in from that same address.
    assert attempt(app.test_client(), "alice", PASSWORD, OFFICE).status_code == 302
    assert attempt(app.test_client(), "bob", PASSWORD, OFFICE).status_code == 302
    db.database(app).engine.dispose()


def test_guessing_one_account_from_many_addresses_is_slowed(tmp_path: Path) -> None:
    app = make_app(tmp_path, LOGIN_MAX_FAILURES_PER_ACCOUNT=4)
    assert attempt(app.test_client(), "alice", PASSWORD, OFFICE).status_code == 302
    for i in range(4):
        attempt(app.test_client(), "alice", "wrong guess", f"198.51.100.{i}")
    held = attempt(app.test_client(), "alice", PASSWORD, "198.51.100.99")
    assert held.status_code == 429
    # The real user, at the office they sign in from, is not held by a guesser elsewhere.
    assert attempt(app.test_client(), "alice", PASSWORD, OFFICE).status_code == 302
    db.database(app).engine.dispose()


# Passwords --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "username", "district", "name", "what"),
    [
        ("yuzhong2020-plum-kettle", "wxl", "渝中区", "", "所属区县"),
        ("Jiang Bei river 7 lamp", "wxl", "江北区", "", "所属区县"),
        ("changshou!!quiet-lamp-9", "wxl", "长寿区", "", "所属区县"),
        ("wangxiaoli1990!plum", "wxl", "", "王小丽", "姓名"),
        ("XiaoLiWang-plum-77", "wxl", "", "王小丽", "姓名"),
        ("zengxiaoxian#plum42", "zxx", "", "曾小贤", "姓名"),  # 曾: zeng or ceng, both refused
        ("plum-kettle-wxl2020", "wxl2020", "", "", "用户名"),
    ],
)
def test_a_password_holding_the_users_names_is_refused(
    password: str, username: str, district: str, name: str, what: str
) -> None:
    with pytest.raises(AccountError, match=f"密码不能包含{what}"):
        check_password(password, username, district, name)


def test_an_unrelated_strong_password_is_accepted() -> None:
    check_password("orbit lantern 58 quiet", "wxl", "渝中区", "王小丽")


def test_creating_an_account_checks_the_name_too(app: Flask) -> None:
    with db.database(app).sessions() as session, pytest.raises(AccountError, match="姓名"):
        create_user(session, "wxl", "wangxiaoli1990!plum", "caseworker", "渝中区", "王小丽")


# Drafts and the session -------------------------------------------------------------------------


def test_logout_tells_the_browser_to_wipe_its_drafts(app: Flask) -> None:
    client = app.test_client()
    csrf = login(client, "alice")
    page = client.get("/cases/new/person").get_data(as_text=True)
    key = re.search(r'data-draft-key="([^"]+)"', page).group(1)
    assert 'data-wipe-drafts=""' in page and len(key) == 44  # 32 bytes, base64
    after = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=True).get_data(as_text=True)
    assert 'data-wipe-drafts="1"' in after and "data-draft-key" not in after
    # A new password: a new key, so drafts kept under the old one cannot be read any more.
    csrf = login(client, "alice")
    assert key in client.get("/cases").get_data(as_text=True)  # the same user again: the same key
    data = {"csrf_token": csrf, "current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    client.post("/account/password", data=data)
    assert key not in client.get("/cases").get_data(as_text=True)


def test_the_login_can_be_extended_from_the_warning(tmp_path: Path) -> None:
    app = make_app(tmp_path, PERMANENT_SESSION_LIFETIME=timedelta(minutes=9))
    client = app.test_client()
    csrf = login(client, "alice")
    before = client.get("/session").get_json()["ends"]
    assert client.post("/session/extend").status_code == 400  # CSRF, like every POST
    extended = client.post("/session/extend", headers={"X-CSRFToken": csrf}).get_json()
    assert extended["signed_in"] and extended["extended"]
    assert extended["ends"] > before
    # However often extended, a login ends 12 hours after it began (ASVS 3.3.2).
    with db.database(app).sessions() as session:
        session.execute(update(LoginSession).values(created_at=utcnow() - timedelta(hours=12)))
        session.commit()
    longest = client.post("/session/extend", headers={"X-CSRFToken": csrf}).get_json()
    assert longest["signed_in"] and not longest["extended"] and longest["ends"] == extended["ends"]
    db.database(app).engine.dispose()


# The audit log ----------------------------------------------------------------------------------


def test_views_downloads_and_refusals_are_logged_and_a_supervisor_reads_their_district(app: Flask) -> None:
    alice = app.test_client()
    token = login(alice, "alice")
    path = new_person_case(alice, token, case_id="AU-1", **{"person.name": "王五"})
    alice.get(path)
    with db.database(app).sessions() as session:
        decision_id = session.scalar(select(DecisionRecord.id))
    assert alice.get(f"{path}/decisions/{decision_id}/receipt.json").status_code == 200
    bob = app.test_client()
    login(bob, "bob")
    assert bob.get(path).status_code == 404  # not his case: as if it did not exist…
    viewed = events(app, "decision_viewed")
    assert viewed and viewed[-1].username == "alice" and viewed[-1].detail.startswith("AU-1")
    assert events(app, "receipt_downloaded")[-1].district == "渝中区"
    refused = events(app, "access_refused")  # …and written down
    assert refused[-1].username == "bob" and refused[-1].detail == f"GET {path}"
    # The 渝中区 supervisor reads these; the 江北区 one does not; a caseworker has no such page.
    sue = app.test_client()
    login(sue, "sue")
    page = sue.get("/admin/audit").get_data(as_text=True)
    assert "查看决定" in page and "拒绝访问" in page and "AU-1" in page
    zed = app.test_client()
    login(zed, "zed")
    assert "AU-1" not in zed.get("/admin/audit").get_data(as_text=True)
    assert bob.get("/admin/audit").status_code == 404
    assert events(app, "access_refused")[-1].detail == "GET /admin/audit"


# ID numbers at rest -----------------------------------------------------------------------------


def raw_rows(app: Flask, sql: str) -> list[tuple]:
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


def test_id_numbers_are_encrypted_at_rest_and_found_by_a_keyed_hash(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    token = login(client, "alice")
    path = new_person_case(
        client, token, case_id="ID-1", **{"person.name": "王五", "person.id_number": VALID_ID}
    )
    stored = raw_rows(app, "SELECT inputs, evaluation, receipt FROM decisions")
    assert stored and all(VALID_ID not in str(cell) for row in stored for cell in row)
    assert "enc1:" in str(stored[0][0])
    (id_hash,) = raw_rows(app, "SELECT id_hash FROM cases")[0]
    assert id_hash != hashlib.sha256(VALID_ID.encode()).hexdigest()  # not an unkeyed hash
    keys = Keys.from_secret((tmp_path / "data_key").read_text())
    assert id_hash == hmac.new(keys.search, VALID_ID.encode(), hashlib.sha256).hexdigest()
    assert (tmp_path / "data_key").stat().st_mode & 0o777 == 0o600
    # Read back in clear, and found by the whole number.
    with db.database(app).sessions() as session:
        assert session.scalar(select(DecisionRecord)).inputs["person"]["id_number"] == VALID_ID
    found = client.post("/cases", data={"csrf_token": token, "q": VALID_ID}).get_data(as_text=True)
    assert "ID-1" in found and "王五" in client.get(path).get_data(as_text=True)


def test_another_data_key_cannot_read_them(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    new_person_case(client, login(client, "alice"), **{"person.id_number": VALID_ID})
    other = make_app(tmp_path, DATA_KEY="another-key-" + "x" * 40)
    with db.database(other).sessions() as session, pytest.raises(ValueError, match="数据密钥"):
        session.scalar(select(DecisionRecord)).inputs  # noqa: B018
    db.database(other).engine.dispose()


OLD_CASES = {
    "person": {"kind": "person", "case_id": "OLD-1", "person": {"name": "王五", "id_number": VALID_ID}},
    # stored before the credit code's check character was checked: the rules in force refuse it now
    "enterprise": {
        "kind": "enterprise",
        "case_id": "OLD-1",
        "enterprise": {"name": "某公司", "credit_code": "91500000MA5U000000"},
        "hire": {"person": {"name": "王五", "id_number": VALID_ID}},
    },
}


@pytest.mark.parametrize("kind", OLD_CASES)
def test_decisions_stored_before_sealing_are_encrypted_after_the_migration(tmp_path: Path, kind: str) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0004_desk")
    engine = create_engine(url)
    inputs = OLD_CASES[kind]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, password_hash, role, district, active, created_at,"
                " must_change_password, full_name, district_unmatched, api_token_hash)"
                " VALUES (1, 'old', 'x', 'caseworker', '渝中区', true, '2020-01-01', false, '', '', :t)"
            ),
            {"t": "a" * 64},
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, ref, kind, case_id, name, owner_id, district, created_at, updated_at,"
                " id_masked, id_last4, id_hash) VALUES (1, 'abc', :k, 'OLD-1', '王五', 1, '渝中区',"
                " '2020-01-01', '2020-01-01', '500101********0037', '0037', :h)"
            ),
            {"h": hashlib.sha256(VALID_ID.encode()).hexdigest(), "k": kind},
        )
        conn.execute(
            text(
                "INSERT INTO decisions (case_pk, inputs, as_of, rules_version, evaluation, summary,"
                " created_by, created_at) VALUES (1, :i, '2020-09-15', 'x', '{}', '{}', 1, '2020-01-01')"
            ),
            {"i": json.dumps(inputs, ensure_ascii=False)},
        )
    engine.dispose()
    app = make_app(tmp_path / "instance", DATABASE_URL=url)  # upgrades to head, then seal it
    assert seal_existing(app) == 1
    assert seal_existing(app) == 0  # done once
    with engine.connect() as conn:
        (raw,) = conn.execute(text("SELECT inputs FROM decisions")).one()
        (id_hash,) = conn.execute(text("SELECT id_hash FROM cases")).one()
        (token_row,) = conn.execute(text("SELECT token_hash FROM api_tokens")).one()
    engine.dispose()
    assert VALID_ID not in raw and "enc1:" in raw
    assert id_hash and id_hash != hashlib.sha256(VALID_ID.encode()).hexdigest()
    assert token_row == "a" * 64  # the user's one token moved to the token table
    client = app.test_client()
    token = login(client, "root")
    assert "OLD-1" in client.post("/cases", data={"csrf_token": token, "q": VALID_ID}).get_data(as_text=True)
    with db.database(app).sessions() as session:
        assert session.scalar(select(CaseRecord.id_hash)) == id_hash
        assert session.scalar(select(DecisionRecord)).inputs == inputs
    db.database(app).engine.dispose()
