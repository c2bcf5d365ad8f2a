"""The OpenAPI 3.1 document, built from the engine's published JSON Schemas (engine.schema).

OpenAPI 3.1 speaks JSON Schema 2020-12, so the schemas are used as they are; only their ``$defs``
move to ``components/schemas`` (and their ``$ref``s follow), so that every name is defined once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from engine.catalog import Entry
from engine.schema import case_schema, decision_schema

DEFS = "#/$defs/"
COMPONENTS = "#/components/schemas/"


def _rewrite(node: Any) -> Any:
    """Every reference into $defs ($ref, and the discriminator's mapping) now points at components."""
    if isinstance(node, dict):
        return {key: _rewrite(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    if isinstance(node, str) and node.startswith(DEFS):
        return COMPONENTS + node.removeprefix(DEFS)
    return node


def _hoist(schema: dict[str, Any], name: str, into: dict[str, Any]) -> None:
    """Put ``schema`` at components/schemas/name and its $defs beside it."""
    schema = dict(schema)
    schema.pop("$schema", None)
    schema.pop("$id", None)
    for def_name, definition in schema.pop("$defs", {}).items():
        rewritten = _rewrite(definition)
        if def_name in into and into[def_name] != rewritten:
            raise ValueError(f"two different schemas named {def_name}")
        into[def_name] = rewritten
    into[name] = _rewrite(schema)


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "中文说明"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "label", "message"],
                    "properties": {
                        "field": {"type": "string", "description": "dotted path, e.g. person.birth_date"},
                        "label": {"type": "string", "description": "中文字段名，如 申请人·出生日期"},
                        "message": {"type": "string", "description": "中文错误说明"},
                    },
                },
            },
        },
    }


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        400: "Bad request: invalid JSON, case fields (per field, in Chinese), as_of or lang",
        401: "Not signed in and no valid bearer token",
        413: "Body larger than the limit",
        415: "Body is not application/json",
    }
    ref = {"content": {"application/json": {"schema": {"$ref": COMPONENTS + "Error"}}}}
    return {str(c): {"description": words[c], **ref} for c in codes}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    _hoist(case_schema(), "Case", schemas)
    _hoist(decision_schema(), "Evaluation", schemas)
    _hoist(Entry.model_json_schema(), "CatalogEntry", schemas)
    schemas["Error"] = _error_schema()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "稳就业补贴资格评估 API (其他〔2020〕4号)",
            "version": "1",
            "description": "Evaluate a person or enterprise case against every program of the Chongqing "
            "notice 其他〔2020〕4号, or only the programs its `applied_for` names (the others the person "
            "may get are then `suggestions`). The same case models and output as `subsidy evaluate --json`.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/evaluate": {
                "post": {
                    "operationId": "evaluate",
                    "summary": "Evaluate one case (nothing is stored)",
                    "security": [{"bearerAuth": []}, {"sessionCookie": []}],
                    "parameters": [
                        {
                            "name": "as_of",
                            "in": "query",
                            "required": False,
                            "description": "Evaluation date (default today)",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["zh", "en"], "default": "zh"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": COMPONENTS + "Case"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "Every program's decision",
                            "content": {"application/json": {"schema": {"$ref": COMPONENTS + "Evaluation"}}},
                        },
                        **_errors(400, 401, 413, 415),
                    },
                }
            },
            "/api/v1/rules": {
                "get": {
                    "operationId": "rules",
                    "summary": "The catalog of all 66 tasks: encoded by which programs, or why not",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "One entry per task",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": COMPONENTS + "CatalogEntry"},
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1 document"}},
                }
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Per-user API token"},
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "subsidy_session",
                    "description": "Browser session; unsafe requests then also need the X-CSRFToken header",
                },
            },
        },
    }
