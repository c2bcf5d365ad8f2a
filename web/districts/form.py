"""The district settings form: rows of declarations and local standards, read back into the engine's
``DistrictSettings`` (pydantic decides what is valid; errors are said per row in Chinese)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from engine.districts import DistrictBook, DistrictSettings
from engine.errors import describe
from engine.evaluate import Engine, local_standard_keys
from engine.rulebook import RuleBook
from engine.values import a_number, parse_date

ROW = re.compile(r"^(decl|std)-([A-Za-z0-9_.]+)-(\d{1,3})-(from|value|document)$")
TEXTS = ("office", "office_address", "office_phone", "office_hours", "review_body", "court")
NUMBERS = {"review_days": "行政复议期限（日）", "suit_months": "行政诉讼期限（月）"}
OPTIONAL_NUMBERS = {"supply_days": "补充材料期限（日）"}  # blank: not set
LABELS = {
    "office": "经办机构",
    "office_address": "办公地址",
    "office_phone": "联系电话",
    "office_hours": "办公时间",
    "review_body": "行政复议机关",
    "court": "行政诉讼管辖法院",
    **NUMBERS,
    **OPTIONAL_NUMBERS,
}


@dataclass
class Line:
    """One dated row: a declaration (value 是/否) or a local standard (an amount)."""

    from_: str = ""
    value: str = ""
    document: str = ""

    @property
    def empty(self) -> bool:
        return not (self.from_ or self.value or self.document)


@dataclass
class SettingsForm:
    texts: dict[str, str] = field(default_factory=dict)
    declared: dict[str, list[Line]] = field(default_factory=dict)
    standards: dict[str, list[Line]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # The input each error is about (its id and name: decl-<term>-<row>-<part>, review_days…):
    # the summary links to it, and the input names its error (aria-describedby).
    at: dict[str, list[str]] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)  # (input id or "", message)
    settings: DistrictSettings | None = None

    def add(self, where: str, message: str) -> None:
        self.errors.append(message)
        self.links.append((where, message))
        if where:
            self.at.setdefault(where, []).append(message)


def standard_options(book: RuleBook) -> list[tuple[str, str, str]]:
    """(key, label, unit) of every amount a district may set: the rule's title and parameter."""
    out = []
    for key in local_standard_keys(book):
        program, _, param = key.partition(".")
        rule = book.rules[program]
        parameter = rule.parameters[param]
        out.append((key, f"{rule.title.zh} · {parameter.label.zh}", parameter.unit))
    return out


def from_settings(settings: DistrictSettings, terms: list[str], keys: list[str]) -> SettingsForm:
    """The stored settings as form rows, with one empty row to add under each setting."""
    form = SettingsForm(
        texts={name: str(getattr(settings, name) or "") for name in (*TEXTS, *NUMBERS, *OPTIONAL_NUMBERS)},
    )
    for term in terms:
        rows = [
            Line(d.from_.isoformat(), "yes" if d.value else "no", d.document)
            for d in settings.declared.get(term, [])
        ]
        form.declared[term] = [*rows, Line()]
    for key in keys:
        rows = [Line(s.from_.isoformat(), str(s.value), s.document) for s in settings.standards.get(key, [])]
        form.standards[key] = [*rows, Line()]
    return form


def read(submitted: Mapping[str, Any], terms: dict[str, str], keys: dict[str, str]) -> SettingsForm:
    """The submitted form; ``terms`` and ``keys`` map each setting to the label its errors name."""
    names = (*TEXTS, *NUMBERS, *OPTIONAL_NUMBERS)
    form = SettingsForm(texts={n: str(submitted.get(n, "")).strip()[:100] for n in names})
    rows: dict[tuple[str, str], dict[int, Line]] = {}
    for name, value in submitted.items():
        match = ROW.match(name)
        if not match or not isinstance(value, str):
            continue
        kind, key, index, part = match.groups()
        if (kind == "decl" and key not in terms) or (kind == "std" and key not in keys):
            continue
        line = rows.setdefault((kind, key), {}).setdefault(int(index), Line())
        setattr(line, "from_" if part == "from" else part, value.strip()[:200])
    for term in terms:
        form.declared[term] = [line for _, line in sorted(rows.get(("decl", term), {}).items())]
    for key in keys:
        form.standards[key] = [line for _, line in sorted(rows.get(("std", key), {}).items())]
    data: dict[str, Any] = {n: form.texts[n] or None for n in TEXTS}
    for name, label in NUMBERS.items():
        text = form.texts[name]
        if not text.isdecimal():  # isdigit() takes ², which int() refuses
            form.add(name, f"{label}应为正整数")
        else:
            data[name] = int(text)
    for name, label in OPTIONAL_NUMBERS.items():
        text = form.texts[name]
        if text and not text.isdecimal():
            form.add(name, f"{label}应为正整数，或留空")
        elif text:
            data[name] = int(text)
    data["declared"] = {
        term: _lines(lines, form, terms[term], f"decl-{term}") for term, lines in form.declared.items()
    }
    data["standards"] = {
        key: _lines(lines, form, keys[key], f"std-{key}") for key, lines in form.standards.items()
    }
    data["declared"] = {k: v for k, v in data["declared"].items() if v}
    data["standards"] = {k: v for k, v in data["standards"].items() if v}
    if form.errors:
        return form
    try:
        form.settings = DistrictSettings.model_validate(data)
    except ValidationError as err:
        for e, said in zip(err.errors(), describe(err), strict=True):
            where, label = _place(tuple(e["loc"]), terms, keys)
            form.add(where, f"{label}：{said.message}")
    return form


def _place(loc: tuple[Any, ...], terms: dict[str, str], keys: dict[str, str]) -> tuple[str, str]:
    """The input a refusal of the model is about, and the setting's name as the page shows it: the
    model's own words were pydantic's English on the field's attribute path."""
    head = str(loc[0]) if loc else ""
    if head in LABELS:
        return head, LABELS[head]
    if head in ("declared", "standards") and len(loc) > 1:
        return "", (terms if head == "declared" else keys).get(str(loc[1]), str(loc[1]))
    return "", "区县设置"


def _lines(lines: list[Line], form: SettingsForm, where: str, prefix: str) -> list[dict[str, Any]]:
    """The filled rows of one setting; a row's inputs are ``prefix``-<its place in the form>-…"""
    return [_line(line, form, where, f"{prefix}-{i}") for i, line in enumerate(lines) if not line.empty]


def _line(line: Line, form: SettingsForm, where: str, base: str) -> dict[str, Any]:
    """A filled row as the model takes it; what is wrong is added to the form, naming the row and
    pointing at its input (``base``-from, -value, -document)."""
    declared = base.startswith("decl-")
    try:  # as every date of the desk is read (date.fromisoformat took 2020-W01-1 and year 9999)
        day = parse_date(line.from_)
    except ValueError as err:
        form.add(f"{base}-from", f"{where}：起始日期“{line.from_}”有误：{err}")
        day = date.min
    if not line.document:
        form.add(f"{base}-document", f"{where}：自{line.from_}起的一行缺少依据文件")
    if declared:
        if line.value not in ("yes", "no"):
            form.add(f"{base}-value", f"{where}：自{line.from_}起的一行应选择“实施”或“不实施”")
        value: Any = line.value == "yes"
    else:
        try:
            value = Decimal(a_number(line.value))  # 1000 or 3500.50: not 1_000, 1e3 or １０００
            if not value.is_finite() or value < 0:
                raise InvalidOperation
        except InvalidOperation:
            form.add(f"{base}-value", f"{where}：标准“{line.value}”应为不小于0的数")
            value = Decimal(0)
        except ValueError as err:
            form.add(f"{base}-value", f"{where}：标准“{line.value}”{err}")
            value = Decimal(0)
    return {"from": day, "value": value, "document": line.document}


def check_with_engine(book: RuleBook, settings: DistrictBook) -> str | None:
    """The engine's own check of the settings (the standards name amounts left to 当地标准)."""
    try:
        Engine(book, settings=settings)
    except ValueError as err:
        return str(err)
    return None
