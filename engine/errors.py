"""Validation errors in the caseworker's words: which field, in Chinese, and what is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.models import EnterpriseCase, PersonCase
from engine.text import CHOICES
from engine.validation_words import MESSAGES, MESSAGES_EN, UNKNOWN, UNKNOWN_EN
from engine.values import Words, visible

_QUOTED = re.compile(r"'([^']*)'")


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path, e.g. person.birth_date
    label: str  # Chinese label, e.g. 申请人·出生日期
    message: str
    message_en: str = ""  # the same in English

    @property
    def words(self) -> Words:
        """The message in both languages."""
        return Words(self.message, self.message_en or self.message)

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
        template_en = MESSAGES_EN.get(e["type"], UNKNOWN_EN)
        raw = e.get("ctx") or {}
        ctx = {k: str(v) for k, v in raw.items()}
        message_en = ""
        if e["type"] == "value_error":
            message = str(ctx.get("error", e["msg"])).removeprefix("Value error, ")
            error = raw.get("error")
            said = error.args[0] if isinstance(error, ValueError) and error.args else None
            message_en = said.en if isinstance(said, Words) else ""
        elif e["type"] == "enum":
            options = _QUOTED.findall(ctx.get("expected", ""))
            message = "应为以下之一：" + "、".join(_choice(v) for v in options)
            message_en = "one of " + ", ".join(options)
        elif template:
            try:
                message = template.format(**ctx)
                message_en = template_en.format(**ctx)
            except KeyError:
                message, message_en = template, template_en
        else:
            message, message_en = UNKNOWN, UNKNOWN_EN
        out.append(FieldError(field=field, label=label or "案件", message=message, message_en=message_en))
    return out
