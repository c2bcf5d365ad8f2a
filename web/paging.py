"""One page of a list, the same way for every list: the page asked for, its rows and the total."""

from __future__ import annotations

from typing import TypeVar

from flask import current_app, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

Row = TypeVar("Row")
LAST_PAGE = 99_999  # a larger ?page= is a typo or a probe: page 1


def asked_page() -> tuple[int, int]:
    """This request's page number (?page=, or a POSTed search's page field; 1 unless a whole number
    in range) and the page size."""
    text = request.values.get("page", "1")
    page = int(text) if text.isdecimal() and 0 < int(text) <= LAST_PAGE else 1
    return page, current_app.config["PAGE_SIZE"]


def one_page(db: Session, ordered: Select[tuple[Row]], page: int, size: int) -> tuple[list[Row], int, int]:
    """The rows of page ``page`` of an ordered query, how many rows the whole query has, and the page
    shown: the last one when ``page`` is past it (a stale link, a search that now finds fewer),
    whose list would read "共 5 件" over "没有找到案件" with no link back."""
    total = db.scalar(select(func.count()).select_from(ordered.order_by(None).subquery())) or 0
    page = min(page, max(1, -(-total // size)))
    return list(db.scalars(ordered.limit(size).offset((page - 1) * size)).all()), total, page
