"""Template helpers: local time, status and state words and labels in the page's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from flask import Flask
from flask_babel import gettext as _

from engine.text import choice_label
from web import phase
from web.i18n import lang

CHINA = timezone(timedelta(hours=8), "UTC+8")


def local_time(value: datetime | None) -> str:
    """Stored in UTC (SQLite drops the zone: naive means UTC); shown in Chongqing time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def iso_utc(value: datetime) -> str:
    """A stored time as ISO 8601 in UTC (naive means UTC), for scripts to read."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def status_words() -> dict[str, str]:
    return {
        "eligible": _("符合"),
        "needs_information": _("需补充信息"),
        "not_eligible": _("不符合"),
    }


def role_word(role: str) -> str:
    return {"caseworker": _("经办人"), "supervisor": _("科室负责人"), "admin": _("管理员")}.get(role, role)


def kind_word(kind: str) -> str:
    return {"person": _("个人"), "enterprise": _("单位")}.get(kind, kind)


def state_word(state: str) -> str:
    """A batch run's state (web.batches.folder.Progress.state)."""
    words = {"running": _("运行中"), "done": _("已完成"), "failed": _("运行失败"), "interrupted": _("已中断")}
    return words.get(state, state)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["iso_utc"] = iso_utc
    app.jinja_env.filters["choice"] = lambda v: choice_label(str(v), lang())

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {
            "lang": lang(),
            "status_words": status_words,
            "role_word": role_word,
            "kind_word": kind_word,
            "state_word": state_word,
            "phase_words": phase.words,
            "phase_dated": phase.dated,
            "phase_counts": phase.counts,
        }
