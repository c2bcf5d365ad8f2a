"""Validation errors in the caseworker's words: which field, in Chinese, and what is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.models import EnterpriseCase, PersonCase
from engine.text import CHOICES
from engine.values import visible

_QUOTED = re.compile(r"'([^']*)'")

MESSAGES = {
    "missing": "必填",
    "extra_forbidden": "不认识的字段",
    "bool_parsing": "应为“是”或“否”",
    "bool_type": "应为“是”或“否”",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多（最多2位）",
    "float_parsing": "应为数字",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "string_too_long": "过长（最多 {max_length} 个字符）",
    "string_type": "应为文字",
    "string_pattern_mismatch": "格式不正确",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "union_tag_invalid": "案件类型应为 person（个人）或 enterprise（单位）",
    "model_type": "应为一组字段",
    "dict_type": "应为一组字段",
    "model_attributes_type": '应为一组字段（JSON 对象，如 {"kind": "person", "person": {…}}）',
    "finite_number": "应为有限的数字（不能是 NaN 或 Infinity）",
    "int_parsing_size": "数字过大",
    "union_tag_not_found": "缺少案件类型 kind（person 或 enterprise）",
    "string_unicode": "应为文字",
    "string_sub_type": "应为文字",
    "list_type": "应为列表（JSON 数组）",
    "too_long": "过多（最多 {max_length} 项）",
}
UNKNOWN = "取值无效"  # a pydantic error this table does not word yet: never English to a caseworker


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path, e.g. person.birth_date
    label: str  # Chinese label, e.g. 申请人·出生日期
    message: str

    def __str__(self) -> str:
        return f"{self.label}（{self.field}）：{self.message}" if self.field else self.message


def _labels(loc: tuple[Any, ...]) -> tuple[str, str]:
    """Walk the case models along ``loc`` to a dotted path and the fields' Chinese titles."""
    model: type[BaseModel] | None = None
    parts: list[str] = []
    labels: list[str] = []
    for step in loc:
        if step in ("person", "enterprise") and model is None:
            model = PersonCase if step == "person" else EnterpriseCase
            continue
        parts.append(visible(str(step)))  # an unknown key is the sender's text: no control characters
        field = model.model_fields.get(str(step)) if model else None
        if field is None:
            labels += [visible(str(step))] if labels else ["案件", visible(str(step))]
            model = None
            continue
        labels.append(field.title or str(step))
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return ".".join(parts), "·".join(labels)


def _choice(value: str) -> str:
    """An option as the case file writes it, with the form's Chinese word: ``male（男）``."""
    zh = CHOICES.get(value, ("",))[0]
    return f"{value}（{zh}）" if zh else value


def describe(err: ValidationError) -> list[FieldError]:
    """One FieldError per problem, labelled with the form's Chinese field names."""
    out = []
    for e in err.errors():
        loc = tuple(e["loc"])
        field, label = _labels(loc)
        template = MESSAGES.get(e["type"])
        ctx = {k: str(v) for k, v in (e.get("ctx") or {}).items()}
        if e["type"] == "value_error":
            message = str(ctx.get("error", e["msg"])).removeprefix("Value error, ")
        elif e["type"] == "enum":
            options = _QUOTED.findall(ctx.get("expected", ""))
            message = "应为以下之一：" + "、".join(_choice(v) for v in options)
        elif template:
            try:
                message = template.format(**ctx)
            except KeyError:
                message = template
        else:
            message = UNKNOWN
        out.append(FieldError(field=field, label=label or "案件", message=message))
    return out
