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


def registry_columns() -> dict[str, Any]:
    """A registry's columns (engine/batch/columns.py): the special ones, then each kind of case's
    facts by the Chinese label a header uses (the dotted name is accepted too)."""
    from engine.batch.columns import CASE_ID, CONFIRM, KIND
    from engine.labels import input_facts
    from engine.text import CHOICES
    from engine.words import unit_word

    def column(spec: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"header": spec.zh, "field": spec.name, "en": spec.en, "type": spec.type}
        if spec.choices:
            entry["values"] = [CHOICES.get(v, (v,))[0] for v in spec.choices]
        if spec.type == "bool":
            entry["values"] = ["是", "否"]
        if spec.unit:
            entry |= {"unit": spec.unit, "unit_en": unit_word(spec.unit, "en")}
        return entry

    yes_no = ["是", "否"]
    return {
        "special": [
            {"header": CASE_ID[0], "field": CASE_ID[1], "en": "Case number", "type": "text"},
            {"header": KIND[0], "field": KIND[1], "en": "Kind", "type": "choice", "values": ["个人", "单位"]},
            {
                "header": f"{CONFIRM}<项目ID>.<条件ID>",
                "field": "confirmations",
                "en": "Confirmation",
                "type": "bool",
            }
            | {"values": yes_no},
        ],
        "person": [column(spec) for spec in input_facts("person")],
        "enterprise": [column(spec) for spec in input_facts("enterprise")],
    }


def input_schema() -> dict[str, Any]:
    """``subsidy schema --input``: what a case file holds (its JSON Schema, titles in Chinese) and,
    under ``x-registry-columns``, the columns a registry may have."""
    return {**case_schema(), "x-registry-columns": registry_columns()}
