"""From the submitted form to a validated case, and back: errors beside fields, nothing lost.

The form's values are kept as typed (strings) so a refused form re-renders exactly; only a case
that pydantic accepts is evaluated and stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from engine.errors import describe
from engine.labels import set_fact
from engine.models import EnterpriseCase, PersonCase, parse_case
from engine.values import parse_date
from web.cases.fields import CaseForm, FormField

BOOL_IN = {"yes": True, "no": False, "": None}
MIN_AS_OF, MAX_AS_OF = date(1990, 1, 1), date(2100, 12, 31)


@dataclass
class Submission:
    """What the caseworker typed, what is wrong with it, and the case if nothing is."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)  # form field name (or "") → messages
    labels: dict[str, str] = field(default_factory=dict)  # error key → the field's label
    case: PersonCase | EnterpriseCase | None = None
    as_of: date | None = None
    applied_for: list[str] = field(default_factory=list)  # the programs applied for, by id

    def add(self, name: str, label: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)
        self.labels.setdefault(name, label)

    def touches(self, fields: list[FormField]) -> bool:
        """True when any of ``fields`` holds a value or an error (a folded group then opens)."""
        return any(self.values.get(f.name) or f.name in self.errors for f in fields)

    @property
    def ok(self) -> bool:
        return not self.errors and self.case is not None


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def applied(submitted: Mapping[str, Any]) -> list[str]:
    """The programs ticked under 申请事项 (``applied_for``, one checkbox each)."""
    given = submitted.getlist("applied_for") if hasattr(submitted, "getlist") else []
    return [p.strip()[:100] for p in given if isinstance(p, str) and p.strip()][:100]


def read(
    form: CaseForm,
    submitted: Mapping[str, Any],
    confirmations: dict[str, bool] | None = None,
    applied_for: list[str] | None = None,
) -> Submission:
    """Validate a submitted form against the case model of ``form.kind``.

    ``confirmations`` are the caseworker's earlier confirmations, carried over unchanged;
    ``applied_for`` the application as stored, when the form does not carry its checkboxes.
    """
    sub = Submission(values={f.name: _text(submitted, f.name).strip() for f in form.fields})
    sub.applied_for = list(applied_for) if applied_for is not None else applied(submitted)
    data: dict[str, Any] = {"kind": form.kind}
    if confirmations:
        data["confirmations"] = dict(confirmations)
    if sub.applied_for:
        data["applied_for"] = sub.applied_for
    for f in form.fields:
        raw = sub.values[f.name]
        if len(raw) > f.max_length:
            sub.add(f.name, f.zh, f"过长（最多 {f.max_length} 个字符）")
            sub.values[f.name] = raw[: f.max_length]  # keep what fits, never echo a huge value
            continue
        if f.name == "as_of":
            sub.as_of = _as_of(raw, sub, f)
            continue
        value = _value(f, raw, sub)
        if value is not None:
            set_fact(data, f.name, value)
    # The model checks what the form could read even when some field was refused above, so every
    # problem is reported on one submit (a bad evaluation date must not hide a wrong ID number).
    try:
        case = parse_case(data, sub.as_of)
    except ValidationError as err:
        for e in describe(err):
            name = e.field if form.field(e.field) is not None else ""
            sub.add(name, e.label, e.message)
    else:
        sub.case = None if sub.errors else case
    return sub


def _as_of(raw: str, sub: Submission, f: FormField) -> date | None:
    if not raw:
        return date.today()
    try:
        day = parse_date(raw)
    except ValueError as err:
        sub.add(f.name, f.zh, str(err))
        return None
    if not MIN_AS_OF <= day <= MAX_AS_OF:
        sub.add(f.name, f.zh, f"评估日期应在 {MIN_AS_OF} 至 {MAX_AS_OF} 之间")
        return None
    return day


def _value(f: FormField, raw: str, sub: Submission) -> Any:
    """The form string as the model takes it; pydantic reports dates and numbers itself."""
    if f.kind == "bool":
        if raw not in BOOL_IN:
            sub.add(f.name, f.zh, "应为“是”“否”或“不清楚”")
            return None
        return BOOL_IN[raw]
    if f.kind == "choice" and raw and raw not in {c.value for c in f.choices}:
        sub.add(f.name, f.zh, "应为以下之一：" + "、".join(c.zh for c in f.choices))
        return None
    return raw or None


def values_from_case(form: CaseForm, inputs: dict[str, Any], as_of: date | None) -> dict[str, str]:
    """A stored case's inputs as form strings, to show the form again for editing."""
    out: dict[str, str] = {}
    for f in form.fields:
        node: Any = inputs
        for part in f.name.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if f.kind == "bool" and node is not None:
            out[f.name] = "yes" if node else "no"
        elif node is not None:
            out[f.name] = str(node)
    if as_of is not None:
        out["as_of"] = as_of.isoformat()
    return out


def defaults(form: CaseForm) -> dict[str, str]:
    """A new form: today's date, and the model's defaults for the settings that have one."""
    out = {"as_of": date.today().isoformat()}
    for f in form.fields:
        if f.default is not None:
            out[f.name] = ("yes" if f.default else "no") if f.kind == "bool" else str(f.default)
    return out
