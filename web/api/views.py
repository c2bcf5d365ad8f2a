"""The JSON API: evaluate a case (same models and output as ``subsidy evaluate --json``), the
rules catalog, and the OpenAPI document. Errors are JSON with Chinese messages, never a 500.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from engine.catalog import build_catalog
from engine.errors import describe
from engine.models import parse_case
from engine.values import parse_date
from web.api.openapi import openapi_document
from web.evaluator import evaluate
from web.security import login_required

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _error(status: int, message: str, errors: list[dict[str, str]] | None = None) -> ResponseReturnValue:
    body: dict[str, Any] = {"error": message}
    if errors is not None:
        body["errors"] = errors
    return jsonify(body), status


def _read_json() -> tuple[Any, ResponseReturnValue | None]:
    if not request.is_json:
        return None, _error(415, "请求应为 JSON（Content-Type: application/json）")
    raw = request.get_data(cache=False)  # 413 here when the body exceeds MAX_CONTENT_LENGTH
    try:
        return json.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError:
        return None, _error(400, "请求内容不是 UTF-8 编码")
    except (ValueError, RecursionError):
        return None, _error(400, "请求内容不是有效的 JSON")


@bp.post("/evaluate")
@login_required
def evaluate_case() -> ResponseReturnValue:
    """One case in, every program's decision out (nothing is stored)."""
    as_of_text = request.args.get("as_of", "")
    lang = request.args.get("lang", "zh")
    if lang not in ("zh", "en"):
        return _error(
            400, "lang 应为 zh 或 en", [{"field": "lang", "label": "语言", "message": "应为 zh 或 en"}]
        )
    try:
        as_of = parse_date(as_of_text) if as_of_text else date.today()
    except ValueError as err:
        return _error(400, f"评估日期：{err}", [{"field": "as_of", "label": "评估日期", "message": str(err)}])
    data, problem = _read_json()
    if problem is not None:
        return problem
    try:
        case = parse_case(data, as_of)
        result = evaluate(case, as_of, lang)
    except ValidationError as err:
        errors = [{"field": e.field, "label": e.label, "message": e.message} for e in describe(err)]
        return _error(400, "案件数据有误，请更正以下字段", errors)
    except ValueError as err:
        return _error(400, str(err))
    return Response(result.model_dump_json(), mimetype="application/json")


@bp.get("/rules")
def rules() -> ResponseReturnValue:
    """All 66 tasks of the notice: encoded by which programs, or why not (public, no personal data)."""
    return jsonify([entry.model_dump(mode="json") for entry in build_catalog()])


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())
