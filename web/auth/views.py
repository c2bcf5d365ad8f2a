"""Login and logout. A failed login says only that the pair is wrong, never which half."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from web import db
from web.accounts import authenticate
from web.security import safe_next

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    target = safe_next(request.values.get("next"), url_for("cases.list_cases"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "")[:64]
        password = request.form.get("password", "")[:256]
        user = authenticate(db.session(), username, password)
        if user is not None:
            lang = session.get("lang")
            session.clear()  # no session fixation: a new session on login
            session.permanent = True
            session["uid"] = user.id
            if lang:
                session["lang"] = lang
            return redirect(target)
        error = _("用户名或密码错误")
    elif g.get("user") is not None:
        return redirect(target)
    return render_template("auth/login.html", error=error, username=username, next=target)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))
