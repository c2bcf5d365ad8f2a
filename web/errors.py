"""Every error as a page (or JSON under /api/): 400, 401, 404, 405, 413, 415 and never a bare 500."""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from web.security import is_api


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


def _respond(code: int, detail: str | None = None) -> ResponseReturnValue:
    message = _messages().get(code, _("请求有误"))
    if is_api():
        body = {"error": message}
        if detail:
            body["detail"] = detail
        response = jsonify(body)
        if code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="subsidy"'
        return response, code
    return render_template("error.html", code=code, message=message, detail=detail), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> ResponseReturnValue:
        return _respond(400, _("表单已过期或来源不明，请刷新页面后重新提交"))

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> ResponseReturnValue:
        return _respond(err.code or 400)

    @app.errorhandler(InternalServerError)
    def server_error(err: InternalServerError) -> ResponseReturnValue:
        return _respond(500)
