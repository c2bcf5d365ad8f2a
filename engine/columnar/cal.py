"""engine/calendar.py and engine/retirement.py on arrays of day numbers (``date.toordinal()``).

The same counts as the scalar functions (Civil Code Art. 202's month-end rule, 29 February reached
on 28 February), for a whole column at once. A result that would fall outside years 1..9999 is
invalid, where the scalar function raises (and ``facts.derive`` leaves the fact unknown).
tests/test_columnar.py compares each with its scalar twin on month ends and 29 February.
A day's year, month and day, a month's first day and a day's ISO text are functions of one number,
so each is worked out once per process for the years registries hold (tables) and read for a whole
column by gathering from them; a day outside them is worked out on its own.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import numpy as np
import polars as pl

from engine.retirement import SCHEDULES, RetirementGroup

EPOCH = 719_163  # date(1970, 1, 1).toordinal()
MIN_ORDINAL, MAX_ORDINAL = 1, 3_652_059  # date.min, date.max
# The days ``iso_texts`` keeps formatted: births, work and retirement fall between (110,000 texts;
# every day of years 1..9999 would be 3.6 million, for the odd 9999-12-31 "no end" of a registry).
ISO_FIRST, ISO_LAST = date(1900, 1, 1).toordinal(), date(2199, 12, 31).toordinal()


def iso_texts(days: np.ndarray, shown: np.ndarray) -> pl.Expr:
    """Each shown day's ISO text (``date.isoformat()``), null where not shown, as an expression of
    the day table: a gather by day number, where formatting would be per row. A shown day the table
    does not hold is formatted for the call, once per distinct day, as the table is (polars' text,
    which is Python's for years 1..9999)."""
    table = _iso_table()
    index = days - ISO_FIRST
    outside = shown & ((days < ISO_FIRST) | (days > ISO_LAST))
    if outside.any():
        extra, inverse = np.unique(days[outside], return_inverse=True)
        index[outside] = len(table) + inverse
        table = pl.concat([table, _strftime(extra)])
    # a row not shown reads past the end: null
    return pl.lit(table).gather(pl.Series(np.where(shown, index, len(table))), null_on_oob=True)


@cache
def _iso_table() -> pl.Series:
    """Every day's ISO text from ISO_FIRST to ISO_LAST, formatted once per process, when first read."""
    return _strftime(np.arange(ISO_FIRST, ISO_LAST + 1, dtype=np.int64))


def _strftime(days: np.ndarray) -> pl.Series:
    return pl.Series(days - EPOCH, dtype=pl.Int64).cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d")


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of each day number: read from the table of years 1800..2399, where
    registries' days fall, else worked out (``_civil``)."""
    index = days - TABLE_FIRST
    if len(days) and int(index.min()) >= 0 and int(index.max()) < len(_days_table()[0]):
        year, month, day = _days_table()
        return year[index], month[index], day[index]
    return _civil(days)


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of each day number (integer arithmetic: H. Hinnant's civil_from_days)."""
    z = days.astype(np.int64) - 1 + 306  # days since 0000-03-01
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def first_of_month(index: np.ndarray) -> np.ndarray:
    """Day number of the first day of month ``index`` (year * 12 + month - 1): read from the table
    of years 1800..2399, else worked out (``_days_from_civil``)."""
    table = _months_table()
    at = index - TABLE_FIRST_MONTH
    if len(index) and int(at.min()) >= 0 and int(at.max()) < len(table):
        return table[at]
    return _days_from_civil(index)


def _days_from_civil(index: np.ndarray) -> np.ndarray:
    """H. Hinnant's days_from_civil, in integers."""
    year, month = index // 12, index % 12 + 1
    year = year - (month <= 2)
    era = np.floor_divide(year, 400)
    yoe = year - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 306 + 1


# Day and month arithmetic on a registry's columns is table lookups: births, work and retirement
# fall in these years; a day outside them is worked out by the integer formulas above.
TABLE_FIRST, TABLE_FIRST_MONTH = date(1800, 1, 1).toordinal(), 1800 * 12
TABLE_YEARS = 600


@cache
def _days_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    last = date(TABLE_FIRST_MONTH // 12 + TABLE_YEARS - 1, 12, 31).toordinal()
    return _civil(np.arange(TABLE_FIRST, last + 1, dtype=np.int64))


@cache
def _months_table() -> np.ndarray:
    months = np.arange(TABLE_FIRST_MONTH, TABLE_FIRST_MONTH + 12 * TABLE_YEARS + 1, dtype=np.int64)
    return _days_from_civil(months)


def month_length(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    index = year * 12 + month - 1
    return first_of_month(index + 1) - first_of_month(index)


def add_months(days: np.ndarray, n: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """The corresponding day ``n`` months later (month-end when there is none), and whether it
    exists; past the years Python holds, ``date.max`` (or ``date.min``), as engine/calendar.py."""
    year, month, day = ymd(days)
    index = year * 12 + month - 1 + n
    inside = (index >= 12) & (index < 10_000 * 12)
    safe = np.where(inside, index, 12)
    length = first_of_month(safe + 1) - first_of_month(safe)
    moved = first_of_month(safe) + np.minimum(day, length) - 1
    moved = np.where(inside, moved, np.where(index < 12, date.min.toordinal(), date.max.toordinal()))
    return moved, np.ones(len(moved), dtype=bool)


def full_months(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Complete calendar months from ``start`` to ``end``; negative when ``end`` is earlier."""
    neg = end < start
    a, b = np.where(neg, end, start), np.where(neg, start, end)
    ay, am, ad = ymd(a)
    by, bm, bd = ymd(b)
    n = (by - ay) * 12 + bm - am
    # add_months(a, n) lies in b's month, on day min(a's day, that month's length)
    n = n - ((n > 0) & (np.minimum(ad, month_length(by, bm)) > bd))
    return np.where(neg, -n, n)


def full_years(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Complete years, counted like months (a birthday on 29 February is reached on 28 February)."""
    neg = end < start
    a, b = np.where(neg, end, start), np.where(neg, start, end)
    ay, am, ad = ymd(a)
    by, bm, bd = ymd(b)
    n = by - ay
    # add_years(a, n) lies in year by, month am, day min(ad, that month's length)
    day = np.minimum(ad, month_length(by, am))
    later = (am > bm) | ((am == bm) & (day > bd))
    n = n - ((n > 0) & later)
    return np.where(neg, -n, n)


def full_days(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    return end - start


def retirement_date(group: np.ndarray, birth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The day each person reaches statutory retirement age; ``group`` holds RetirementGroup values
    (strings). Returns the days and whether each exists."""
    year, month, _ = ymd(birth)
    months = np.zeros(len(birth), dtype=np.int64)
    for g, s in SCHEDULES.items():
        d = (year * 12 + month) - (s.first_birth_month[0] * 12 + s.first_birth_month[1])
        delay = np.where(d < 0, 0, np.minimum(d // s.band_months + 1, s.cap_months))
        months = np.where(group == RetirementGroup(g).value, s.base_years * 12 + delay, months)
    return add_months(birth, months)
