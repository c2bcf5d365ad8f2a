"""The published JSON Schemas: what ``subsidy evaluate --json`` prints, and what a case is."""

from __future__ import annotations

from typing import Any

from engine.decision import Evaluation
from engine.models import CASE_ADAPTER

SCHEMA_ID = "https://schemas.example.invalid/cq-stable-employment/evaluation.json"


def decision_schema() -> dict[str, Any]:
    schema = Evaluation.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def case_schema() -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **CASE_ADAPTER.json_schema()}
