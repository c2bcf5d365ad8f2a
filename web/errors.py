"""Every error as a page (or JSON under /api/): 400, 401, 404, 405, 413, 415 and never a bare 500.

An error page first rolls back the request's database session: after a failed write the session
refuses every query (PendingRollbackError), and the page itself reads the signed-in user.
What reaches the server log is the kind of error and where, never the request's data
(``log_exception``): a case's fields carry names and ID numbers.
"""

from __future__ import annotations

import traceback
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from web.security import RefusedField, is_api


def _messages() -> dict[int, str]:
    return {
        400: _("请求有误"),
        401: _("请先登录"),
        403: _("没有权限"),
        404: _("找不到这个页面"),
        405: _("不支持这种请求方式"),
        413: _("提交的内容过大"),
        415: _("请求应为 JSON（Content-Type: application/json）"),
        500: _("系统出错，请稍后再试"),
    }


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def log_exception(app: Flask, exc_info: Any) -> None:
    """Log an unhandled error as its type, the request's method and path, and the stack only.

    The exception's message is left out, and its causes' too: a database error quotes the row it
    could not write, and a validation error the value it refused.
    """
    _, exc, tb = exc_info
    kinds = []
    cause = exc
    while cause is not None and len(kinds) < 5:
        kinds.append(f"{type(cause).__module__}.{type(cause).__qualname__}")
        cause = cause.__cause__ or cause.__context__
    stack = "".join(traceback.format_tb(tb))
    app.logger.error("%s on %s %s\n%s", " ← ".join(kinds), request.method, request.path, stack)


def _respond(
    code: int, detail: str | None = None, errors: list[dict[str, str]] | None = None
) -> ResponseReturnValue:
    _rollback()
    message = _messages().get(code, _("请求有误"))
    if is_api():
        body: dict[str, Any] = {"error": message}
        if detail:
            body["detail"] = detail
        if errors:
            body["errors"] = errors
        response = jsonify(body)
        if code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="subsidy"'
        return response, code
    return render_template("error.html", code=code, message=message, detail=detail), code


def _form_page() -> str:
    """The page the refused form was on (the answer form posts from its case's page)."""
    from urllib.parse import urlsplit

    from web.security import safe_next

    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        referrer = urlsplit("")
    return safe_next(referrer.path or request.path.removesuffix("/answer"), "/")


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> ResponseReturnValue:
        if g.get("user") is None and not is_api():
            # The login ended (8 hours, or a logout in another tab) while a form was being filled:
            # what was typed is kept as a draft in this browser (static/desk.js) for after login.
            back = _form_page()
            _rollback()
            return render_template(
                "error.html",
                code=400,
                message=_("登录已结束"),
                detail=_(
                    "登录已结束（超过登录时限，或已在其他标签页退出），这次提交没有保存。"
                    "填写的内容已作为草稿保存在本机浏览器中：重新登录后回到该页面即可恢复。"
                ),
                login_next=back,
            ), 400
        return _respond(400, _("表单已过期或来源不明，请刷新页面后重新提交"))

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> ResponseReturnValue:
        return _respond(err.code or 400)

    @app.errorhandler(RefusedField)
    def refused_field(err: RefusedField) -> ResponseReturnValue:
        errors = [{"field": err.field, "label": err.label, "message": err.message}]
        return _respond(400, err.message, errors)

    @app.errorhandler(InternalServerError)
    def server_error(err: InternalServerError) -> ResponseReturnValue:
        return _respond(500)
