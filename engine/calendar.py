"""Periods counted as the Civil Code counts them.

民法典 Art. 1259: 以上、以下、以内、届满 include the number; 不满、超过、以外 exclude it.
Art. 202: a period in months ends on the corresponding day of the last month, or on that month's
last day when it has no such day. So six months from 2019-08-31 are complete on 2020-02-29.
"""

from __future__ import annotations

import calendar as _cal
from datetime import date
from functools import lru_cache

# A registry repeats the same dates (birth days, registration days, one evaluation date) over
# millions of rows; the counts below are pure, so each pair of dates is counted once.
CACHED_PAIRS = 1 << 15  # a few MB: enough for every birth day of a working-age registry


def add_months(d: date, n: int) -> date:
    """The corresponding day ``n`` calendar months later (month-end when there is none).

    A result beyond the years Python can hold is ``date.max`` (or ``date.min``): still later (or
    earlier) than any date it is compared with, instead of an OverflowError mid-evaluation. The
    case models bound input dates (engine/values.py), so only code calling this directly gets there.
    """
    index = d.year * 12 + d.month - 1 + n
    year, month = divmod(index, 12)
    month += 1
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    return date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def add_years(d: date, n: int) -> date:
    """A year is twelve calendar months, so 29 February plus one year is 28 February."""
    return add_months(d, 12 * n)


@lru_cache(maxsize=CACHED_PAIRS)
def full_months(start: date, end: date) -> int:
    """Complete calendar months from ``start`` to ``end``; negative when ``end`` is earlier."""
    if end < start:
        return -full_months(end, start)
    n = (end.year - start.year) * 12 + end.month - start.month
    while n > 0 and add_months(start, n) > end:
        n -= 1
    return n


@lru_cache(maxsize=CACHED_PAIRS)
def full_years(start: date, end: date) -> int:
    """Complete years, counted like months so that age (周岁) obeys the same month-end rule."""
    if end < start:
        return -full_years(end, start)
    n = end.year - start.year
    while n > 0 and add_years(start, n) > end:
        n -= 1
    return n


@lru_cache(maxsize=CACHED_PAIRS)
def age_on(birth: date, on: date) -> int:
    """Age in full years (周岁): a birthday on 29 February is reached on 28 February."""
    return full_years(birth, on)


def full_days(start: date, end: date) -> int:
    """Days from ``start`` to ``end``; the start day itself is not counted (Art. 201)."""
    return (end - start).days
