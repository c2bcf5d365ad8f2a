"""Accounts (admin only) and each user's own API token."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from web import db
from web.accounts import AccountError, create_user, issue_token, revoke_token
from web.records import ROLES, User
from web.security import login_required, role_required

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> ResponseReturnValue:
    session = db.session()
    error = None
    status = 200
    if request.method == "POST":
        try:
            user = create_user(
                session,
                request.form.get("username", "")[:64],
                request.form.get("password", "")[:256],
                request.form.get("role", ""),
                request.form.get("district", "")[:64],
            )
        except AccountError as err:
            error, status = str(err), 422
        else:
            flash(_("已创建账号：%(name)s", name=user.username), "ok")
            return redirect(url_for("admin.users"))
    rows = session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", rows=rows, roles=ROLES, error=error), status


@bp.route("/token", methods=["GET", "POST"])
@login_required
def token() -> ResponseReturnValue:
    """Issue (or revoke) the signed-in user's API token; the token is shown once only."""
    new_token = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            revoke_token(db.session(), g.user)
            flash(_("API 令牌已作废"), "ok")
        else:
            new_token = issue_token(db.session(), g.user)
    return render_template(
        "admin/token.html", new_token=new_token, has_token=g.user.api_token_hash is not None
    )
