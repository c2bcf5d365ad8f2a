"""Accounts (admin only): create, disable or enable, reset a password; the audit log (admins all of
it, a supervisor their district's); and each user's own API tokens. Every admin action on an
account, and every token issued or revoked, is written to the audit log."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from engine.districts import shipped_names
from web import db
from web.accounts import (
    MAX_PASSWORD,
    AccountError,
    audit,
    create_user,
    end_all_sessions,
    issue_token,
    revoke_all_tokens,
    revoke_token,
    set_district,
    set_password,
    tokens_of,
)
from web.paging import asked_page, one_page
from web.records import ROLES, ApiToken, AuditEvent, User, row_id, utcnow
from web.security import client_address, login_required, role_required

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


def _users_page(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    rows = db.session().scalars(select(User).order_by(User.username)).all()
    return (
        render_template("admin/users.html", rows=rows, roles=ROLES, error=error, districts=shipped_names()),
        status,
    )


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> ResponseReturnValue:
    if request.method == "GET":
        return _users_page()
    session = db.session()
    try:
        user = create_user(
            session,
            request.form.get("username", "")[:64],
            request.form.get("password", "")[: MAX_PASSWORD + 1],
            request.form.get("role", ""),
            request.form.get("district", "")[:64],
            request.form.get("full_name", "")[:64],
        )
    except AccountError as err:
        return _users_page(str(err), 422)
    audit(
        session,
        "user_created",
        user.username,
        client_address(),
        g.user.username,
        f"{user.role} {user.district}",
    )
    flash(_("已创建账号：%(name)s", name=user.username), "ok")
    return redirect(url_for("admin.users"))


def _account(user_id: int) -> User:
    key = row_id(user_id)
    user = db.session().get(User, key) if key is not None else None
    if user is None:
        abort(404)
    return user


@bp.post("/users/<int:user_id>/active")
@role_required("admin")
def set_active(user_id: int) -> ResponseReturnValue:
    """Disable (signing the user out everywhere, token included) or enable an account."""
    session = db.session()
    user = _account(user_id)
    active = request.form.get("active") == "1"
    if user.id == g.user.id and not active:
        return _users_page(_("不能停用自己的账号"), 422)
    user.active = active
    revoked = 0
    if not active:
        end_all_sessions(session, user)
        revoked = revoke_all_tokens(session, user)  # re-enabling restores none of them
    session.commit()
    audit(
        session,
        "user_enabled" if active else "user_disabled",
        user.username,
        client_address(),
        g.user.username,
        f"作废 API 令牌 {revoked} 个" if revoked else "",
    )
    if active:
        flash(_("已启用账号：%(name)s", name=user.username), "ok")
    else:
        flash(_("已停用账号：%(name)s（已退出所有登录，API 令牌全部作废）", name=user.username), "ok")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/district")
@role_required("admin")
def change_district(user_id: int) -> ResponseReturnValue:
    """Choose a user's district from the 38 (a supervisor then sees that district's cases), and
    their name (it signs the notices they issue)."""
    session = db.session()
    user = _account(user_id)
    try:
        set_district(session, user, request.form.get("district", "")[:64], request.form.get("full_name"))
    except AccountError as err:
        return _users_page(str(err), 422)
    audit(session, "user_district", user.username, client_address(), g.user.username, user.district)
    flash(
        _("已将 %(name)s 的区县设为：%(district)s", name=user.username, district=user.district or "—"), "ok"
    )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
@role_required("admin")
def reset_password(user_id: int) -> ResponseReturnValue:
    """A temporary password the user must change at their next login; their sessions end now."""
    session = db.session()
    user = _account(user_id)
    try:
        revoked = set_password(
            session, user, request.form.get("password", "")[: MAX_PASSWORD + 1], must_change=True
        )
    except AccountError as err:
        return _users_page(_("重置 %(name)s 的密码失败：", name=user.username) + str(err), 422)
    detail = f"作废 API 令牌 {revoked} 个" if revoked else ""
    audit(session, "password_reset", user.username, client_address(), g.user.username, detail)
    flash(_("已重置 %(name)s 的密码；该用户下次登录时须设置新密码", name=user.username), "ok")
    return redirect(url_for("admin.users"))


@bp.get("/audit")
@role_required("admin", "supervisor")
def audit_log() -> ResponseReturnValue:
    """The audit log, newest first: all of it for an admin, a supervisor's own district for them."""
    page, size = asked_page()
    newest_first = select(AuditEvent).order_by(AuditEvent.id.desc())
    if g.user.role == "supervisor":
        newest_first = newest_first.where(AuditEvent.district == g.user.district)
    rows, total, page = one_page(db.session(), newest_first, page, size)
    return render_template(
        "admin/audit.html", rows=rows, total=total, page=page, size=size, event_word=event_word
    )


def event_word(event: str) -> str:
    words = {
        "login_ok": _("登录成功"),
        "login_failed": _("登录失败"),
        "logout": _("退出"),
        "password_changed": _("修改密码"),
        "password_reset": _("重置密码"),
        "user_created": _("新建账号"),
        "user_disabled": _("停用账号"),
        "user_enabled": _("启用账号"),
        "batch_expired": _("批次到期删除"),
        "district_settings": _("修改区县设置"),
        "user_district": _("修改账号区县"),
        "token_issued": _("生成 API 令牌"),
        "token_revoked": _("作废 API 令牌"),
        "token_refused": _("API 令牌被拒"),
        "access_refused": _("拒绝访问"),
        "decision_viewed": _("查看决定"),
        "decision_printed": _("打印决定"),
        "receipt_viewed": _("查看回执"),
        "receipt_downloaded": _("下载回执"),
        "notice_downloaded": _("下载告知书"),
        "batch_viewed": _("查看批量结果"),
        "batch_downloaded": _("下载批量结果"),
    }
    return words.get(event, event)


@bp.route("/token", methods=["GET", "POST"])
@login_required
def token() -> ResponseReturnValue:
    """The signed-in user's API tokens: issue one (shown once), see each one's expiry, revoke one."""
    session = db.session()
    user: User = g.user
    new_token = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            row = revoke_token(session, user, row_id(request.form.get("token", type=int)) or 0)
            if row is not None:
                audit(
                    session, "token_revoked", user.username, client_address(), user.username, _token_name(row)
                )
                flash(_("API 令牌已作废"), "ok")
        else:
            days = current_app.config["TOKEN_DAYS"]
            new_token, row = issue_token(session, user, days, request.form.get("label", "")[:64])
            audit(session, "token_issued", user.username, client_address(), user.username, _token_name(row))
    now = utcnow()
    rows = [
        (t, t.expires_at.replace(tzinfo=t.expires_at.tzinfo or UTC) <= now) for t in tokens_of(session, user)
    ]
    return render_template(
        "admin/token.html", new_token=new_token, tokens=rows, days=current_app.config["TOKEN_DAYS"]
    )


def _token_name(row: ApiToken) -> str:
    """How the audit log names a token: its number, label and expiry, never the token."""
    return f"#{row.id} {row.label} {row.expires_at:%Y-%m-%d}".replace("  ", " ")
