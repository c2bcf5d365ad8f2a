"""A decision's receipt: what reproduces it. The inputs, the evaluation date, the rules version, the
engine version, every parameter value each program read (on the date it reads them) and the district
settings in force for the case's district, kept with the decision when it is saved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from engine.districts import districts
from engine.evaluate import CaseModel, Engine
from engine.facts import FACTS, case_facts
from engine.labels import input_facts
from engine.rulebook import Bracket, Parameter
from engine.text import fmt_value

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
                "reference": parameter.reference.zh,
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


UNITS_EN = {
    "元": "CNY",
    "元/月": "CNY a month",
    "个月": "months",
    "人": "people",
    "岁": "years of age",
    "比例": "",
}


def unit_word(unit: str, lang: str) -> str:
    return unit if lang == "zh" else UNITS_EN.get(unit, unit)


def _number(value: Any) -> str:
    """12.0 → 12, 0.5 → 0.5: numbers as a caseworker writes them."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _decimal(text: str) -> str:
    """A stored local standard ("1000.00") as written: 1000, 12.5."""
    value = Decimal(text)
    return str(int(value)) if value == value.to_integral_value() else str(value.normalize())


def _amount(value: Any, unit: str, lang: str) -> str:
    word = unit_word(unit, lang)
    if unit == "%":
        return f"{_number(value)}%"
    if lang == "zh":
        return f"{_number(value)}{word}"
    return f"{_number(value)} {word}".strip()


def _scale_fact(engine: Engine, program: str, parameter: str) -> str | None:
    """The fact a scale is read at (an outcome period's ``by``), if the parameter is one."""
    rule = engine.book.rules.get(program)
    period = rule.outcome.period if rule is not None else None
    return period.by if period is not None and period.param == parameter else None


def value_words(engine: Engine, row: dict[str, Any], lang: str) -> str:
    """A parameter's value in words and units: 12 个月; a scale as 累计缴费满12个月：12个月；…"""
    value, unit = row.get("value"), row.get("unit", "")
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if not isinstance(value, list):
        return _amount(value, unit, lang)
    spec = FACTS.get(_scale_fact(engine, row["program"], row["parameter"]) or "")
    steps = []
    for step in value:
        threshold, result = step.get("threshold"), step.get("value")
        shown = (
            _amount(result, unit, lang)
            if result is not None
            else ("按当地标准" if lang == "zh" else "local standard")
        )
        if lang == "zh":
            what = spec.zh if spec else ""
            steps.append(f"{what}满{_amount(threshold, spec.unit if spec else '', lang)}：{shown}")
        else:
            what = spec.en.lower() if spec else "from"
            steps.append(f"{what} {_amount(threshold, spec.unit if spec else '', lang)} or more: {shown}")
    return ("；" if lang == "zh" else "; ").join(steps)


def parameter_rows(engine: Engine, receipt: dict[str, Any], lang: str) -> list[dict[str, str]]:
    """The receipt's parameters as the page shows them: program and parameter in the page's
    language (from the rule files), the value in words and units, the local standard if any."""
    rules = engine.book.rules
    out = []
    for row in receipt.get("parameters", []):
        rule = rules.get(row["program"])
        parameter = rule.parameters.get(row["parameter"]) if rule else None
        title = rule.title.zh if rule and lang == "zh" else (rule.title.en if rule else row["title"])
        label = (
            parameter.label.zh
            if parameter and lang == "zh"
            else (parameter.label.en if parameter else row["label"])
        )
        local = row.get("local_standard")
        if local:
            amount = _amount(_decimal(local["value"]), row.get("unit", ""), lang)
            value = (
                f"{amount}（当地标准，自{local['from']}起，依据：{local['document']}）"
                if lang == "zh"
                else f"{amount} (local standard from {local['from']}, under {local['document']})"
            )
        elif row.get("value") is None:
            value = "按当地标准" if lang == "zh" else "by the local standard"
        else:
            value = value_words(engine, row, lang)
        out.append(
            {
                "title": title,
                "label": label,
                "value": value,
                "in_force_from": row.get("in_force_from") or "—",
                "read_on": row.get("read_on", ""),
                "reference": row.get("reference", ""),
            }
        )
    return out


def settings_rows(receipt: dict[str, Any], lang: str) -> list[tuple[str, list[str]]]:
    """The district's declarations in force: each measure by its label (never its key), with its
    declarations as words."""
    district = receipt.get("district") or {}
    settings = district.get("settings") or {}
    terms = districts().terms
    out = []
    for key, rows in (settings.get("declared") or {}).items():
        term = terms.get(key)
        name = (term.label.zh if lang == "zh" else term.label.en) if term else key
        said = []
        for r in rows:
            if lang == "zh":
                said.append(f"自{r['from']}起{'实施' if r['value'] else '不实施'}（{r['document']}）")
            else:
                said.append(
                    f"{'in force' if r['value'] else 'not in force'} from {r['from']} ({r['document']})"
                )
        out.append((name, said))
    return out


def fact_rows(kind: str, inputs: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """Every fact the caseworker stated, by its label in the page's language, in words and units;
    ID numbers masked as on the case list."""
    out = []
    for spec in input_facts(kind):
        value: Any = inputs
        for part in spec.name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None or value == "":
            continue
        if spec.name.endswith("id_number"):
            text = str(value)[:6] + "*" * 8 + str(value)[-4:]
        elif spec.type == "date":
            text = str(value)
        else:
            text = fmt_value(value, spec, lang)
            if lang != "zh" and spec.unit and not isinstance(value, bool):
                text = f"{text} {unit_word(spec.unit, lang)}".strip()  # the Chinese carries its unit
        out.append((spec.label(lang), text))
    return out
