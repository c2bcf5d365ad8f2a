"""A decision's receipt: what reproduces it. The inputs, the evaluation date, the rules version, the
engine version, every parameter value each program read (on the date it reads them) and the district
settings in force for the case's district, kept with the decision when it is saved."""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from engine.evaluate import CaseModel, Engine
from engine.facts import case_facts
from engine.rulebook import Bracket, Parameter

PACKAGE = "cq-stable-employment"


@cache
def engine_version() -> str:
    try:
        return version(PACKAGE)
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return [b.model_dump(mode="json") if isinstance(b, Bracket) else b for b in value]
    return value


def _since(parameter: Parameter, day: date) -> date | None:
    starts = [start for start in parameter.values if start <= day]
    return max(starts) if starts else None


def build(engine: Engine, case: CaseModel, as_of: date) -> dict[str, Any]:
    """The receipt of evaluating ``case`` on ``as_of`` with ``engine`` (JSON-ready)."""
    facts = case_facts(case, as_of, engine.settings)
    district = case.district.name.value if case.district.name else None
    settings = engine.settings.settings(district)
    parameters = []
    for rule in engine.book.for_subject(case.kind):
        ref_fact = rule.reference_fact
        read_on = (facts.get(ref_fact) if ref_fact else None) or as_of
        for name, parameter in rule.parameters.items():
            row: dict[str, Any] = {
                "program": rule.id,
                "title": rule.title.zh,
                "parameter": name,
                "label": parameter.label.zh,
                "value": _value(parameter.at(read_on)),
                "unit": parameter.unit,
                "in_force_from": (since := _since(parameter, read_on)) and since.isoformat(),
                "read_on": read_on.isoformat(),
                "reference": parameter.reference,
            }
            local = engine.settings.standard(district, f"{rule.id}.{name}", read_on)
            if local is not None and row["value"] is None:
                row["local_standard"] = {
                    "value": str(local.value),
                    "from": local.from_.isoformat(),
                    "document": local.document,
                }
            parameters.append(row)
    return {
        "engine_version": engine_version(),
        "rules_version": engine.book.version,
        "as_of": as_of.isoformat(),
        "parameters": parameters,
        "district": {"name": district, "settings": settings.dump() if settings else None},
    }
