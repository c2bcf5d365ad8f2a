"""Pages that belong to no one area: the home redirect, the language switch, the session's state,
a health check."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from web import accounts, db
from web.i18n import LANGS
from web.security import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    if g.get("user") is None:
        return redirect(url_for("auth.login"))
    return redirect(url_for("cases.list_cases"))


@bp.post("/lang")
def switch_language() -> ResponseReturnValue:
    """Remember the caseworker's language and return to the page they were on."""
    chosen = request.form.get("lang")
    if chosen in LANGS:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


@bp.get("/session")
def session_status() -> ResponseReturnValue:
    """Whether this browser is still signed in and until when: pages ask every minute, so a logout
    in another tab or the end of the session is noticed before a form is submitted into it."""
    ends = g.get("session_ends")
    if g.get("user") is None or ends is None:
        return {"signed_in": False}
    if ends.tzinfo is None:
        ends = ends.replace(tzinfo=UTC)
    return {"signed_in": True, "ends": ends.isoformat()}


@bp.post("/session/extend")
def extend_session() -> ResponseReturnValue:
    """The session warning's 延长登录: the login lasts its full time again from now (CSRF-checked
    like every POST; the page sends its token in X-CSRFToken)."""
    key = session.get("sid")
    ends = None
    if g.get("user") is not None and isinstance(key, str):
        ends = accounts.extend_session(db.session(), key, current_app.permanent_session_lifetime)
    if ends is None:
        return {"signed_in": False}
    if ends.tzinfo is None:
        ends = ends.replace(tzinfo=UTC)
    before = g.session_ends if g.session_ends.tzinfo else g.session_ends.replace(tzinfo=UTC)
    return {"signed_in": True, "ends": ends.isoformat(), "extended": ends > before}


@bp.get("/healthz")
def health() -> ResponseReturnValue:
    return {"status": "ok"}
