"""Login, logout and the password change. A failed login says only that the pair is wrong, never
which half; repeated failures are throttled (web.auth.throttle); every outcome goes to the audit log."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from web import db
from web.accounts import (
    MAX_PASSWORD,
    AccountError,
    audit,
    authenticate,
    end_session,
    open_session,
    password_matches,
    set_password,
)
from web.auth import throttle
from web.drafts import wipe_drafts
from web.records import User
from web.security import client_address, login_required, safe_next, sign_out_browser

bp = Blueprint("auth", __name__, template_folder="templates")
TOO_MANY = 429


def _held_message(username: str, address: str) -> str | None:
    """The Chinese refusal for a throttled attempt, or None if the attempt may go ahead."""
    held = throttle.retry_at(db.session(), username, address)
    if held is None:
        return None
    minutes = throttle.minutes_until(held[0])
    if held[1] == "address":
        return _("这台电脑登录失败次数过多，请 %(minutes)d 分钟后再试。", minutes=minutes)
    return _(
        "该账号在这台电脑上登录失败次数过多，请 %(minutes)d 分钟后再试；"
        "忘记密码请联系管理员重置。其他电脑上的登录不受影响。",
        minutes=minutes,
    )


def _sign_in(user: User) -> None:
    """A new server-side session, in a new cookie (no session fixation)."""
    key = open_session(db.session(), user, current_app.permanent_session_lifetime)
    sign_out_browser()
    session.permanent = True
    session["sid"] = key


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    target = safe_next(request.values.get("next"), url_for("cases.list_cases"))
    error = None
    status = 200
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "")[:64].strip()
        password = request.form.get("password", "")[:MAX_PASSWORD]
        address = client_address()
        error = _held_message(username, address)  # before the (slow) password hash
        if error is not None:
            status = TOO_MANY
        else:
            user = authenticate(db.session(), username, password)
            if user is not None:
                audit(db.session(), throttle.SUCCEEDED, user.username, address)
                _sign_in(user)
                return redirect(url_for("auth.password") if user.must_change_password else target)
            audit(db.session(), throttle.FAILED, username, address)
            error = _("用户名或密码错误")
    elif g.get("user") is not None:
        return redirect(target)
    return render_template("auth/login.html", error=error, username=username, next=target), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    key = session.get("sid")
    if isinstance(key, str):
        end_session(db.session(), key)  # the cookie, wherever a copy of it is, signs nobody in now
    if g.get("user") is not None:
        audit(db.session(), "logout", g.user.username, client_address())
    sign_out_browser()
    wipe_drafts()  # the login page wipes every draft this browser kept
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    """Change one's own password: the current one first; every other session then ends."""
    error = None
    status = 200
    if request.method == "POST":
        user: User = g.user
        address = client_address()
        current = request.form.get("current", "")[:MAX_PASSWORD]
        new = request.form.get("new", "")[: MAX_PASSWORD + 1]
        error = _held_message(user.username, address)
        if error is not None:
            status = TOO_MANY
        elif not password_matches(user, current):
            audit(db.session(), throttle.FAILED, user.username, address, detail="修改密码：原密码错误")
            error, status = _("原密码不正确"), 422
        elif new != request.form.get("confirm", "")[: MAX_PASSWORD + 1]:
            error, status = _("两次输入的新密码不一致"), 422
        elif new == current:
            error, status = _("新密码不能与原密码相同"), 422
        else:
            try:
                revoked = set_password(db.session(), user, new)
            except AccountError as err:
                error, status = str(err), 422
            else:
                detail = f"作废 API 令牌 {revoked} 个" if revoked else ""
                audit(
                    db.session(),
                    "password_changed",
                    user.username,
                    address,
                    actor=user.username,
                    detail=detail,
                )
                _sign_in(user)
                flash(_("密码已修改；其他设备上的登录已全部退出"), "ok")
                return redirect(url_for("cases.list_cases"))
    forced = g.user.must_change_password
    return render_template("auth/password.html", error=error, forced=forced), status
