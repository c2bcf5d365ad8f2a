"""Who is asking, what they may see and do, and the headers and CSRF checks every response gets.

A request is authenticated either by the session cookie (the browser) or, on /api/ only, by an
``Authorization: Bearer`` token. CSRF is checked on every unsafe request except token-authenticated
API calls: a token is never sent by a browser on its own, so it cannot be forged cross-site.
A caseworker sees their own records of their own district, a supervisor their district's, an admin
all (``visible``). A record that exists but is not the user's to see answers 404, like a missing
one, and the refusal is written to the audit log, as is every view or download of a decision,
notice or batch result (``audit_access``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from web import db
from web.accounts import audit, session_for_key, user_for_token
from web.auth.throttle import TOKEN_REFUSED, token_refusal_logged
from web.records import BatchRun, CaseRecord, User

csrf = CSRFProtect()
F = TypeVar("F", bound=Callable[..., Any])
Owned = TypeVar("Owned", CaseRecord, BatchRun)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(_load_user)
    app.before_request(_password_change_first)
    app.before_request(_body_limit)
    app.before_request(_refuse_nul)
    app.before_request(_check_csrf)
    app.after_request(_headers)


def is_api() -> bool:
    return request.path.startswith("/api/")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address() -> str:
    """The client's address (the proxy's X-Forwarded-For when SUBSIDY_PROXY_HOPS says to trust it)."""
    return (request.remote_addr or "")[:64]


def sign_out_browser() -> None:
    """Forget the browser's session cookie, keeping only its language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _load_user() -> None:
    """g.user from the bearer token (API only) or the server-side session; g.via_token tells which.

    The cookie holds only a session key; a key whose row is gone (logout, password change, account
    disabled) or expired signs nobody in, whatever the cookie's own signature and age.
    """
    g.user = None
    g.session_ends = None  # when the browser's login session ends (pages warn before it does)
    g.via_token = False
    token = _bearer() if is_api() else None
    if token is not None:
        g.via_token = True
        g.user = user_for_token(db.session(), token)
        address = client_address()
        # unknown, expired or revoked, or its account disabled; logged unless the address floods
        if g.user is None and token_refusal_logged(db.session(), address):
            audit(db.session(), TOKEN_REFUSED, "", address, detail=f"{request.method} {request.path}")
        return  # a token request never falls back to the session
    key = session.get("sid")
    if isinstance(key, str) and (found := session_for_key(db.session(), key)) is not None:
        g.user, g.session_ends = found
    if g.user is None and ("sid" in session or "uid" in session):
        sign_out_browser()


PASSWORD_CHANGE_ALLOWED = {
    "auth.password",
    "auth.logout",
    "main.switch_language",
    "main.session_status",
    "main.extend_session",
    "static",
}


def _password_change_first() -> ResponseReturnValue | None:
    """After an admin reset, the password change page comes before anything else."""
    user = g.get("user")
    if user is None or g.via_token or not user.must_change_password:
        return None
    if request.endpoint in PASSWORD_CHANGE_ALLOWED:
        return None
    return redirect(url_for("auth.password"))


def larger_body(setting: str) -> Callable[[F], F]:
    """Let a view take bodies up to ``app.config[setting]`` bytes instead of MAX_CONTENT_LENGTH."""

    def mark(view: F) -> F:
        view.body_limit_setting = setting  # type: ignore[attr-defined]
        return view

    return mark


def _body_limit() -> None:
    """Raise the limit for a ``larger_body`` view, and only for a signed-in user.

    It must be set before anything reads the body, and the CSRF check reads the form first, so it
    cannot wait for the view (Flask >= 3.1: ``request.max_content_length`` is per request).
    """
    view = current_app.view_functions.get(request.endpoint or "")
    setting = getattr(view, "body_limit_setting", None)
    if setting and g.get("user") is not None:
        request.max_content_length = current_app.config[setting]


class RefusedField(BadRequest):
    """A request refused for one field's content before any view saw it (400, said per field)."""

    def __init__(self, field: str, label: str, message: str):
        super().__init__(message)
        self.field, self.label, self.message = field, label, message


def _field_label(name: str) -> str:
    """The Chinese (or English) label a caseworker knows a field by, else its name."""
    from web.cases.fields import enterprise_form, person_form
    from web.i18n import lang

    for form in (person_form(), enterprise_form()):
        field = form.field(name)
        if field is not None:
            return field.label(lang())
    words = {"q": _("搜索"), "username": _("用户名"), "password": _("密码"), "file": _("文件名")}
    return words.get(name, name)


def _refuse_nul() -> None:
    """A NUL character in any query or form field (or upload's name) is refused before any view.

    No field needs one; PostgreSQL cannot store one, and SQLite would cut the text at it.
    """
    fields = [*request.args.items(multi=True)]
    if request.method not in SAFE_METHODS:
        fields += request.form.items(multi=True)
        fields += [(name, file.filename or "") for name, file in request.files.items(multi=True)]
    for name, value in fields:
        if "\x00" in name or "\x00" in value:
            field = name.replace("\x00", "")
            label = _field_label(field)
            message = _("“%(field)s”中含有不允许的空字符（NUL），请删除后重新提交", field=label)
            raise RefusedField(field, label, message)


def _check_csrf() -> None:
    """Every unsafe request, except on /api/ where a token (or no credentials: 401) is the answer."""
    if request.method in SAFE_METHODS or (is_api() and (g.get("via_token") or g.get("user") is None)):
        return
    csrf.protect()


def _headers(response: Any) -> Any:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if g.get("user") is not None or request.endpoint not in (None, "static"):
        # Pages carry personal data: keep them out of shared caches and the back-forward cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def visible(model: type[Owned], user: User) -> Select[tuple[Owned]]:
    """The rows of ``model`` the user may see; anything else answers 404, as if it did not exist."""
    query = select(model)
    if user.role == "caseworker":
        return query.where(model.owner_id == user.id, model.district == user.district)
    if user.role == "supervisor":
        return query.where(model.district == user.district)
    return query  # admin


def visible_by_ref(session: Session, model: type[Owned], user: User, ref: str) -> Owned:
    """The row of ``model`` with this ref if the user may see it; 404 otherwise (never 403)."""
    if not ref.isalnum() or len(ref) > 32:
        abort(404)
    row = session.scalar(visible(model, user).where(model.ref == ref))
    if row is None:
        district = session.scalar(select(model.district).where(model.ref == ref))
        if district is not None:  # there, but not theirs
            refuse(district)
        abort(404)
    return row


def refuse(district: str = "") -> NoReturn:
    """404, as for a page that does not exist, with the attempt in the audit log."""
    user = g.get("user")
    if user is not None:
        audit(
            db.session(),
            "access_refused",
            user.username,
            client_address(),
            actor=user.username,
            detail=f"{request.method} {request.path}"[:200],
            district=district or user.district,
        )
    abort(404)


def audit_access(event: str, district: str, detail: str) -> None:
    """A view or download of a decision, notice or batch result, by the signed-in user."""
    user = g.user
    audit(
        db.session(),
        event,
        user.username,
        client_address(),
        actor=user.username,
        detail=detail,
        district=district,
    )


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if g.get("user") is None:
            if is_api():
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def role_required(*roles: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if g.user.role not in roles:
                refuse()  # a page that is not yours does not exist
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL (open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target
